"""A report schedule (what to send, to whom, when) and one delivery per schedule and period.

Each schedule owns one django-celery-beat `PeriodicTask`; `services.schedule_save` keeps it in
step, so beat's database scheduler fires it at the schedule's local run time.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models

from ingestion.models import Tenant
from reporting.models import ReportScope  # defined before reporting.models imports this module

from .periods import PeriodRule


class ScheduleFormats(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"
    BOTH = "both", "PDF and Excel"


FORMATS_FILES: dict[str, tuple[str, ...]] = {"pdf": ("pdf",), "xlsx": ("xlsx",), "both": ("pdf", "xlsx")}


class ReportSchedule(models.Model):
    """A report of one scope sent to recipients after every period of `period_rule`.

    `scope_id` is the asset id, the site code, or "" for the fleet. Run time: `cron` (five fields,
    minute hour day-of-month month day-of-week, in the schedule's time zone) when set, else `run_at`
    local time every day / every Monday / on the 1st, per the rule.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="report_schedules")
    name = models.CharField(max_length=200, blank=True, default="")
    scope = models.CharField(max_length=8, choices=ReportScope.choices)
    scope_id = models.CharField(max_length=64, blank=True, default="")
    period_rule = models.CharField(
        max_length=16, choices=[(r.value, r.value.replace("_", " ")) for r in PeriodRule]
    )
    formats = models.CharField(max_length=8, choices=ScheduleFormats.choices, default=ScheduleFormats.BOTH)
    recipients = models.JSONField(
        default=list, help_text='e-mail addresses, e.g. ["plant.manager@example.com"]'
    )
    enabled = models.BooleanField(default=True)
    run_at = models.TimeField(
        default=datetime.time(6, 0),
        help_text="local time of day (the schedule's time zone) the report is sent",
    )
    cron = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="optional cron expression 'minute hour day-of-month month day-of-week' (local time); "
        "overrides run_at",
    )
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="report_schedule",
    )
    created_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant__name", "id"]
        indexes = [models.Index(fields=["tenant", "enabled"])]

    def __str__(self) -> str:
        what = f"{self.scope}:{self.scope_id}" if self.scope_id else self.scope
        return self.name or f"{what} {self.period_rule} ({self.formats})"

    def clean(self) -> None:
        from .rules import schedule_problems  # the rules read the registry, which imports models

        if self.tenant_id is None:
            return  # the form reports the missing tenant itself
        problems = schedule_problems(
            tenant=self.tenant,
            scope=self.scope,
            scope_id=self.scope_id,
            period_rule=self.period_rule,
            formats=self.formats,
            recipients=self.recipients,
            cron=self.cron,
        )
        if problems:
            raise ValidationError(problems)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "pending"  # reports built, e-mail not sent yet (or being retried)
    SENT = "sent", "sent"
    FAILED = "failed", "failed"


class ReportDelivery(models.Model):
    """One run of a schedule for one period: the reports built and the e-mail's fate.

    Unique per (schedule, period): a second run for the same period finds this row and sends nothing.
    """

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="deliveries")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    timezone = models.CharField(max_length=64, help_text="the IANA zone the period was counted in")
    reports = models.ManyToManyField("reporting.Report", blank=True, related_name="deliveries")
    recipients = models.JSONField(default=list)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="e-mail send attempts so far")
    next_attempt_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="when the next send is due (pending only); a send task lost past it is queued again",
    )
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        verbose_name_plural = "report deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"], name="delivery_schedule_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule} {self.period_start:%Y-%m-%d}: {self.status}"
