"""Per-token throttling on Redis: one atomic sliding log, shared by the fast path and DRF."""

from __future__ import annotations

import os
import threading
import uuid

import pytest
from rest_framework.test import APIClient

from ingestion import throttling
from ingestion.throttling import TokenRateThrottle
from ingestion.timeseries import get_store, reset_store
from pdm_project.devservices import free_port
from tests.factories import AssetFactory, TenantFactory, token_for
from tests.fixtures.services import DEFAULT_REDIS_URL
from tests.ingestion.events import T0, body, event


def redis_caches(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "pdm_project.cache.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}",  # a bucket of this test only
        }
    }


@pytest.fixture
def redis_cache(settings):
    settings.CACHES = redis_caches(os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)


@pytest.fixture
def rate(monkeypatch):
    def set_rate(value: str) -> None:
        monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": value})

    return set_rate


@pytest.fixture
def client_and_asset(settings, db):
    settings.INFLUXDB_URL = ""
    reset_store()
    tenant = TenantFactory(name="acme")
    asset = AssetFactory(tenant=tenant, asset_id="PUMP-01")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest', 'read')}")
    yield client, asset
    reset_store()


def post(client, ev):
    return client.generic("POST", "/api/v1/ingest", body([ev]), content_type="application/json")


def test_concurrent_requests_never_get_more_than_the_rate(redis_cache):
    """Eight threads asking at once: exactly the limit is let through (a get-then-set log
    loses concurrent increments and lets more through)."""
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(40):
            ok = throttling._sliding_log("throttle-log_token_token:1", 100, 60) is None
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(allowed) == 320
    assert sum(allowed) == 100
    wait = throttling._sliding_log("throttle-log_token_token:1", 100, 60)
    assert 0 < wait <= 60


def test_ingest_and_reads_of_one_token_share_one_bucket(redis_cache, rate, client_and_asset):
    client, asset = client_and_asset
    rate("3/min")

    first = post(client, event(asset.asset_id, T0))
    read = client.get(f"/api/v1/assets/{asset.asset_id}")
    second = post(client, event(asset.asset_id, T0.replace(hour=2)))
    refused = post(client, event("PUMP-01", T0.replace(hour=1)))
    refused_read = client.get(f"/api/v1/assets/{asset.asset_id}")

    assert [first.status_code, read.status_code, second.status_code] == [201, 200, 201]
    assert refused.status_code == refused_read.status_code == 429
    wait = int(refused["Retry-After"])
    assert 0 < wait <= 60
    assert refused.json() == {"detail": f"Request was throttled. Expected available in {wait} seconds."}
    assert get_store().count(measurement="events", asset_id=asset.asset_id) == 2


def test_another_token_has_its_own_bucket(redis_cache, rate, client_and_asset):
    client, asset = client_and_asset
    rate("1/min")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(asset.tenant, 'ingest')}")

    assert post(client, event(asset.asset_id, T0)).status_code == 201
    assert post(client, event(asset.asset_id, T0.replace(hour=1))).status_code == 429
    assert post(other, event(asset.asset_id, T0.replace(hour=2))).status_code == 201


def test_throttling_lets_ingest_through_when_redis_is_unreachable(settings, rate, client_and_asset, caplog):
    client, asset = client_and_asset
    settings.CACHES = redis_caches(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    rate("1/min")
    throttling._warned_at = float("-inf")

    statuses = [post(client, event(asset.asset_id, T0.replace(hour=h))).status_code for h in (1, 2, 3)]

    assert statuses == [201, 201, 201]
    assert "throttling disabled, the shared cache is unreachable" in caplog.text
    assert get_store().count(measurement="events", asset_id=asset.asset_id) == 3
