"""Redis paths: the cache used for throttling and locks, and a real Celery worker round trip."""

from __future__ import annotations

import os
import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from tests.fixtures.celery_worker import redis_url, require_redis


def test_redis_cache_backend_stores_and_expires_keys(settings):
    require_redis()
    cache = RedisCache(redis_url(), {})
    key = f"pdm-test-{uuid.uuid4().hex}"
    assert cache.add(key, "1", timeout=30) is True
    assert cache.add(key, "2", timeout=30) is False  # the spool lock relies on this
    assert cache.get(key) == "1"
    cache.delete(key)
    assert cache.get(key) is None


def test_ci_uses_redis_for_the_django_cache():
    if os.environ.get("REDIS_URL"):
        assert isinstance(caches["default"], RedisCache)
    else:
        assert "locmem" in type(caches["default"]).__module__


@pytest.mark.slow
def test_a_real_worker_consumes_tasks_from_redis_and_reaches_the_store(celery_worker):
    from ingestion.tasks import worker_ping

    result = worker_ping.delay().get(timeout=60)
    assert result["timeseries"] in {"sql", "influxdb"}
    assert result["version"]
    assert "worker_ping" in celery_worker.log()
