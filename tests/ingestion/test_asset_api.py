"""Asset API for tenant admins: register, list, read, patch; validation names field and rule."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ingestion.models import Asset
from tests.factories import AssetFactory, token_for

NEW_ASSET = {
    "asset_id": "PUMP-77",
    "name": "Chilled water pump",
    "asset_type": "pump",
    "phase": "three",
    "rated_voltage_v": 415.0,
    "rated_current_a": 14.0,
    "rated_power_kw": 7.5,
    "rated_rpm": 2900.0,
    "iso_group": 2,
    "foundation": "rigid",
}


def client_with(tenant, *scopes) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return c


def test_admin_token_registers_an_asset(tenant):
    resp = client_with(tenant, "admin").post("/api/v1/assets", NEW_ASSET, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["tenant"] == "acme"
    assert Asset.objects.get(asset_id="PUMP-77").tenant == tenant


def test_read_token_cannot_register_assets(tenant):
    resp = client_with(tenant, "read").post("/api/v1/assets", NEW_ASSET, format="json")
    assert resp.status_code == 403
    assert not Asset.objects.exists()


def test_impossible_asset_is_400_naming_the_field(tenant):
    resp = client_with(tenant, "admin").post(
        "/api/v1/assets", {**NEW_ASSET, "rated_power_kw": 50.0}, format="json"
    )
    assert resp.status_code == 400
    assert [e["field"] for e in resp.json()["errors"]] == ["rated_power_kw"]
    assert not Asset.objects.exists()


def test_wrong_choice_is_400_naming_the_field(tenant):
    resp = client_with(tenant, "admin").post(
        "/api/v1/assets", {**NEW_ASSET, "asset_type": "turbine"}, format="json"
    )
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == "asset_type"


def test_duplicate_asset_id_is_400(tenant, other_tenant):
    AssetFactory(tenant=other_tenant, asset_id="PUMP-77")
    resp = client_with(tenant, "admin").post("/api/v1/assets", NEW_ASSET, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == "asset_id"


def test_list_shows_only_own_tenant_assets(tenant, other_tenant):
    AssetFactory(tenant=tenant, asset_id="MINE-1")
    AssetFactory(tenant=other_tenant, asset_id="THEIRS-1")
    resp = client_with(tenant, "read").get("/api/v1/assets")
    assert [a["asset_id"] for a in resp.json()] == ["MINE-1"]


def test_patch_updates_and_validates(tenant):
    AssetFactory(tenant=tenant, asset_id="M-1")
    c = client_with(tenant, "admin")
    resp = c.patch("/api/v1/assets/M-1", {"location": "Bay 9"}, format="json")
    assert resp.status_code == 200 and resp.json()["location"] == "Bay 9"
    resp = c.patch("/api/v1/assets/M-1", {"rated_voltage_v": -1}, format="json")
    assert resp.status_code == 400
    assert resp.json()["errors"][0]["field"] == "rated_voltage_v"
    assert Asset.objects.get(asset_id="M-1").rated_voltage_v == 415.0


def test_asset_id_cannot_be_renamed(tenant):
    AssetFactory(tenant=tenant, asset_id="M-1")
    resp = client_with(tenant, "admin").patch("/api/v1/assets/M-1", {"asset_id": "M-2"}, format="json")
    assert Asset.objects.filter(asset_id="M-1").exists()
    assert not Asset.objects.filter(asset_id="M-2").exists()
    assert resp.status_code in (200, 400)


def test_patch_of_other_tenant_asset_is_404(tenant, other_tenant):
    AssetFactory(tenant=other_tenant, asset_id="THEIRS-1")
    resp = client_with(tenant, "admin").patch("/api/v1/assets/THEIRS-1", {"location": "x"}, format="json")
    assert resp.status_code == 404


@pytest.mark.parametrize("scopes", [("ingest",)])
def test_ingest_only_token_cannot_read_assets(tenant, scopes):
    assert client_with(tenant, *scopes).get("/api/v1/assets").status_code == 403
