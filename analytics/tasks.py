"""Celery tasks of the analytics app: thin, idempotent.

The pipeline's own tasks (a run per asset, the stalled-run sweep, scheduled retraining) live in
`assessment.tasks`: each run ends with the assessment, which analytics may not import.
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task

from ingestion.models import Asset

from . import baseline_versions
from .energy.services import energy_rollups_rebuild


@shared_task(acks_late=True, ignore_result=True)
def baseline_train_task(baseline_request: dict) -> None:
    """Train a baseline over an admin-chosen window (docs/CONTRACTS.md §7.1, admin retraining)."""
    asset = Asset.objects.get(pk=baseline_request["asset_pk"])
    baseline_versions.baseline_train(
        asset=asset,
        window_start=datetime.fromisoformat(baseline_request["start"]),
        window_end=datetime.fromisoformat(baseline_request["end"]),
        source=baseline_request.get("source", "admin"),
        created_by=baseline_request.get("by", "system"),
    )


@shared_task(acks_late=True, ignore_result=True)
def energy_rollups_rebuild_task(asset_pk: int) -> int:
    """Recompute an asset's hourly energy rollups from its stored events (admin action)."""
    return energy_rollups_rebuild(asset=Asset.objects.get(pk=asset_pk))
