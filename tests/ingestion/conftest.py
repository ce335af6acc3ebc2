from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.factories import AssetFactory, TenantFactory, token_for


@pytest.fixture
def tenant(db):
    return TenantFactory(name="acme")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="globex")


@pytest.fixture
def asset(tenant):
    return AssetFactory(tenant=tenant, asset_id="PUMP-01", phase="three", rated_voltage_v=415.0)


@pytest.fixture
def api(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest', 'read', 'admin')}")
    return client


def post_events(api: APIClient, payload: bytes, **extra):
    return api.generic("POST", "/api/v1/ingest", payload, content_type="application/json", **extra)


@pytest.fixture
def fuzz_principal(transactional_db, settings):
    """A tenant with an asset and an all-scopes token, on the SQL store, for fuzzing."""
    from ingestion.timeseries import reset_store

    settings.INFLUXDB_URL = ""
    reset_store()
    tenant = TenantFactory(name="fuzz")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    yield token_for(tenant, "ingest", "read", "admin")
    reset_store()
