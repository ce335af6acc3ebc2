"""Celery tasks of report schedules: thin wrappers, each calling one service (see services.py)."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction

from . import services
from .models import DeliveryStatus


@shared_task(acks_late=True)
def report_schedule_run(schedule_id: int) -> None:
    """Fired by beat (the schedule's PeriodicTask): build the previous period's reports, then
    queue their e-mail."""
    delivery = services.schedule_run(schedule_id=schedule_id)
    if delivery is not None and delivery.status == DeliveryStatus.PENDING:
        delivery_id = delivery.pk
        transaction.on_commit(lambda: report_delivery_send.delay(delivery_id))


@shared_task(bind=True, acks_late=True, max_retries=None)
def report_delivery_send(self, delivery_id: int) -> None:
    """E-mail a delivery; a transient SMTP failure is retried after REPORT_EMAIL_RETRY_BASE_S,
    doubling each time, until REPORT_EMAIL_MAX_ATTEMPTS attempts (then the delivery is failed)."""
    try:
        services.delivery_send(delivery_id=delivery_id)
    except services.DeliveryRetry as exc:
        raise self.retry(countdown=exc.countdown_s, exc=exc) from exc


@shared_task
def report_deliveries_requeue() -> None:
    """Periodic (beat): queue again the sends of pending deliveries whose task was lost."""
    for delivery_id in services.deliveries_requeue_stalled():
        report_delivery_send.delay(delivery_id)
