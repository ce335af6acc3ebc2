"""Celery tasks of the assessment app: thin, take ids, call one service, idempotent, acks_late."""

from __future__ import annotations

from celery import shared_task

from . import conf, services
from .explain import parse_rfc3339

# Periodic tasks; merged into CELERY_BEAT_SCHEDULE by the settings.
BEAT_SCHEDULE = {
    "assessment-stale-check": {"task": "assessment.tasks.stale_check", "schedule": 60.0},
    "assessment-alerts-escalate-and-repeat": {
        "task": "assessment.tasks.alerts_escalate_and_repeat",
        "schedule": 60.0,
    },
}


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
