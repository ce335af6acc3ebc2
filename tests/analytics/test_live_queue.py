"""Live runs go to their own queue; runs of one asset stay serialised (CONTRACTS §17.4).

A run whose event-time range starts within ANALYTICS_LIVE_WINDOW_S of the wall clock is sent to
ANALYTICS_LIVE_QUEUE, every other run to the default queue. The wake-ups are published to private
queues of the real Redis broker and read back from there; the last test runs a real Celery
worker that consumes only the live queue, as pdm-worker-live.service does.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from analytics import services as analytics_services
from analytics.models import AnalyticsState
from assessment.models import Alert
from assessment.services import assessments_run
from assessment.tasks import pipeline_enqueue
from ingestion import services as ingest_services
from ingestion.timeseries import get_store
from tests.factories import AssetFactory, TenantFactory
from tests.fixtures.celery_worker import WorkerProcess, _db_env, _reset_connections, redis_url, require_redis
from tests.ingestion.events import event, series


class Queues:
    """The asset pks published to the private default and live queues, oldest first."""

    def __init__(self, client, default: str, live: str):
        self.client, self.default, self.live = client, default, live

    def pks(self, queue: str) -> list[int]:
        out = []
        for raw in reversed(self.client.lrange(queue, 0, -1)):  # kombu LPUSHes: newest first
            args, _kwargs, _embed = json.loads(base64.b64decode(json.loads(raw)["body"]))
            out.append(int(args[0]))
        return out

    def etas(self, queue: str) -> list[datetime | None]:
        """The ETA of each message (None: to run at once), oldest first."""
        out = []
        for raw in reversed(self.client.lrange(queue, 0, -1)):
            eta = json.loads(raw)["headers"].get("eta")
            out.append(None if eta is None else datetime.fromisoformat(eta))
        return out


@pytest.fixture
def queues(transactional_db, settings):
    """Wake-ups go to the real Redis broker, on two private queues no worker consumes."""
    require_redis()
    import redis

    from pdm_project.celery import app

    tag = uuid.uuid4().hex[:8]
    default, live = f"test-default-{tag}", f"test-live-{tag}"
    settings.ANALYTICS_LIVE_QUEUE = live
    settings.ANALYTICS_LIVE_WINDOW_S = 3600
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=redis_url(), task_always_eager=False, task_default_queue=default)
    _reset_connections(app)
    client = redis.Redis.from_url(redis_url())
    try:
        yield Queues(client, default, live)
    finally:
        client.delete(default, live)
        client.close()
        app.conf.update(**old)
        _reset_connections(app)


@pytest.fixture
def asset(transactional_db):
    return AssetFactory(tenant=TenantFactory(name="acme"), asset_id="M-1")


def now_grid() -> datetime:
    """The latest 10-min grid point (CONTRACTS §13.1): live data."""
    t = int(time.time()) // 600 * 600
    return datetime.fromtimestamp(t, UTC)


def ingest(asset, events) -> None:
    ingest_services.events_ingest(tenant=asset.tenant, body=json.dumps(events))


def state_of(asset) -> AnalyticsState:
    return AnalyticsState.objects.get(asset=asset)


def test_run_is_live_within_the_window_of_the_wall_clock(settings):
    settings.ANALYTICS_LIVE_WINDOW_S = 600
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert analytics_services.run_is_live(start=now - timedelta(seconds=600), now=now)
    assert not analytics_services.run_is_live(start=now - timedelta(seconds=601), now=now)
    assert not analytics_services.run_is_live(start=None, now=now)
    settings.ANALYTICS_LIVE_WINDOW_S = 0  # the live queue turned off
    assert not analytics_services.run_is_live(start=now, now=now)


def test_live_data_wakes_the_live_queue_and_backfill_the_default_queue(queues, asset):
    backfill = AssetFactory(tenant=asset.tenant, asset_id="M-2")
    ingest(asset, [event("M-1", now_grid())])
    ingest(backfill, series("M-2", 30, start=datetime.now(UTC) - timedelta(days=3)))
    assert queues.pks(queues.live) == [asset.pk]
    assert queues.pks(queues.default) == [backfill.pk]


def test_a_live_batch_of_an_asset_with_a_backlog_wakes_the_default_queue(queues, asset):
    """The run takes the whole pending range: with a backlog it is a backfill run."""
    ingest(asset, series("M-1", 30, start=datetime.now(UTC) - timedelta(days=3)))
    state = state_of(asset)
    AnalyticsState.objects.filter(pk=state.pk).update(queued=False)  # as if the message was taken
    ingest(asset, [event("M-1", now_grid())])
    assert queues.pks(queues.default) == [asset.pk, asset.pk]
    assert queues.pks(queues.live) == []


def test_a_live_run_finding_a_backfill_range_sends_it_to_the_default_queue(queues, asset):
    ingest(asset, [event("M-1", now_grid())])
    ingest(asset, series("M-1", 30, start=datetime.now(UTC) - timedelta(days=3)))  # widens, no message
    assert queues.pks(queues.live) == [asset.pk] and queues.pks(queues.default) == []

    result = analytics_services.asset_pipeline_run(
        asset_pk=asset.pk, assess=assessments_run, enqueue=pipeline_enqueue, live=True
    )
    assert result is None
    assert queues.pks(queues.default) == [asset.pk]
    state = state_of(asset)
    assert state.queued and state.pending_from is not None and state.inflight_from is None
    assert get_store().count(measurement="features", asset_id="M-1") == 0


def test_a_live_run_waits_for_the_running_backfill_run_of_its_asset(queues, asset):
    """While a backfill run of the asset holds its run lock, the live run of the same asset gives
    its wake-up back and computes nothing; the backfill run, when it ends, wakes the live queue
    for what arrived meanwhile, and that run analyses it."""
    history = series("M-1", 60, start=datetime.now(UTC) - timedelta(days=3))
    ingest(asset, history)
    assert queues.pks(queues.default) == [asset.pk]
    live_event = event("M-1", now_grid(), temperature_c=120.0)
    concurrent: dict[str, object] = {}

    def live_worker() -> None:
        try:
            concurrent["result"] = analytics_services.asset_pipeline_run(
                asset_pk=asset.pk, assess=assessments_run, enqueue=pipeline_enqueue, live=True
            )
            concurrent["state"] = state_of(asset)
        finally:
            connection.close()

    def assess_during_backfill(**kwargs) -> int:
        if "result" not in concurrent:
            ingest(asset, [live_event])  # arrives while the backfill run holds the asset
            worker = threading.Thread(target=live_worker)  # its own database connection
            worker.start()
            worker.join(60)
        return assessments_run(**kwargs)

    backfill = analytics_services.asset_pipeline_run(
        asset_pk=asset.pk, assess=assess_during_backfill, enqueue=pipeline_enqueue, live=False
    )
    assert concurrent["result"] is None  # the live run computed nothing beside the backfill run
    assert not concurrent["state"].queued and concurrent["state"].pending_from is not None
    assert backfill.features == len(history)
    # the ended backfill run woke the live queue again for the live event
    assert queues.pks(queues.live) == [asset.pk, asset.pk]
    assert state_of(asset).queued

    live = analytics_services.asset_pipeline_run(
        asset_pk=asset.pk, assess=assessments_run, enqueue=pipeline_enqueue, live=True
    )
    assert live.features == 1
    state = state_of(asset)
    assert state.pending_from is None and state.inflight_from is None and not state.queued
    assert get_store().count(measurement="features", asset_id="M-1") == len(history) + 1
    assert Alert.objects.filter(asset=asset, conditions__cause="rule:temperature_limit").exists()


def test_the_rewake_of_a_streamed_backfill_waits_the_linger_and_the_first_wake_up_does_not(
    queues, asset, settings
):
    """Events that arrive while a backfill run holds the asset are taken by a run sent with a
    delay of ANALYTICS_BACKFILL_LINGER_S, so that it takes what streams in meanwhile as well."""
    settings.ANALYTICS_BACKFILL_LINGER_S = 15
    start = datetime.now(UTC) - timedelta(days=3)
    ingest(asset, series("M-1", 60, start=start))
    assert queues.etas(queues.default) == [None]
    batches = iter([start + timedelta(days=1), start + timedelta(days=2)])

    def assess_while_streaming(**kwargs) -> int:
        if (batch := next(batches, None)) is not None:  # one batch arrives during each run
            ingest(asset, series("M-1", 30, start=batch))  # still backfill: a day old and more
        return assessments_run(**kwargs)

    def backfill_run() -> tuple[datetime, datetime]:
        before = datetime.now(UTC)
        analytics_services.asset_pipeline_run(
            asset_pk=asset.pk, assess=assess_while_streaming, enqueue=pipeline_enqueue, live=False
        )
        return before, datetime.now(UTC)

    before, after = backfill_run()
    assert queues.pks(queues.default) == [asset.pk, asset.pk] and queues.pks(queues.live) == []
    rewake = queues.etas(queues.default)[1]
    assert rewake is not None and before + timedelta(seconds=15) <= rewake <= after + timedelta(seconds=15)

    settings.ANALYTICS_BACKFILL_LINGER_S = 0  # turned off: the re-wake goes at once
    backfill_run()
    assert queues.pks(queues.default) == [asset.pk] * 3
    assert queues.etas(queues.default)[2] is None


def test_a_backfill_hand_off_within_the_linger_of_the_last_run_waits_until_it_ends(queues, asset, settings):
    settings.ANALYTICS_BACKFILL_LINGER_S = 15
    start = datetime.now(UTC) - timedelta(days=3)
    ingest(asset, series("M-1", 60, start=start))
    before = datetime.now(UTC)
    analytics_services.asset_pipeline_run(
        asset_pk=asset.pk, assess=assessments_run, enqueue=pipeline_enqueue, live=False
    )
    taken_at = state_of(asset).taken_at
    assert before <= taken_at <= datetime.now(UTC)
    ingest(asset, series("M-1", 30, start=start + timedelta(days=1)))  # the next batch of the backfill
    first, second = queues.etas(queues.default)
    assert first is None
    # the next run starts no sooner than 15 s after the last one took its range
    assert second is not None and abs((second - (taken_at + timedelta(seconds=15))).total_seconds()) < 0.01

    AnalyticsState.objects.filter(asset=asset).update(
        queued=False, taken_at=datetime.now(UTC) - timedelta(seconds=20)
    )
    ingest(asset, series("M-1", 30, start=start + timedelta(days=2)))  # its last run is 20 s old
    assert queues.etas(queues.default)[2] is None


@pytest.mark.slow
def test_a_worker_of_the_live_queue_alone_opens_the_incident_of_live_data(
    influx_settings, transactional_db, settings, tmp_path
):
    """pdm-worker-live.service's worker (only the live queue) analyses a live threshold crossing
    while the backfill of another asset waits in the default queue for pdm-worker.service."""
    require_redis()
    import os

    from django.conf import settings as django_settings

    from pdm_project.celery import app

    tag = uuid.uuid4().hex[:8]
    default, live = f"test-default-{tag}", f"test-live-{tag}"
    settings.ANALYTICS_LIVE_QUEUE = live
    env = {
        **os.environ,
        **_db_env(),
        "CELERY_BROKER_URL": redis_url(),
        "CELERY_TASK_DEFAULT_QUEUE": default,
        "ANALYTICS_LIVE_QUEUE": live,
        "INFLUXDB_URL": django_settings.INFLUXDB_URL,
        "INFLUXDB_DATABASE": django_settings.INFLUXDB_DATABASE,
        "PYTHONUNBUFFERED": "1",
    }
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=redis_url(), task_always_eager=False, task_default_queue=default)
    _reset_connections(app)
    worker = WorkerProcess(env, live, tmp_path / "worker.log")
    tenant = TenantFactory(name="acme")
    hot = AssetFactory(tenant=tenant, asset_id="M-1")
    backfill = AssetFactory(tenant=tenant, asset_id="M-2")
    try:
        worker.start()
        ingest(backfill, series("M-2", 30, start=datetime.now(UTC) - timedelta(days=3)))
        ingest(hot, [event("M-1", now_grid(), temperature_c=120.0)])
        deadline = time.monotonic() + 90
        while not Alert.objects.filter(asset=hot, conditions__cause="rule:temperature_limit").exists():
            if time.monotonic() > deadline:
                raise AssertionError(f"no incident from the live worker; log:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        assert state_of(hot).pending_from is None
        waiting = state_of(backfill)
        assert waiting.queued and waiting.pending_from is not None  # not taken by the live worker
        assert get_store().count(measurement="features", asset_id="M-2") == 0
    finally:
        worker.stop()
        import redis

        redis.Redis.from_url(redis_url()).delete(default, live)
        app.conf.update(**old)
        _reset_connections(app)
