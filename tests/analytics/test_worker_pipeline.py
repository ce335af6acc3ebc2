"""A real Redis broker and a real Celery worker: ingest -> features -> scores, even across a SIGKILL."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from analytics.models import AnalyticsState, Baseline
from ingestion import services as ingest_services
from ingestion.models import Tenant
from ingestion.timeseries import get_store
from tests.analytics.fleet import healthy_fleet, steady_times

EPOCH, FAR = datetime(2000, 1, 2, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)
pytestmark = pytest.mark.slow


@pytest.fixture
def celery_worker_env():
    return {"BASELINE_DEFAULT_HOURS": "72", "BASELINE_MIN_EVENTS": "500", "CELERY_VISIBILITY_TIMEOUT_S": "5"}


def wait_for(predicate, timeout: float, what: str, worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; worker log tail:\n{worker.log()[-3000:]}")


def idle(asset_id: str) -> bool:
    state = AnalyticsState.objects.filter(asset__asset_id=asset_id).first()
    return (
        state is not None and state.pending_from is None and state.inflight_from is None and not state.queued
    )


def test_worker_killed_mid_run_still_yields_every_score_exactly_once(
    influx_settings, celery_worker, settings
):
    settings.BASELINE_DEFAULT_HOURS, settings.BASELINE_MIN_EVENTS = 72, 500
    events, manifest = healthy_fleet()
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    asset_id = manifest["assets"][0]["asset_id"]
    store = get_store()

    ingest_services.events_ingest(tenant=tenant, body=json.dumps(events))
    # Kill the worker while the run is part-way: some features written, the range still in flight.
    wait_for(
        lambda: 0 < store.count(measurement="features", asset_id=asset_id) < len(events),
        60,
        "the first features",
        celery_worker,
    )
    celery_worker.kill()
    assert not idle(asset_id)
    partial = store.count(measurement="features", asset_id=asset_id)
    assert partial < len(events)

    celery_worker.start()  # the unacked task is redelivered after the visibility timeout
    wait_for(
        lambda: idle(asset_id) and Baseline.objects.filter(active=True).exists(),
        180,
        "the pipeline",
        celery_worker,
    )

    baseline = Baseline.objects.get(asset__asset_id=asset_id, active=True)
    times = [p.time for p in store.read(measurement="scores", asset_id=asset_id, start=EPOCH, end=FAR)]
    expected = [t for t in steady_times(events, baseline.asset.rated_current_a) if t >= baseline.window_end]
    assert times == expected  # every steady-running event after the baseline window scored, once, in order
    assert store.count(measurement="features", asset_id=asset_id) == len(events)
