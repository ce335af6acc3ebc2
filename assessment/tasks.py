"""Celery tasks of the assessment app, and the event-time pipeline's entry points.

Thin: each takes ids, calls one service, is idempotent and acks late. The pipeline reads top
to bottom from here (docs/ARCHITECTURE.md):

1. ingest stores events and calls ``settings.INGEST_HANDOFF``, which is `pipeline_request`:
   analytics commits each asset's pending event-time range and `asset_pipeline_task` is
   enqueued where no run is queued;
2. `asset_pipeline_task` runs analytics (features, baseline, scores) chunk by chunk and
   hands each chunk to `services.assessments_run` (health, risk, RUL, alerts).

Analytics sits below assessment and imports none of it: this module passes it the task to
enqueue and the assessment step.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import OperationalError

from analytics import baseline_versions
from analytics import services as analytics_services
from ingestion.handoff import AssetSpan
from ingestion.timeseries import TimeSeriesUnavailable

from . import conf, selectors, services
from .explain import parse_rfc3339


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # A restarting PostgreSQL or InfluxDB is waited out here, in seconds, rather than by the
    # 5-minute stalled-run sweep: the run keeps its range in flight and takes it again.
    autoretry_for=(TimeSeriesUnavailable, OperationalError),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=None,
    ignore_result=True,
)
def asset_pipeline_task(asset_pk: int, live: bool = False) -> None:
    """Features -> baseline -> scores -> assessment for the asset's pending event-time range
    (``live``: sent to the live queue, CONTRACTS §17.4)."""
    analytics_services.asset_pipeline_run(
        asset_pk=asset_pk, assess=services.assessments_run, enqueue=pipeline_enqueue, live=live
    )


def pipeline_enqueue(asset_pk: int, *, live: bool, delay_s: float = 0.0) -> object:
    """Publish one pipeline run: live runs to ``ANALYTICS_LIVE_QUEUE`` (its own worker,
    pdm-worker-live.service), backfill runs to the default queue, ``delay_s`` seconds from now
    (the linger of CONTRACTS §17.4)."""
    if live:
        return asset_pipeline_task.apply_async(
            args=[asset_pk], kwargs={"live": True}, queue=settings.ANALYTICS_LIVE_QUEUE
        )
    if delay_s > 0:
        return asset_pipeline_task.apply_async(args=[asset_pk], countdown=delay_s)
    return asset_pipeline_task.apply_async(args=[asset_pk])


def pipeline_request(spans: list[AssetSpan]) -> list[str]:
    """The ingest hand-off (``settings.INGEST_HANDOFF``): commit each asset's pending range and
    wake a pipeline run where none is queued; returns the asset ids woken."""
    return analytics_services.analytics_request(spans=spans, enqueue=pipeline_enqueue)


@shared_task(acks_late=True, ignore_result=True)
def pipeline_requeue_stalled_task() -> int:
    """Every 5 min: wake workers for assets whose wake-up message was lost (Redis restart)."""
    return len(analytics_services.analytics_requeue_stalled(enqueue=pipeline_enqueue))


@shared_task(acks_late=True, ignore_result=True)
def baselines_retrain_due_task() -> int:
    """Daily: retrain baselines that are due over a recent, assessed-healthy window (opt-in)."""
    return len(baseline_versions.baselines_retrain_due(window_healthy=selectors.asset_window_healthy))


@shared_task(acks_late=True, ignore_result=True)
def assessments_run_task(asset_id: str, start_iso: str, end_iso: str) -> int:
    """Assess the event-time grid of one asset over [start, end] (idempotent)."""
    return services.assessments_run(
        asset_id=asset_id, start=parse_rfc3339(start_iso), end=parse_rfc3339(end_iso)
    )


@shared_task(acks_late=True, ignore_result=True)
def stale_check() -> int:
    """Open no_data alerts for assets whose newest event is older than stale_after (wall clock)."""
    return services.assets_stale_check()


@shared_task(acks_late=True, ignore_result=True)
def alerts_escalate_and_repeat() -> dict:
    """Escalations, reminders and re-enqueueing of stuck notification attempts (wall clock)."""
    return services.alerts_escalate_and_repeat()


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(services.DeliveryRetryable,),
    retry_backoff=conf.NOTIFY_BACKOFF_S,
    retry_backoff_max=conf.NOTIFY_BACKOFF_MAX_S,
    retry_jitter=False,
    max_retries=conf.NOTIFY_MAX_ATTEMPTS - 1,
)
def notification_send(self, attempt_id: int) -> str:
    """Deliver one notification attempt; network errors and 5xx are retried with backoff
    (60, 120, 240, 480 s: five tries in all), then the attempt is marked failed."""
    return services.notification_deliver(attempt_id=attempt_id)
