"""GET /metrics: counts summed over every web and worker process, gauges read at scrape time,
readable only from the allowed networks or with the token (docs/CONTRACTS.md §17.5)."""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient

from analytics.models import AnalyticsState
from assessment.models import Alert
from pdm_project.devservices import free_port
from tests.factories import AssetFactory, TenantFactory, token_for
from tests.fixtures.celery_worker import ROOT, _db_env
from tests.ingestion.events import body, event, series

pytestmark = pytest.mark.django_db(transaction=True)
T0 = (datetime.now(UTC) - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of a Prometheus text exposition."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def scrape(client=None) -> dict:
    response = (client or APIClient()).get("/metrics")
    assert response.status_code == 200, response.content
    return samples(response.content.decode())


def post(base: str, data: bytes, headers: dict) -> requests.Response:
    return requests.post(f"{base}/api/v1/ingest", data=data, headers=headers, timeout=30)


@pytest.fixture
def web(own_redis, tmp_path):
    """gunicorn with deploy/gunicorn.conf.py and two worker processes, counters in a private Redis."""
    port = free_port()
    env = {
        **os.environ,
        **_db_env(),
        "REDIS_URL": own_redis.url(1),
        "CELERY_BROKER_URL": "",
        "INFLUXDB_URL": "",
        "DJANGO_SECRET_KEY": "metrics-tests-only",
        "PDM_BIND": f"127.0.0.1:{port}",
        "PDM_WEB_WORKERS": "2",
        "API_TOKEN_RATE": "100000/s",
        "PDM_DATA_DIR": str(tmp_path),
    }
    log = tmp_path / "gunicorn.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pdm_project.wsgi:application", "--config", "deploy/gunicorn.conf.py"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/api/v1/health", timeout=20).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"gunicorn did not start: {log.read_text()[-3000:]}")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def test_ingest_counts_are_summed_over_the_web_processes(web):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01", asset_type="pump")
    token = token_for(tenant, "ingest")
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for i in range(12):  # a new connection each: both processes take some
        events = series("PUMP-01", 3, start=T0 + timedelta(hours=i))
        r = post(web, body(events), {**auth, "Connection": "close"})
        assert r.status_code == 201, r.text
    bad = event("PUMP-01", T0) | {"current_a": -5}
    for _ in range(2):
        assert post(web, body([bad]), auth).status_code == 422
    wrong = {**auth, "Authorization": "Bearer pdm_0000000000_nope"}
    assert post(web, body([bad]), wrong).status_code == 401
    plain = {**auth, "Content-Type": "text/plain"}
    assert post(web, body([bad]), plain).status_code == 415
    time.sleep(2.5)  # each process adds its counts every second
    text = requests.get(f"{web}/metrics", timeout=10).text
    got = samples(text)
    assert got[("pdm_ingest_events_accepted_total", (("outcome", "stored"),))] == 36
    assert got[("pdm_ingest_rejected_total", (("reason", "invalid"),))] == 2
    assert got[("pdm_ingest_rejected_total", (("reason", "unauthenticated"),))] == 1
    assert got[("pdm_ingest_rejected_total", (("reason", "unsupported_media_type"),))] == 1
    assert got[("pdm_metrics_store_up", ())] == 1


@pytest.fixture
def celery_worker_env(own_redis, settings):
    """The worker's and this process's counters in a private Redis (no other test adds to them)."""
    settings.CACHES = {"default": {"BACKEND": "pdm_project.cache.RedisCache", "LOCATION": own_redis.url(1)}}
    return {"REDIS_URL": own_redis.url(1)}


def test_task_durations_come_from_a_real_worker(celery_worker):
    from ingestion.tasks import spool_replay_task

    for _ in range(3):
        spool_replay_task.delay().get(timeout=60)
    name = "ingestion.tasks.spool_replay_task"
    key = (("state", "SUCCESS"), ("task", name))

    def count():
        return scrape().get(("pdm_task_duration_seconds_count", key), 0)

    deadline = time.monotonic() + 15
    while count() < 3 and time.monotonic() < deadline:
        time.sleep(0.3)
    got = scrape()
    assert got[("pdm_task_duration_seconds_count", key)] == 3
    assert got[("pdm_task_duration_seconds_bucket", (("le", "+Inf"), *key))] == 3
    assert 0 < got[("pdm_task_duration_seconds_sum", key)] < 60


def test_pipeline_lag_is_the_widest_unanalysed_event_time_span_per_asset_type():
    tenant = TenantFactory(name="acme")
    pump_a = AssetFactory(tenant=tenant, asset_id="P-1", asset_type="pump")
    pump_b = AssetFactory(tenant=tenant, asset_id="P-2", asset_type="pump")
    fan = AssetFactory(tenant=tenant, asset_id="F-1", asset_type="fan")
    idle_motor = AssetFactory(tenant=tenant, asset_id="M-1", asset_type="motor")
    AnalyticsState.objects.create(asset=pump_a, pending_from=T0, pending_until=T0 + timedelta(minutes=30))
    # a run holds [T0, T0+1 h] while [T0+1 h, T0+90 min] waits: 90 min not analysed
    AnalyticsState.objects.create(
        asset=pump_b,
        inflight_from=T0,
        inflight_until=T0 + timedelta(hours=1),
        pending_from=T0 + timedelta(hours=1),
        pending_until=T0 + timedelta(minutes=90),
        queued=True,
        queued_at=datetime.now(UTC) - timedelta(seconds=40),
    )
    AnalyticsState.objects.create(asset=fan, inflight_from=T0, inflight_until=T0 + timedelta(seconds=20))
    AnalyticsState.objects.create(asset=idle_motor)
    got = scrape()
    assert got[("pdm_pipeline_lag_seconds", (("asset_type", "pump"),))] == 5400
    assert got[("pdm_pipeline_lag_seconds", (("asset_type", "fan"),))] == 20
    assert got[("pdm_pipeline_lag_seconds", (("asset_type", "motor"),))] == 0
    assert got[("pdm_pipeline_assets_pending", (("asset_type", "pump"),))] == 2
    assert got[("pdm_pipeline_assets_pending", (("asset_type", "motor"),))] == 0
    assert 40 <= got[("pdm_pipeline_oldest_queued_age_seconds", ())] < 100
    assert got[("pdm_assets_active", (("asset_type", "pump"),))] == 2


def test_alert_gauges_count_unresolved_alerts_by_state_and_severity():
    tenant = TenantFactory(name="acme")
    # one unresolved equipment incident per asset (CONTRACTS §15.2)
    pumps = [AssetFactory(tenant=tenant, asset_id=f"P-{i}", asset_type="pump") for i in range(1, 4)]
    common = {"tenant": tenant, "opened_at": T0, "last_seen_at": T0, "explanation": "x"}
    Alert.objects.create(**common, asset=pumps[0], cause="rule:overcurrent", severity="high")
    Alert.objects.create(**common, asset=pumps[1], cause="rule:temperature_limit", severity="high")
    Alert.objects.create(
        **common, asset=pumps[2], cause="risk_critical", severity="critical", state="acknowledged"
    )
    Alert.objects.create(
        **common, asset=pumps[0], cause="rule:low_pf", severity="warning", state="resolved", resolution="auto"
    )
    got = scrape()
    unresolved = "pdm_alerts_unresolved"
    assert got[(unresolved, (("severity", "high"), ("state", "open")))] == 2
    assert got[(unresolved, (("severity", "critical"), ("state", "acknowledged")))] == 1
    assert got[(unresolved, (("severity", "warning"), ("state", "open")))] == 0
    assert got[("pdm_alerts_opened_total", (("severity", "warning"),))] == 1
    assert got[("pdm_alerts_opened_total", (("severity", "high"),))] == 2


def test_spool_gauges_follow_the_spool(settings):
    from ingestion.services.spool import spool_append
    from ingestion.timeseries import Point

    tenant = TenantFactory(name="acme")
    points = [Point("events", "P-1", T0 + timedelta(seconds=i), {"current_a": 1.0}) for i in range(5)]
    spool_append(tenant=tenant, points=points)
    spool_append(tenant=tenant, points=points[:2])
    got = scrape()
    assert got[("pdm_spool_entries", ())] == 2
    assert got[("pdm_spool_events", ())] == 7


def test_refuses_readers_outside_the_allowed_networks_without_the_token(settings):
    settings.METRICS_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    settings.METRICS_TOKEN = "scrape-secret"
    client = APIClient()
    refused = client.get("/metrics")  # the test client comes from 127.0.0.1
    assert refused.status_code == 403
    assert "PDM_METRICS_TOKEN" in refused.json()["detail"]
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret")
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain")
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403
