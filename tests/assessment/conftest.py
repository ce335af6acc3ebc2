"""Fixtures of the assessment tests: both store backends, a tenant with a pump, API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ingestion.timeseries import get_store, reset_store
from tests.factories import AssetFactory, TenantFactory, token_for


@pytest.fixture(params=["sql", "influxdb"])
def store(request, settings, db):
    """Each test runs once against the SQL store and once against a real influxd."""
    if request.param == "influxdb":
        yield request.getfixturevalue("influx_settings")
    else:
        settings.INFLUXDB_URL = ""
        reset_store()
        yield get_store()
        reset_store()


@pytest.fixture
def sql_only(settings, db):
    settings.INFLUXDB_URL = ""
    reset_store()
    yield get_store()
    reset_store()


@pytest.fixture
def tenant(db):
    return TenantFactory(name="acme")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="globex")


@pytest.fixture
def pump(tenant):
    # group 2 rigid: A/B 1.4, B/C 2.8, C/D 4.5 mm/s; rated 415 V / 28 A
    return AssetFactory(tenant=tenant, asset_id="PUMP-07", asset_type="pump", rated_current_a=28.0)


@pytest.fixture
def api(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    return client
