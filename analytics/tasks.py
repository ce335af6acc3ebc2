"""Celery tasks of the analytics app: thin, idempotent, retried on transient store errors."""

from __future__ import annotations

from celery import shared_task

from ingestion.timeseries import TimeSeriesUnavailable

from . import services


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TimeSeriesUnavailable,),
    retry_backoff=5,
    retry_backoff_max=300,
    max_retries=None,
    ignore_result=True,
)
def asset_pipeline_task(asset_pk: int) -> None:
    """Features -> baseline -> scores -> assessment for the asset's pending event-time range."""
    services.asset_pipeline_run(asset_pk=asset_pk)


@shared_task(acks_late=True, ignore_result=True)
def baseline_train_task(baseline_request: dict) -> None:
    """Train a baseline over an admin-chosen window (from the admin action or the API)."""
    from datetime import datetime

    from ingestion.models import Asset

    asset = Asset.objects.get(pk=baseline_request["asset_pk"])
    services.baseline_train(
        asset=asset,
        window_start=datetime.fromisoformat(baseline_request["start"]),
        window_end=datetime.fromisoformat(baseline_request["end"]),
        source=baseline_request.get("source", "admin"),
        created_by=baseline_request.get("by", "system"),
    )


@shared_task(acks_late=True, ignore_result=True)
def baselines_retrain_due_task() -> int:
    """Daily: retrain baselines that are due over a recent, assessed-healthy window (opt-in)."""
    return len(services.baselines_retrain_due())


@shared_task(acks_late=True, ignore_result=True)
def analytics_requeue_stalled_task() -> int:
    """Every 5 min: wake workers for assets whose wake-up message was lost (Redis restart)."""
    return len(services.analytics_requeue_stalled())


@shared_task(acks_late=True, ignore_result=True)
def energy_rollups_rebuild_task(asset_pk: int) -> int:
    """Recompute an asset's hourly energy rollups from its stored events (admin action)."""
    from ingestion.models import Asset

    from .energy.services import energy_rollups_rebuild

    return energy_rollups_rebuild(asset=Asset.objects.get(pk=asset_pk))
