"""Celery tasks of the load forecast: thin, idempotent (CONTRACTS §19.1).

Registered through ``analytics.apps`` (autodiscovery looks for ``analytics.tasks`` only)."""

from __future__ import annotations

from datetime import UTC, datetime

from celery import shared_task

from ingestion.models import Tenant

from . import services
from .selectors import ScopeNotFound


@shared_task(acks_late=True, ignore_result=True)
def forecast_train_task(tenant_id: int, scope: str, scope_id: str) -> int | None:
    """Train one scope up to the current hour; returns the version served (None: scope gone)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return None
    try:
        row = services.forecast_train(tenant=tenant, scope=scope, scope_id=scope_id, now=datetime.now(UTC))
    except ScopeNotFound:
        return None
    return row.version


@shared_task(acks_late=True, ignore_result=True)
def forecasts_retrain_daily_task() -> int:
    """Daily (beat): one training task per scope; each is idempotent, so a repeated or
    overlapping run adds no version for a scope without a new measured hour."""
    scopes = services.forecast_scopes_due()
    for tenant_id, scope, scope_id in scopes:
        forecast_train_task.delay(tenant_id, scope, scope_id)
    return len(scopes)
