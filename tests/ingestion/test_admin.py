"""Django admin: search and filters work, and forms refuse impossible values with a message."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from assessment.models import AssetThresholds
from ingestion.models import ApiToken, Asset
from ingestion.tokens import token_digest
from tests.factories import AssetFactory, TenantFactory


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def asset_form(tenant, **overrides) -> dict:
    data = {
        "asset_id": "CMP-7",
        "tenant": tenant.pk,
        "name": "Compressor 7",
        "asset_type": "compressor",
        "location": "Plant 2",
        "commissioned_at": "2025-03-01",
        "active": "on",
        "phase": "three",
        "rated_voltage_v": "415",
        "rated_current_a": "65",
        "rated_power_kw": "37",
        "rated_rpm": "2960",
        "iso_group": "2",
        "foundation": "rigid",
        "supply_site": "main",  # the form's initial value (Asset.supply_site default)
        "bearing_n_balls": "",
        "bearing_ball_diameter_mm": "",
        "bearing_pitch_diameter_mm": "",
        "bearing_contact_angle_deg": "",
        "thresholds-TOTAL_FORMS": "0",
        "thresholds-INITIAL_FORMS": "0",
        "thresholds-MIN_NUM_FORMS": "0",
        "thresholds-MAX_NUM_FORMS": "1",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_valid_asset(admin_client):
    tenant = TenantFactory()
    resp = admin_client.post("/admin/ingestion/asset/add/", asset_form(tenant))
    assert resp.status_code == 302
    assert Asset.objects.get(asset_id="CMP-7").rated_power_kw == 37


def _with_thresholds(tenant, **fields) -> dict:
    """The asset form with one thresholds inline form: every editable field empty unless given."""
    data = asset_form(tenant, **{"thresholds-TOTAL_FORMS": "1"})
    editable = [
        f.name for f in AssetThresholds._meta.concrete_fields if f.editable and f.name not in ("id", "asset")
    ]
    for name in editable:
        data[f"thresholds-0-{name}"] = fields.get(name, "")
    return data


def test_admin_stores_rise_limit_and_health_weights_overrides(admin_client):
    tenant = TenantFactory()
    data = _with_thresholds(
        tenant, temperature_rise_excess_limit_k="20", health_weights='{"temperature_rise": 0.5}'
    )
    resp = admin_client.post("/admin/ingestion/asset/add/", data)
    assert resp.status_code == 302
    th = Asset.objects.get(asset_id="CMP-7").thresholds
    assert th.temperature_rise_excess_limit_k == 20.0 and th.health_weights == {"temperature_rise": 0.5}


@pytest.mark.parametrize(
    ("weights", "message"),
    [('{"vibraton": 1}', b"unknown component(s) vibraton"), ("{not json", b"Enter a valid JSON")],
)
def test_admin_refuses_bad_health_weights_with_a_message_and_stores_nothing(admin_client, weights, message):
    tenant = TenantFactory()
    resp = admin_client.post("/admin/ingestion/asset/add/", _with_thresholds(tenant, health_weights=weights))
    assert resp.status_code == 200
    assert message in resp.content
    assert not Asset.objects.filter(asset_id="CMP-7").exists()


def test_admin_form_refuses_impossible_power_rating_with_a_message(admin_client):
    tenant = TenantFactory()
    resp = admin_client.post("/admin/ingestion/asset/add/", asset_form(tenant, rated_current_a="5"))
    assert resp.status_code == 200
    assert b"exceeds the apparent power" in resp.content
    assert not Asset.objects.filter(asset_id="CMP-7").exists()


def test_admin_search_and_filter_find_assets(admin_client):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01", name="Cooling pump", asset_type="pump")
    AssetFactory(tenant=tenant, asset_id="FAN-02", name="Exhaust fan", asset_type="fan")
    resp = admin_client.get("/admin/ingestion/asset/", {"q": "cooling"})
    assert b"PUMP-01" in resp.content and b"FAN-02" not in resp.content
    resp = admin_client.get("/admin/ingestion/asset/", {"asset_type__exact": "fan"})
    assert b"FAN-02" in resp.content and b"PUMP-01" not in resp.content


def test_admin_token_creation_shows_secret_once_and_stores_only_its_hash(admin_client):
    tenant = TenantFactory()
    resp = admin_client.post(
        "/admin/ingestion/apitoken/add/",
        {"tenant": tenant.pk, "name": "gateway", "scopes": ["ingest"]},
        follow=True,
    )
    assert resp.status_code == 200
    message = next(str(m) for m in resp.context["messages"] if "shown once" in str(m))
    secret = message.rsplit(" ", 1)[-1]
    row = ApiToken.objects.get(name="gateway")
    assert row.scopes == ["ingest"]
    assert row.digest == token_digest(secret)
    assert secret not in str(ApiToken.objects.filter(pk=row.pk).values().first())


def test_admin_token_form_requires_a_scope(admin_client):
    tenant = TenantFactory()
    resp = admin_client.post("/admin/ingestion/apitoken/add/", {"tenant": tenant.pk, "name": "x"})
    assert resp.status_code == 200
    assert not ApiToken.objects.exists()
