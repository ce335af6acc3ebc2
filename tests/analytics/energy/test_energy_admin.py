"""Admin: site and tariff forms refuse bad values naming the field and the rule, saving nothing."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model

from analytics.energy.models import Tariff
from ingestion.models import Site
from tests.analytics.energy import worked_example as wx
from tests.factories import TenantFactory


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def site_form(**overrides) -> dict:
    data = {
        "name": "Main incomer",
        "timezone": "Asia/Kolkata",
        "grid_factor_t_per_mwh": "0.727",
        "contract_demand_kva": "40",
        "idle_below_load_pct": "30",
        "shifts": json.dumps(
            [{"name": "A", "start": "06:00", "end": "18:00"}, {"name": "N", "start": "18:00", "end": "06:00"}]
        ),
        "weekly_off_days": json.dumps(["sunday"]),
    }
    data.update(overrides)
    return data


def tariff_forms(*versions: dict) -> dict:
    data = {
        "tariffs-TOTAL_FORMS": str(len(versions)),
        "tariffs-INITIAL_FORMS": "0",
        "tariffs-MIN_NUM_FORMS": "0",
        "tariffs-MAX_NUM_FORMS": "1000",
    }
    for i, version in enumerate(versions):
        for key, value in {"currency": "INR", **version}.items():
            if key == "pf_leading_counts":
                if value:
                    data[f"tariffs-{i}-{key}"] = "on"
                continue
            data[f"tariffs-{i}-{key}"] = (
                json.dumps(value) if key == "tod_slots" else ("" if value is None else str(value))
            )
    return data


def test_site_admin_refuses_shifts_that_overlap_and_a_zone_off_the_half_hour(admin_client):
    tenant = TenantFactory(name="plant")
    bad = site_form(
        tenant=tenant.pk,
        code="main",
        timezone="Asia/Kathmandu",
        shifts=json.dumps(
            [{"name": "A", "start": "06:00", "end": "18:00"}, {"name": "B", "start": "17:00", "end": "06:00"}]
        ),
    )
    resp = admin_client.post("/admin/ingestion/site/add/", bad)
    assert resp.status_code == 200
    text = resp.content.decode()
    assert "rule: overlapping_shifts" in text and "rule: offset_not_half_hour" in text
    assert not Site.objects.exists()
    resp = admin_client.post("/admin/ingestion/site/add/", site_form(tenant=tenant.pk, code="main"))
    assert resp.status_code == 302
    assert Site.objects.get(code="main").shifts[1]["name"] == "N"


def test_tariff_admin_names_field_and_rule_and_saves_no_version(admin_client):
    tenant = TenantFactory(name="plant")
    site = Site.objects.create(tenant=tenant, code="main")
    good = dict(wx.TARIFF)
    bad = dict(
        wx.TARIFF,
        effective_from="2026-01-01",
        energy_rate=-2,
        tod_slots=[
            {"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5},
            {"name": "late", "start": "21:30", "end": "23:00", "multiplier": 1.1},
        ],
        pf_penalty_threshold=0.97,
    )
    data = site_form(**tariff_forms(good, bad))
    resp = admin_client.post(f"/admin/analytics/siteenergy/{site.pk}/change/", data)
    assert resp.status_code == 200
    text = resp.content.decode()
    for rule in ("negative_rate", "overlapping_slots", "slabs_out_of_order"):
        assert f"rule: {rule}" in text
    assert not Tariff.objects.exists()
    resp = admin_client.post(
        f"/admin/analytics/siteenergy/{site.pk}/change/", site_form(**tariff_forms(good))
    )
    assert resp.status_code == 302, [str(e) for e in resp.context["errors"]] if resp.context else resp
    assert Tariff.objects.get(site=site).version().slots[1].multiplier == 0.75


def test_tariff_admin_refuses_two_versions_on_one_date(admin_client):
    tenant = TenantFactory(name="plant")
    site = Site.objects.create(tenant=tenant, code="main")
    resp = admin_client.post(
        f"/admin/analytics/siteenergy/{site.pk}/change/", site_form(**tariff_forms(wx.TARIFF, wx.TARIFF))
    )
    assert resp.status_code == 200
    assert "Please correct the duplicate data for effective_from" in resp.content.decode()
    assert not Tariff.objects.exists()
