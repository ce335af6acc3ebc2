"""GET /api/v1/energy and the site tariff API, through real ingest and the pipeline, on both stores."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from ingestion.models import Site
from ingestion.timeseries import get_store
from tests.analytics.energy import worked_example as wx
from tests.factories import AssetFactory, TenantFactory, token_for

EPOCH = wx.datetime(2000, 1, 2, tzinfo=wx.UTC)
FAR = wx.datetime(2262, 1, 1, tzinfo=wx.UTC)


def approx(x):
    return pytest.approx(x, rel=wx.REL, abs=1e-12)


def client(tenant, *scopes) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return api


def ingest(api: APIClient, events: list[dict]) -> None:
    resp = api.generic("POST", "/api/v1/ingest", json.dumps(events), content_type="application/json")
    assert resp.status_code == 201, resp.content


@pytest.fixture
def plant(energy_store):
    tenant = TenantFactory(name="plant")
    Site.objects.create(
        tenant=tenant, code="main", name="Main incomer", contract_demand_kva=wx.CONTRACT_DEMAND_KVA
    )
    asset = AssetFactory(tenant=tenant, asset_id="WX-1", supply_site="main", **wx.ASSET)
    admin = client(tenant, "ingest", "read", "admin")
    resp = admin.put("/api/v1/sites/main/tariff", {"versions": [wx.TARIFF]}, format="json")
    assert resp.status_code == 200, resp.content
    return tenant, asset, admin


def energy(api, **params):
    return api.get("/api/v1/energy", params)


def month_params(day, **extra):
    lo, hi = wx.month_bounds(day)
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    return {"start": iso(lo), "end": iso(hi), **extra}


def test_worked_example_through_ingest_and_the_api_matches_the_hand_computation(plant):
    _tenant, asset, api = plant
    day = wx.example_day()
    ingest(api, wx.example_events(asset.asset_id, day))
    resp = energy(api, **month_params(day, scope="site", id="main", bucket="month"))
    assert resp.status_code == 200, resp.content
    body = resp.json()
    totals = body["totals"]
    assert totals["energy_kwh"] == approx(wx.TOTAL_KWH)
    assert totals["apparent_energy_kvah"] == approx(wx.TOTAL_KVAH)
    assert totals["reactive_energy_kvarh"] == approx(wx.TOTAL_KVARH)
    assert totals["max_demand_kva"] == approx(wx.MAX_DEMAND_KVA)
    assert totals["max_demand_at"] == wx.local(day, 60).astimezone(wx.UTC).isoformat().replace("+00:00", "Z")
    assert totals["load_factor"] == approx(wx.LOAD_FACTOR)
    assert totals["co2_t"] == approx(wx.CO2_T)
    cost = totals["cost"]
    assert (cost["energy"], cost["time_of_day"], cost["pf_adjustment"]) == (
        approx(wx.ENERGY_CHARGE),
        approx(wx.TOD_CHARGE),
        approx(wx.PF_ADJUSTMENT),
    )
    assert (cost["demand"], cost["fixed"], cost["total"]) == (
        approx(wx.SITE_DEMAND_CHARGE),
        approx(wx.FIXED_CHARGE),
        approx(wx.SITE_MONTH_TOTAL),
    )
    month_h = (wx.month_bounds(day)[1] - wx.month_bounds(day)[0]).total_seconds() / 3600
    assert totals["coverage"]["covered_h"] == approx(2.0)
    assert totals["coverage"]["gap_h"] == approx(month_h - 2.0)
    assert [b["label"] for b in body["series"]] == [day.strftime("%Y-%m")]
    assert body["billing_months"][0]["pf_billed"] == 0.8
    assert body["timezone"] == "Asia/Kolkata" and body["assets"] == ["WX-1"]

    # the asset metered alone: its own maximum demand, no contract minimum, no fixed charge
    alone = energy(api, **month_params(day, scope="asset", id="WX-1", bucket="hour")).json()
    assert alone["totals"]["cost"]["demand"] == approx(wx.ASSET_DEMAND_CHARGE)
    assert alone["totals"]["cost"]["fixed"] is None
    hours = [b for b in alone["series"] if b["energy_kwh"] is not None]
    assert [b["label"][-5:] for b in hours] == ["17:00", "18:00"]
    assert [b["apparent_energy_kvah"] for b in hours] == [approx(12.5), approx(85 / 6)]
    fleet = energy(api, **month_params(day, scope="fleet")).json()
    assert fleet["totals"]["cost"]["total"] == approx(wx.SITE_MONTH_TOTAL)


def test_a_late_batch_in_a_closed_hour_gives_the_rollups_of_in_order_arrival(plant):
    tenant, asset, api = plant
    day = wx.example_day()
    events = wx.example_events(asset.asset_id, day)
    late = events[5:8]  # 17:50-18:10 IST: the demand peak, arriving after later hours closed
    ingest(api, [e for e in events if e not in late])
    ingest(api, late)
    shuffled = get_store().read(measurement="energy", asset_id=asset.asset_id, start=EPOCH, end=FAR)
    other = AssetFactory(tenant=tenant, asset_id="WX-2", supply_site="main", **wx.ASSET)
    ingest(api, [dict(e, asset_id=other.asset_id, event_id=e["event_id"][:-4] + "beef") for e in events])
    in_order = get_store().read(measurement="energy", asset_id=other.asset_id, start=EPOCH, end=FAR)
    assert [(p.time, p.fields) for p in shuffled] == [(p.time, p.fields) for p in in_order]
    kvah = sum(p.fields["kvah_m00"] + p.fields["kvah_m30"] for p in shuffled)
    assert kvah == approx(wx.TOTAL_KVAH)


def test_month_with_a_data_gap_and_night_slot_across_site_midnight(plant):
    _tenant, asset, api = plant
    day = wx.example_day()
    morning = wx.stretch(asset.asset_id, wx.local(day, 0) - timedelta(hours=7), 60)  # 10:00-11:00 IST
    night = wx.stretch(asset.asset_id, wx.local(day, 0) + timedelta(hours=6), 120)  # 23:00-01:00 IST
    ingest(api, morning + night)
    body = energy(api, **month_params(day, scope="site", id="main", bucket="day")).json()
    totals = body["totals"]
    assert totals["energy_kwh"] == approx(24.0)  # 8 kWh + 16 kWh: the 12 h between is a gap
    assert totals["coverage"]["covered_h"] == approx(3.0)
    # kVAh billing at 8: day 10 kVAh at 1x, night 20 kVAh at 0.75x; PF 0.8 -> +12.5 %
    assert totals["cost"]["energy"] == approx(240.0)
    assert totals["cost"]["time_of_day"] == approx(-40.0)
    assert totals["cost"]["pf_adjustment"] == approx(25.0)
    days = {b["label"]: b["energy_kwh"] for b in body["series"] if b["energy_kwh"] is not None}
    assert days == {day.isoformat(): approx(16.0), (day + timedelta(days=1)).isoformat(): approx(8.0)}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scope": "plant", "id": "main"}, "scope"),
        ({"scope": "site"}, "id"),
        ({"scope": "site", "id": "main", "bucket": "week"}, "bucket"),
        ({"scope": "site", "id": "main", "start": "2025-01-01T00:00:00"}, "start"),
        ({"scope": "site", "id": "main", "start": "2025-01-01T00:10:00Z"}, "start"),
        ({"scope": "site", "id": "main", "end": "2024-12-01T00:00:00Z"}, "end"),
        ({"scope": "site", "id": "main", "end": "2026-06-01T00:00:00Z"}, "end"),
        (
            {"scope": "site", "id": "main", "start": "1999-12-01T00:00:00Z", "end": "2000-01-01T00:00:00Z"},
            "start",
        ),
        # an offset that puts the instant before year 1 in UTC
        ({"scope": "site", "id": "main", "start": "0001-01-01T00:00:00+14:00"}, "start"),
        ({"scope": "site", "id": "main", "end": "9999-12-31T23:30:00-14:00"}, "end"),
    ],
)
def test_bad_query_is_400_naming_the_field(params, field, db):
    tenant = TenantFactory(name="q")
    api = client(tenant, "read")
    query = {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z", **params}
    resp = energy(api, **query)
    assert resp.status_code == 400, resp.content
    assert field in [e["field"] for e in resp.json()["errors"]]


def test_another_tenants_asset_or_site_is_404(plant):
    _tenant, _asset, api = plant
    stranger = TenantFactory(name="stranger")
    AssetFactory(tenant=stranger, asset_id="OTHER-1", supply_site="north")
    params = {"start": "2025-01-01T00:00:00Z", "end": "2025-02-01T00:00:00Z"}
    assert energy(api, scope="asset", id="OTHER-1", **params).status_code == 404
    assert energy(api, scope="site", id="north", **params).status_code == 404
    assert energy(api, scope="site", id="nowhere", **params).status_code == 404
    assert api.get("/api/v1/sites/north/tariff").status_code == 404
    assert energy(client(stranger, "read"), scope="asset", id="WX-1", **params).status_code == 404


def test_tariff_put_validates_whole_and_names_field_and_rule(plant):
    _tenant, _asset, api = plant
    bad = dict(
        wx.TARIFF,
        effective_from="2026-01-01",
        energy_rate=-1.0,
        tod_slots=[
            {"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5},
            {"name": "evening", "start": "21:00", "end": "23:00", "multiplier": 1.2},
        ],
        pf_penalty_threshold=0.96,
    )
    resp = api.put("/api/v1/sites/main/tariff", {"versions": [wx.TARIFF, bad]}, format="json")
    assert resp.status_code == 400
    got = {(e["field"], e["rule"]) for e in resp.json()["errors"]}
    assert got == {
        ("versions[1].energy_rate", "negative_rate"),
        ("versions[1].tod_slots", "overlapping_slots"),
        ("versions[1].pf_penalty_threshold", "slabs_out_of_order"),
    }
    versions = api.get("/api/v1/sites/main/tariff").json()["versions"]
    assert [v["effective_from"] for v in versions] == ["2020-01-01"]  # nothing changed
    assert versions[0]["tod_slots"] == wx.TARIFF["tod_slots"]
    resp = api.put("/api/v1/sites/main/tariff", {"versions": [wx.TARIFF, wx.TARIFF]}, format="json")
    assert ("versions[1].effective_from", "duplicate_effective_date") in {
        (e["field"], e["rule"]) for e in resp.json()["errors"]
    }
    assert api.put("/api/v1/sites/main/tariff", {"tariff": []}, format="json").status_code == 400


def test_tariff_needs_the_admin_scope_and_creates_a_site_only_assets_named(plant):
    tenant, _asset, api = plant
    reader = client(tenant, "read")
    assert reader.get("/api/v1/sites/main/tariff").status_code == 403
    assert reader.put("/api/v1/sites/main/tariff", {"versions": []}, format="json").status_code == 403
    AssetFactory(tenant=tenant, asset_id="WX-9", supply_site="annex")
    codes = {s["code"]: s["configured"] for s in reader.get("/api/v1/sites").json()}
    assert codes == {"main": True, "annex": False}
    resp = api.put("/api/v1/sites/annex/tariff", {"versions": [wx.TARIFF]}, format="json")
    assert resp.status_code == 200 and resp.json()["timezone"] == "Asia/Kolkata"
    assert Site.objects.filter(tenant=tenant, code="annex").exists()


def test_periods_split_anywhere_add_up_to_the_whole(plant):
    _tenant, asset, api = plant
    day = wx.example_day()
    ingest(api, wx.example_events(asset.asset_id, day))
    lo, hi = wx.month_bounds(day)
    cut = wx.local(day, random.Random(7).choice([0, 30, 60, 90])).astimezone(wx.UTC)
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    whole = energy(api, scope="site", id="main", start=iso(lo), end=iso(hi)).json()["totals"]
    parts = [
        energy(api, scope="site", id="main", start=iso(a), end=iso(b)).json()["totals"]
        for a, b in ((lo, cut), (cut, hi))
    ]
    for key in ("energy", "time_of_day", "pf_adjustment", "demand", "fixed", "total"):
        assert sum(p["cost"][key] or 0.0 for p in parts) == approx(whole["cost"][key])
    assert sum(p["energy_kwh"] or 0.0 for p in parts) == approx(whole["energy_kwh"])
