"""Recorded analytics work whose wake-up message was lost is woken again by the periodic sweep.

The pending range is durable in SQL; the broker message only wakes a worker. These tests lose
the message on purpose (it stays on a queue no worker reads, or is never published) and check
that `analytics_requeue_stalled` publishes it again once, and only for work that is really stalled.
The last test does it end to end with a real Redis broker and a real Celery worker process.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from analytics import services as analytics_services
from analytics.models import AnalyticsState
from assessment.tasks import asset_pipeline_task, pipeline_enqueue, pipeline_request
from ingestion import services as ingest_services
from ingestion.handoff import AssetSpan
from ingestion.models import Tenant
from ingestion.timeseries import get_store
from tests.analytics.fleet import healthy_fleet
from tests.factories import AssetFactory, TenantFactory
from tests.ingestion.events import T0


@pytest.fixture
def asset(transactional_db):
    return AssetFactory(tenant=TenantFactory(name="acme"), asset_id="M-1")


def request_work(asset) -> None:
    pipeline_request([AssetSpan(asset.asset_id, T0, T0, 1, asset.pk)])


def requeue_stalled(now) -> list[str]:
    """The periodic sweep (assessment.tasks.pipeline_requeue_stalled_task) at wall-clock ``now``."""
    return analytics_services.analytics_requeue_stalled(enqueue=pipeline_enqueue, now=now)


def visibility() -> timedelta:
    return timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])


def test_wakes_a_queued_asset_once_its_wake_up_is_overdue(asset, woken):
    request_work(asset)
    assert woken == [asset.pk]  # the wake-up that the broker then loses
    later = timezone.now() + timedelta(seconds=settings.ANALYTICS_REQUEUE_AFTER_S + 1)

    assert requeue_stalled(now=later) == [asset.asset_id]
    assert woken == [asset.pk, asset.pk]
    state = AnalyticsState.objects.get(asset=asset)
    assert state.queued and state.queued_at == later and state.pending_from == T0


def test_does_not_wake_the_same_stalled_asset_twice_in_one_period(asset, woken):
    request_work(asset)
    later = timezone.now() + timedelta(seconds=settings.ANALYTICS_REQUEUE_AFTER_S + 1)
    requeue_stalled(now=later)

    assert requeue_stalled(now=later + timedelta(seconds=1)) == []
    assert woken == [asset.pk, asset.pk]


def test_leaves_a_recently_queued_asset_alone(asset, woken):
    request_work(asset)
    soon = timezone.now() + timedelta(seconds=settings.ANALYTICS_REQUEUE_AFTER_S - 60)

    assert requeue_stalled(now=soon) == []
    assert woken == [asset.pk]


def test_wakes_an_asset_whose_taken_range_was_abandoned(asset, woken):
    request_work(asset)
    assert (
        analytics_services._take_work(asset.pk, live=False, enqueue=pipeline_enqueue) is not None
    )  # a run takes it, then dies unacked
    state = AnalyticsState.objects.get(asset=asset)
    assert not state.queued and state.inflight_from == T0

    within = state.taken_at + visibility() - timedelta(seconds=1)
    assert requeue_stalled(now=within) == []
    after = state.taken_at + visibility() + timedelta(seconds=1)
    assert requeue_stalled(now=after) == [asset.asset_id]
    assert woken == [asset.pk, asset.pk]
    assert AnalyticsState.objects.get(asset=asset).queued


def test_an_idle_asset_is_never_woken(asset, woken):
    request_work(asset)
    analytics_services._take_work(asset.pk, live=False, enqueue=pipeline_enqueue)
    analytics_services._finish_work(asset.pk, T0, T0)
    far = timezone.now() + timedelta(days=30)

    assert requeue_stalled(now=far) == []


@pytest.mark.slow
def test_a_real_worker_processes_work_whose_message_was_lost(influx_settings, celery_worker, monkeypatch):
    events, manifest = healthy_fleet()
    events = events[:1500]  # about a day: features only, no baseline yet
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    asset_id = manifest["assets"][0]["asset_id"]
    with monkeypatch.context() as lost:
        lost.setattr(asset_pipeline_task, "apply_async", lambda *a, **k: None)  # the broker loses the message
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(events))
    store = get_store()
    time.sleep(1.0)
    assert store.count(measurement="features", asset_id=asset_id) == 0
    assert AnalyticsState.objects.get(asset__asset_id=asset_id).queued

    later = timezone.now() + timedelta(seconds=settings.ANALYTICS_REQUEUE_AFTER_S + 1)
    assert requeue_stalled(now=later) == [asset_id]

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = AnalyticsState.objects.get(asset__asset_id=asset_id)
        if not state.queued and state.pending_from is None and state.inflight_from is None:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the worker did not run the woken asset; log:\n{celery_worker.log()[-3000:]}")
    assert store.count(measurement="features", asset_id=asset_id) == len(events)
