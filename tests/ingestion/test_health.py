"""GET /api/v1/health against real components: PostgreSQL, a private redis-server, influxd,
a Celery worker and Celery beat as OS processes (docs/CONTRACTS.md §17.5)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from rest_framework.test import APIClient

from pdm_project.devservices import free_port
from tests.fixtures.celery_worker import ROOT, WorkerProcess, _db_env, _reset_connections
from tests.ingestion.conftest import post_events
from tests.ingestion.events import body, series

pytestmark = pytest.mark.django_db(transaction=True)


def health(client=None):
    response = (client or APIClient()).get("/api/v1/health")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def queue_on_own_redis(own_redis, settings):
    """The test process's cache and Celery broker on a private redis-server (db 1 and db 0)."""
    from pdm_project.celery import app

    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    settings.CACHES = {"default": {"BACKEND": "pdm_project.cache.RedisCache", "LOCATION": own_redis.url(1)}}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = own_redis.url(0)
    app.conf.update(broker_url=own_redis.url(0), task_always_eager=False, task_default_queue="celery")
    _reset_connections(app)
    yield own_redis
    app.conf.update(**old)
    _reset_connections(app)


def process_env(own_redis, **extra: str) -> dict[str, str]:
    from django.conf import settings

    return {
        **os.environ,
        **_db_env(),
        "CELERY_BROKER_URL": own_redis.url(0),
        "REDIS_URL": own_redis.url(1),
        "INFLUXDB_URL": settings.INFLUXDB_URL,
        "INFLUXDB_DATABASE": settings.INFLUXDB_DATABASE,
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def test_reports_every_component_and_notices_a_dead_worker_and_a_silent_beat(
    queue_on_own_redis, influx_settings, settings, tmp_path: Path
):
    own_redis = queue_on_own_redis
    env = process_env(own_redis, PDM_WORKER_HEARTBEAT_S="1", PDM_SPOOL_REPLAY_S="1")
    worker = WorkerProcess(env, "celery", tmp_path / "worker.log")
    worker.start()
    beat = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "pdm_project", "beat", "-l", "INFO",
         "--schedule", str(tmp_path / "beat-schedule"), "--max-interval", "1"],
        cwd=ROOT, env=env, stdout=(tmp_path / "beat.log").open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(
            lambda: (
                health()[1]["checks"]["beat"]["status"] == "ok"
                and health()[1]["checks"]["workers"]["alive"] == 1
            ),
            60,
            "the worker's heartbeat and beat's first send",
        )
        code, data = health()
        assert code == 200 and data["status"] == "ok", data
        checks = data["checks"]
        assert checks["database"]["status"] == "ok" and checks["database"]["vendor"] == "postgresql"
        assert checks["timeseries"] == {
            "status": "ok",
            "backend": "influxdb",
            "detail": checks["timeseries"]["detail"],
        }
        assert checks["timeseries"]["detail"].startswith("InfluxDB")
        assert checks["cache"]["status"] == "ok"
        assert checks["broker"]["status"] == "ok" and checks["broker"]["queue"] == "celery"
        assert [w["name"] for w in checks["workers"]["workers"]] == [f"celery@{os.uname().nodename}"]
        assert checks["beat"]["last_task"] == "ingestion.tasks.spool_replay_task"
        assert checks["spool"] == {"status": "ok", "entries": 0, "events": 0, "oldest_age_s": 0.0}

        # The worker dies: its heartbeat lapses after three beats, beat's sends pile up.
        worker.kill()
        wait_for(lambda: health()[1]["checks"]["workers"]["alive"] == 0, 15, "the heartbeat to lapse")
        code, data = health()
        assert code == 200 and data["status"] == "degraded"
        assert data["checks"]["workers"]["status"] == "down"

        # Beat stops: the queue depth stays put and equals the broker's own count.
        beat.kill()
        beat.wait(timeout=10)
        settings.HEALTH_BEAT_STALE_S = 2
        wait_for(lambda: health()[1]["checks"]["beat"]["status"] == "down", 15, "beat to go stale")
        depth = redis.Redis.from_url(own_redis.url(0)).llen("celery")
        assert depth >= 1
        code, data = health()
        assert data["checks"]["broker"]["depth"] == depth
        live_depth = redis.Redis.from_url(own_redis.url(0)).llen(settings.ANALYTICS_LIVE_QUEUE)
        assert data["checks"]["broker"]["live_queue"] == settings.ANALYTICS_LIVE_QUEUE
        assert data["checks"]["broker"]["live_depth"] == live_depth
        settings.HEALTH_QUEUE_DEPTH_WARN = depth - 1
        code, data = health()
        assert code == 200 and data["checks"]["broker"]["status"] == "warning"
    finally:
        worker.kill()
        if beat.poll() is None:
            beat.kill()
            beat.wait(timeout=10)


def test_redis_gone_is_503_down_for_the_load_balancer_and_for_ingest(queue_on_own_redis, asset, api):
    assert health()[0] == 200
    queue_on_own_redis.kill()
    code, data = health()
    assert code == 503 and data["status"] == "down"
    assert data["checks"]["cache"]["status"] == "down"
    assert data["checks"]["broker"]["status"] == "down"
    assert data["checks"]["database"]["status"] == "ok"
    # The node is out of the pool because ingest itself cannot give a 201 now (CONTRACTS §17.4).
    assert post_events(api, body(series("PUMP-01", 3))).status_code == 503


def test_database_gone_is_503_down(settings):
    from django.db import connection

    port = free_port()  # nothing listens there
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = port
    connection.settings_dict["HOST"] = "127.0.0.1"
    try:
        code, data = health()
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert code == 503 and data["status"] == "down"
    assert data["checks"]["database"]["status"] == "down"
    assert data["checks"]["spool"]["status"] == "down"


def test_timeseries_store_gone_is_degraded_with_the_spool_backlog(settings, asset, api):
    from ingestion.timeseries import reset_store

    settings.TIMESERIES_BACKEND = "influxdb"
    settings.INFLUXDB_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens: an outage
    settings.INFLUXDB_DATABASE = "pdm_health"
    reset_store()
    try:
        assert post_events(api, body(series("PUMP-01", 3))).status_code == 202
        assert post_events(api, body(series("PUMP-01", 4, step_s=7))).status_code == 202
        code, data = health()
    finally:
        reset_store()
    assert code == 200 and data["status"] == "degraded"
    assert data["checks"]["timeseries"]["status"] == "down"
    spool = data["checks"]["spool"]
    assert (spool["status"], spool["entries"], spool["events"]) == ("warning", 2, 7)
    assert 0 <= spool["oldest_age_s"] < 60


def test_embedded_mode_without_broker_is_ok_and_says_what_is_off(settings):
    code, data = health()
    assert code == 200 and data["status"] == "ok"
    for name in ("broker", "workers", "beat"):
        assert data["checks"][name]["status"] == "off"


def test_cache_alone_gone_is_degraded_not_down(settings, asset, api):
    settings.CACHES = {
        "default": {
            "BACKEND": "pdm_project.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    code, data = health()
    assert code == 200 and data["status"] == "degraded"
    assert data["checks"]["cache"]["status"] == "down"
    # ingest keeps working without it (no throttle, the registry read from SQL)
    assert post_events(api, body(series("PUMP-01", 3))).status_code == 201
