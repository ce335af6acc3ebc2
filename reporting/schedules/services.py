"""Writes of report schedules: save/delete with their beat PeriodicTask, run a period, send its e-mail.

A schedule's run is two steps, each a Celery task calling one service here:
`schedule_run` (beat fires it) computes the period, claims the period's `ReportDelivery` and builds
the reports; `delivery_send` e-mails them and is retried on transient SMTP failures
(docs/CONTRACTS.md §16.5).
"""

from __future__ import annotations

import json
import logging
import smtplib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from reporting import services as report_services

from .models import FORMATS_FILES, DeliveryStatus, ReportDelivery, ReportSchedule
from .periods import previous_period
from .rules import cron_fields, schedule_timezone

log = logging.getLogger(__name__)

RUN_TASK = "reporting.schedules.tasks.report_schedule_run"
#: a pending send this late (its task lost) is queued again by `deliveries_requeue_stalled`
REQUEUE_AFTER = timedelta(minutes=5)
MIME = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class DeliveryRetry(Exception):
    """A transient SMTP failure: the send is tried again later (the delivery stays pending)."""

    def __init__(self, message: str, attempts: int, countdown_s: int):
        super().__init__(message)
        self.attempts, self.countdown_s = attempts, countdown_s


# --- schedules and their periodic tasks ----------------------------------------------------------


def _periodic_task_sync(schedule: ReportSchedule) -> None:
    """Create or update the schedule's beat entry: its crontab in the schedule's time zone,
    enabled with the schedule. Saving a PeriodicTask tells a running beat to reload."""
    zone = schedule_timezone(tenant=schedule.tenant, scope=schedule.scope, scope_id=schedule.scope_id)
    fields = cron_fields(period_rule=schedule.period_rule, run_at=schedule.run_at, cron=schedule.cron)
    crontab = CrontabSchedule.objects.filter(**fields, timezone=zone).first()
    if crontab is None:
        crontab = CrontabSchedule.objects.create(**fields, timezone=zone)
    task = schedule.periodic_task or PeriodicTask(name=f"report-schedule-{schedule.pk}")
    task.task = RUN_TASK
    task.crontab = crontab
    task.interval = None
    task.args = json.dumps([schedule.pk])
    task.kwargs = "{}"
    task.enabled = schedule.enabled
    task.description = f"report schedule {schedule.pk} of {schedule.tenant}: {schedule}"[:1000]
    task.save()
    if schedule.periodic_task_id != task.pk:
        schedule.periodic_task = task
        ReportSchedule.objects.filter(pk=schedule.pk).update(periodic_task=task)


@transaction.atomic
def schedule_save(*, schedule: ReportSchedule) -> ReportSchedule:
    """Save a validated schedule (new or changed) and its PeriodicTask together."""
    schedule.save()
    _periodic_task_sync(schedule)
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: ReportSchedule) -> None:
    """Delete the schedule, its deliveries and its PeriodicTask (its reports stay until they expire)."""
    task_id = schedule.periodic_task_id
    schedule.delete()
    if task_id is not None:
        PeriodicTask.objects.filter(pk=task_id).delete()


# --- one run: the period, its delivery row and its reports -----------------------------------------


def schedule_run(*, schedule_id: int, now: datetime | None = None) -> ReportDelivery | None:
    """Build the reports of the period before `now` and leave the delivery pending for sending.

    Idempotent per schedule and period: the delivery row is unique on both, so a second run finds
    it and builds only what is missing (nothing once its reports are ready); a delivery already
    sent or failed is returned unchanged. A disabled or deleted schedule does nothing (None).
    """
    schedule = ReportSchedule.objects.filter(pk=schedule_id).select_related("tenant").first()
    if schedule is None or not schedule.enabled:
        return None
    zone = schedule_timezone(tenant=schedule.tenant, scope=schedule.scope, scope_id=schedule.scope_id)
    start, end = previous_period(rule=schedule.period_rule, now=now or timezone.now(), zone_name=zone)
    defaults = {"timezone": zone, "recipients": list(schedule.recipients)}
    try:
        delivery, _ = ReportDelivery.objects.get_or_create(
            schedule=schedule, period_start=start, period_end=end, defaults=defaults
        )
    except IntegrityError:  # a concurrent run created it first
        delivery = ReportDelivery.objects.get(schedule=schedule, period_start=start, period_end=end)
    if delivery.status != DeliveryStatus.PENDING:
        return delivery
    for fmt in FORMATS_FILES[schedule.formats]:
        if delivery.reports.filter(format=fmt, status="ready").exists():
            continue
        try:
            report = report_services.report_request(
                tenant=schedule.tenant,
                scope=schedule.scope,
                scope_id=schedule.scope_id,
                period_start=start,
                period_end=end,
                fmt=fmt,
                requested_by=f"schedule:{schedule.pk}",
            )
        except (report_services.ReportInvalid, report_services.ReportScopeNotFound) as exc:
            # e.g. the asset was deleted since the schedule was saved
            error = f"the {fmt} report cannot be requested: {exc}"
        else:
            if report.status != "ready":  # large reports come back queued: build them in this run
                report = report_services.report_build(report_id=report.pk)
            delivery.reports.add(report)
            error = (
                ""
                if report.status == "ready"
                else (f"the {fmt} report could not be built: {report.error or report.status}")
            )
        if error:
            delivery.status = DeliveryStatus.FAILED
            delivery.error = error
            delivery.save(update_fields=["status", "error"])
            log.error("report delivery %s failed: %s", delivery.pk, delivery.error)
            return delivery
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["next_attempt_at"])
    return delivery


def deliveries_requeue_stalled(*, now: datetime | None = None) -> list[int]:
    """Pending deliveries whose send is overdue by REQUEUE_AFTER_S (its task was lost, e.g. with
    the broker's data): their ids, each marked due now so the next sweep leaves it alone."""
    now = now or timezone.now()
    with transaction.atomic():
        stalled = list(
            ReportDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - REQUEUE_AFTER)
            .values_list("pk", flat=True)
        )
        ReportDelivery.objects.filter(pk__in=stalled).update(next_attempt_at=now)
    return stalled


# --- the e-mail ------------------------------------------------------------------------------------


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def delivery_message(*, delivery: ReportDelivery) -> EmailMessage:
    """The e-mail of a delivery: subject and plain-text body naming scope and period (local time
    and UTC), with every report file attached."""
    schedule = delivery.schedule
    tenant = schedule.tenant
    what = {"asset": f"asset {schedule.scope_id}", "site": f"site {schedule.scope_id}", "fleet": "fleet"}[
        schedule.scope
    ]
    local_start = _local(delivery.period_start, delivery.timezone)
    local_end = _local(delivery.period_end, delivery.timezone)
    rule = schedule.period_rule.replace("_", " ")
    subject = f"[PdM] {tenant.name} report, {what}: {local_start[:10]} to {local_end[:10]} ({rule})"
    reports = sorted(delivery.reports.filter(status="ready"), key=lambda r: r.format)
    names = [report_services.report_filename(report=r) for r in reports]
    lines = [
        f"Scheduled report of {tenant.name} for the {what}"
        + (f": {schedule.name}" if schedule.name else "."),
        "",
        f"Period ({delivery.timezone}): {local_start} to {local_end}",
        f"Period (UTC): {_utc(delivery.period_start)} to {_utc(delivery.period_end)}",
        "",
        "Attached:",
        *(f"  {name} ({r.size_bytes or 0} bytes)" for name, r in zip(names, reports, strict=True)),
        "",
        "Each report can also be downloaded until it expires: "
        + ", ".join(f"/api/v1/reports/{r.pk}/download" for r in reports),
        "",
        f"You receive this as a recipient of report schedule {schedule.pk} "
        f"(/api/v1/report-schedules/{schedule.pk}).",
    ]
    message = EmailMessage(
        subject=subject, body="\n".join(lines), from_email=settings.DEFAULT_FROM_EMAIL, to=delivery.recipients
    )
    for name, report in zip(names, reports, strict=True):
        message.attach(name, report_services.report_content(report=report), MIME[report.format])
    return message


def _transient(exc: Exception) -> bool:
    """Worth another try: connection trouble and SMTP 4xx answers; 5xx answers are permanent."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return isinstance(exc, smtplib.SMTPException | OSError)


def delivery_send(*, delivery_id: int) -> ReportDelivery:
    """Send a pending delivery's e-mail once; raises DeliveryRetry after a transient failure
    while attempts remain (`REPORT_EMAIL_MAX_ATTEMPTS`).

    The row is locked while sending, so two workers never send one delivery twice; a delivery
    that is not pending (sent, failed) is returned unchanged.
    """
    retry: DeliveryRetry | None = None
    with transaction.atomic():
        delivery = (
            ReportDelivery.objects.select_for_update(of=("self",))
            .select_related("schedule__tenant")
            .get(pk=delivery_id)
        )
        if delivery.status != DeliveryStatus.PENDING:
            return delivery
        delivery.attempts += 1
        message: EmailMessage | None = None
        try:
            message = delivery_message(delivery=delivery)
        except OSError as exc:  # a report file is gone (expired) or unreadable: sending again won't help
            delivery.error = f"attempt {delivery.attempts}: report file unreadable: {exc}"
            delivery.status = DeliveryStatus.FAILED
        if message is not None:
            try:
                message.send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as exc:
                delivery.error = f"attempt {delivery.attempts}: {type(exc).__name__}: {exc}"
                if _transient(exc) and delivery.attempts < settings.REPORT_EMAIL_MAX_ATTEMPTS:
                    countdown_s = settings.REPORT_EMAIL_RETRY_BASE_S * 2 ** (delivery.attempts - 1)
                    retry = DeliveryRetry(delivery.error, delivery.attempts, countdown_s)
                    delivery.next_attempt_at = timezone.now() + timedelta(seconds=countdown_s)
                else:
                    delivery.status = DeliveryStatus.FAILED
            else:
                delivery.status, delivery.sent_at, delivery.error = DeliveryStatus.SENT, timezone.now(), ""
        if delivery.status == DeliveryStatus.FAILED:
            log.error("report delivery %s failed: %s", delivery.pk, delivery.error)
        if delivery.status != DeliveryStatus.PENDING:
            delivery.next_attempt_at = None
        delivery.save(update_fields=["attempts", "error", "status", "sent_at", "next_attempt_at"])
    if retry is not None:
        raise retry
    return delivery
