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
