"""Celery tasks of the reporting app: thin, take ids, call one service, idempotent."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def report_build_task(report_id: str) -> None:
    """Render a queued report (a no-op when it is ready already)."""
    services.report_build(report_id=report_id)


@shared_task(ignore_result=True)
def reports_expire_task() -> int:
    """Delete reports (rows and files) past their `expires_at`."""
    return services.reports_expire()
