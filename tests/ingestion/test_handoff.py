"""The analytics hand-off of ingest: the pending range is committed before 201, and concurrent
batches naming the same assets neither deadlock, lose a range nor wake a worker twice.

The hand-off is `assessment.tasks.pipeline_request`, what `settings.INGEST_HANDOFF` names.
Its wake-ups go to a real Redis queue that no worker consumes (the `woken` fixture): these
tests are about which hand-offs wake a worker, not about Celery;
tests/analytics/test_worker_pipeline.py runs the same hand-off with a real worker.
"""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import psycopg
import pytest
from django.db import connection

from analytics import services as analytics_services
from analytics.models import AnalyticsState
from assessment.tasks import pipeline_enqueue, pipeline_request
from ingestion.handoff import AssetSpan
from tests.factories import AssetFactory, TenantFactory
from tests.ingestion.events import T0


@pytest.fixture
def assets(transactional_db):
    tenant = TenantFactory(name="acme")
    return [AssetFactory(tenant=tenant, asset_id=f"M-{i}") for i in range(6)]


def span(asset, start, end) -> AssetSpan:
    return AssetSpan(asset.asset_id, start, end, 1, asset.pk)


def state(asset) -> AnalyticsState:
    return AnalyticsState.objects.get(asset=asset)


def test_the_range_is_committed_when_the_hand_off_returns(assets, woken):
    a, b = assets[:2]
    pipeline_request([span(a, T0, T0)])

    pipeline_request([span(a, T0 - timedelta(hours=1), T0), span(b, T0, T0 + timedelta(hours=2))])

    # Read through a connection of its own: what another process (a worker) sees now.
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        with psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        ) as other:
            rows = other.execute(
                "SELECT asset_id, pending_from, pending_until, queued FROM analytics_analyticsstate ORDER BY asset_id"
            ).fetchall()
    else:
        import sqlite3

        with sqlite3.connect(settings["NAME"]) as other:
            rows = other.execute(
                "SELECT asset_id, pending_from, pending_until, queued FROM analytics_analyticsstate ORDER BY asset_id"
            ).fetchall()
    assert [(pk, bool(queued)) for pk, _, _, queued in rows] == [(a.pk, True), (b.pk, True)]
    assert (state(a).pending_from, state(a).pending_until) == (T0 - timedelta(hours=1), T0)
    assert (state(b).pending_from, state(b).pending_until) == (T0, T0 + timedelta(hours=2))
    assert woken == [a.pk, b.pk]


def test_a_queued_asset_is_widened_and_not_woken_again_until_a_run_takes_its_range(assets, woken):
    a = assets[0]

    assert pipeline_request([span(a, T0, T0 + timedelta(minutes=1))]) == [a.asset_id]
    assert pipeline_request([span(a, T0 - timedelta(days=1), T0)]) == []
    assert pipeline_request([span(a, T0 + timedelta(hours=1), T0 + timedelta(hours=1))]) == []

    assert woken == [a.pk]
    s = state(a)
    assert (s.pending_from, s.pending_until, s.queued) == (
        T0 - timedelta(days=1),
        T0 + timedelta(hours=1),
        True,
    )

    # The run takes the range (and clears `queued`); the next hand-off wakes a worker again.
    assert analytics_services._take_work(a.pk, live=False, enqueue=pipeline_enqueue)[1:] == (
        T0 - timedelta(days=1),
        T0 + timedelta(hours=1),
    )
    assert pipeline_request([span(a, T0 + timedelta(hours=2), T0 + timedelta(hours=3))]) == [a.asset_id]
    s = state(a)
    assert (s.pending_from, s.pending_until, s.queued) == (
        T0 + timedelta(hours=2),
        T0 + timedelta(hours=3),
        True,
    )
    assert woken == [a.pk, a.pk]


def test_spans_without_the_asset_key_are_resolved_by_asset_id(assets, woken):
    a = assets[0]

    pipeline_request([AssetSpan(a.asset_id, T0, T0, 1)])

    assert state(a).pending_from == T0 and woken == [a.pk]


def test_concurrent_batches_naming_the_same_assets_lose_nothing_and_wake_each_asset_once(assets, woken):
    """Eight threads, each handing off twenty batches over random subsets of six assets in
    random order: no deadlock or other database error, every asset's pending range is the
    union of all its spans, and each asset is woken exactly once (no run takes work here)."""
    rng = random.Random(3)
    plans = []
    for _ in range(8):
        batches = []
        for _ in range(20):
            chosen = rng.sample(assets, rng.randint(1, len(assets)))
            batches.append(
                [
                    span(
                        a,
                        T0 + timedelta(minutes=rng.randint(-500, 0)),
                        T0 + timedelta(minutes=rng.randint(0, 500)),
                    )
                    for a in chosen
                ]
            )
        plans.append(batches)
    errors: list[BaseException] = []
    start = threading.Barrier(len(plans))

    def hand_off(batches) -> None:
        try:
            start.wait()
            for spans in batches:
                pipeline_request(spans)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=hand_off, args=(p,)) for p in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    for a in assets:
        spans = [s for batches in plans for b in batches for s in b if s.asset_pk == a.pk]
        s = state(a)
        assert (s.pending_from, s.pending_until) == (min(x.start for x in spans), max(x.end for x in spans))
        assert s.queued
    assert sorted(woken) == sorted(a.pk for a in assets)


@pytest.fixture
def unreachable_broker():
    """The real Celery app publishing to a port nothing listens on (not eager)."""
    from pdm_project.celery import app
    from pdm_project.devservices import free_port
    from tests.fixtures.celery_worker import _reset_connections

    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{free_port()}/0", task_always_eager=False)
    _reset_connections(app)
    yield app
    app.conf.update(**old)
    _reset_connections(app)


def test_a_wake_up_the_broker_refuses_answers_503_and_the_resend_queues_the_run(
    assets, unreachable_broker, settings
):
    from rest_framework.test import APIClient

    from ingestion.timeseries import get_store, reset_store
    from tests.factories import token_for
    from tests.ingestion.events import body, event

    settings.INFLUXDB_URL = ""
    reset_store()
    a = assets[0]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(a.tenant, 'ingest')}")
    payload = body([event(a.asset_id, T0)])

    refused = client.generic("POST", "/api/v1/ingest", payload, content_type="application/json")

    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert refused.json() == {"detail": "analytics queue unreachable; retry the same request"}
    assert get_store().count(measurement="events", asset_id=a.asset_id) == 1  # stored already
    s = state(a)
    assert (s.pending_from, s.pending_until, s.queued) == (T0, T0, False)  # recorded, not queued

    unreachable_broker.conf.update(task_always_eager=True)  # the broker is back (in-process here)
    resent = client.generic("POST", "/api/v1/ingest", payload, content_type="application/json")

    assert resent.status_code == 201
    s = state(a)  # the run was queued and (eagerly) took the range
    assert (s.pending_from, s.queued, s.runs) == (None, False, 1)
    assert get_store().count(measurement="events", asset_id=a.asset_id) == 1
    reset_store()
