"""Per-asset limits, assessments (health, risk, RUL, explanation), alerts with their audit
trail, notifications.

Times: fields documented as *event time* follow the asset's readings (docs/CONTRACTS.md conventions);
``created_at``/``updated_at``/``at`` and the notification times are wall clock.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import models
from django.utils import timezone

from ingestion.models import Asset, Tenant

from .health import FACTORS

CONTRACT_VERSION = "1"


def _health_weights_error(weights: Any) -> str | None:
    """Why a health_weights override is refused (None when it is valid or empty)."""
    if weights is None or weights == {}:
        return None
    if not isinstance(weights, dict):
        return 'health_weights must be an object such as {"vibration": 1.5}.'
    unknown = sorted(k for k in weights if k not in FACTORS)
    if unknown:
        return (
            f"health_weights: unknown component(s) {', '.join(unknown)}; components are {', '.join(FACTORS)}."
        )
    for name, w in weights.items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not (math.isfinite(w) and 0 <= w <= 2):
            return f"health_weights: the weight of {name} must be a number between 0 and 2, got {w!r}."
    return None


class AssetThresholds(models.Model):
    """Per-asset overrides of the contract's default limits; an empty field keeps the default."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="thresholds")
    temperature_warn_c = models.FloatField(null=True, blank=True)
    temperature_limit_c = models.FloatField(null=True, blank=True)
    vibration_zone_ab_mm_s = models.FloatField(null=True, blank=True, verbose_name="zone A/B boundary (mm/s)")
    vibration_zone_bc_mm_s = models.FloatField(null=True, blank=True, verbose_name="zone B/C boundary (mm/s)")
    vibration_zone_cd_mm_s = models.FloatField(null=True, blank=True, verbose_name="zone C/D boundary (mm/s)")
    power_factor_limit = models.FloatField(null=True, blank=True)
    voltage_band_pct = models.FloatField(null=True, blank=True)
    current_limit_pct = models.FloatField(
        null=True, blank=True, help_text="Overcurrent starts above this % of rated."
    )
    temperature_rise_excess_limit_k = models.FloatField(
        null=True,
        blank=True,
        verbose_name="temperature rise excess limit (K)",
        help_text="Risk at least High when the rise over ambient exceeds this machine's healthy rise at "
        "the same load by this much (default 30 K; the penalty starts at 10 K).",
    )
    health_weights = models.JSONField(
        null=True,
        blank=True,
        help_text='Weights of health components, 0 to 2 each (default 1), e.g. {"temperature_rise": 0.5}.',
    )
    stale_after_minutes = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "asset thresholds"

    def __str__(self) -> str:
        return f"thresholds of {self.asset.asset_id}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        ranges = {
            "temperature_warn_c": (-50, 250),
            "temperature_limit_c": (-50, 250),
            "vibration_zone_ab_mm_s": (0.1, 100),
            "vibration_zone_bc_mm_s": (0.1, 100),
            "vibration_zone_cd_mm_s": (0.1, 100),
            "power_factor_limit": (0.5, 1.0),
            "voltage_band_pct": (0.5, 20),
            "current_limit_pct": (50, 200),
            "temperature_rise_excess_limit_k": (15, 100),
            "stale_after_minutes": (1, 7 * 24 * 60),
        }
        for name, (lo, hi) in ranges.items():
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or not lo <= value <= hi):
                errors[name] = f"{name} must be between {lo:g} and {hi:g}, got {value:g}."
        warn, limit = self.temperature_warn_c, self.temperature_limit_c
        if "temperature_warn_c" not in errors and warn is not None and limit is not None and warn >= limit:
            errors["temperature_warn_c"] = (
                f"warning temperature ({warn:g} C) must be below the limit ({limit:g} C)."
            )
        weights_error = _health_weights_error(self.health_weights)
        if weights_error:
            errors["health_weights"] = weights_error
        ab, bc, cd = self.vibration_zone_ab_mm_s, self.vibration_zone_bc_mm_s, self.vibration_zone_cd_mm_s
        if ab is None or bc is None or cd is None:
            if ab is not None or bc is not None or cd is not None:
                errors["vibration_zone_ab_mm_s"] = "set all three zone boundaries (A/B, B/C, C/D) or none."
        elif not ab < bc < cd:
            errors["vibration_zone_ab_mm_s"] = "zone boundaries must increase: A/B < B/C < C/D."
        if errors:
            raise ValidationError(errors)


class RiskLevel(models.TextChoices):
    LOW = "Low", "Low"
    MEDIUM = "Medium", "Medium"
    HIGH = "High", "High"
    CRITICAL = "Critical", "Critical"


RISK_CODES: dict[str, int] = {RiskLevel.LOW: 0, RiskLevel.MEDIUM: 1, RiskLevel.HIGH: 2, RiskLevel.CRITICAL: 3}


class Assessment(models.Model):
    """Health, risk and RUL of one asset at one assessed event time (docs/CONTRACTS.md §13)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="assessments")
    as_of = models.DateTimeField(help_text="event time of the newest data used")
    evaluated_at = models.DateTimeField(
        help_text="event time of the assessment grid point that (last) produced this record"
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="wall clock of the computation")
    contract_version = models.CharField(max_length=8, default=CONTRACT_VERSION)
    health_score = models.PositiveSmallIntegerField()
    risk_level = models.CharField(max_length=8, choices=RiskLevel.choices)
    risk_code = models.PositiveSmallIntegerField()
    risk_overrides = models.JSONField(default=list, blank=True)
    rul_days = models.FloatField(null=True, blank=True)
    rul_low_days = models.FloatField(null=True, blank=True)
    rul_high_days = models.FloatField(null=True, blank=True)
    rul_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001 (null = not computable, §13.2)
    rul_channel = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 (null = not computable, §13.2)
    rul_method = models.CharField(max_length=16, null=True, blank=True)  # noqa: DJ001 (null = not computable, §13.2)
    rul_capped = models.BooleanField(default=False)
    stale = models.BooleanField(default=False)
    baseline_missing = models.BooleanField(default=False)
    baseline_version = models.PositiveIntegerField(null=True, blank=True)
    model_version = models.PositiveIntegerField(null=True, blank=True)
    anomaly_score = models.FloatField(null=True, blank=True)
    explanation = models.TextField()
    factors = models.JSONField(default=list, blank=True)
    inputs = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["asset__asset_id", "-as_of"]
        constraints = [models.UniqueConstraint(fields=["asset", "as_of"], name="assessment_asset_as_of")]
        indexes = [models.Index(fields=["asset", "-as_of"], name="assessment_asset_latest")]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} @ {self.as_of.isoformat()}: {self.health_score} {self.risk_level}"


class AssessmentState(models.Model):
    """Per-asset progress of the event-time grid: alert transitions are applied once per grid point."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="assessment_state")
    alerts_evaluated_until = models.DateTimeField(
        null=True, blank=True, help_text="newest grid point (event time) whose alert transitions are applied"
    )
    runs = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"assessment state of {self.asset.asset_id}"


class SiteSupplyState(models.Model):
    """Per (tenant, site) progress of the site supply evaluation (docs/CONTRACTS.md §15.6): the first
    asset run that reaches a grid point applies the site's transitions for it, once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="site_supply_states")
    site = models.CharField(max_length=64)
    evaluated_until = models.DateTimeField(
        null=True, blank=True, help_text="newest grid point (event time) whose site transitions are applied"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "site"], name="site_supply_state_site")]

    def __str__(self) -> str:
        return f"supply state of site {self.site} ({self.tenant})"


class AlertCause(models.TextChoices):
    RISK_CRITICAL = "risk_critical", "Risk Critical"
    RISK_HIGH = "risk_high", "Risk High or Critical"
    VIBRATION_ZONE_D = "rule:vibration_zone_d", "Vibration in ISO zone D"
    TEMPERATURE_LIMIT = "rule:temperature_limit", "Temperature at or above limit"
    OVERCURRENT = "rule:overcurrent", "Overcurrent"
    TEMPERATURE_RISE = "rule:temperature_rise", "Temperature rise above this machine's normal"
    VOLTAGE_BAND = "rule:voltage_band", "Voltage outside band"
    FREQUENCY_BAND = "rule:frequency_band", "Frequency outside band"
    LOW_PF = "rule:low_pf", "Low power factor"
    NO_DATA = "no_data", "No data"


class AlertState(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


ACTIVE_STATES = (AlertState.OPEN, AlertState.ACKNOWLEDGED)


class Severity(models.TextChoices):
    WARNING = "warning", "Warning"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK: dict[str, int] = {Severity.WARNING: 0, Severity.HIGH: 1, Severity.CRITICAL: 2}


class Resolution(models.TextChoices):
    MANUAL = "manual", "Manual"
    AUTO = "auto", "Automatic"


class AlertKind(models.TextChoices):
    """What an alert is about (docs/CONTRACTS.md §15): one equipment incident per asset and episode
    holds the risk and rule causes as its conditions; no-data and site supply alerts stay their own."""

    EQUIPMENT = "equipment", "Equipment incident"
    NO_DATA = "no_data", "No data"
    SITE_SUPPLY = "site_supply", "Site supply"


class Alert(models.Model):
    """One episode on an asset (an equipment incident, or a no-data alert) or on a site's supply,
    from open to resolved (docs/CONTRACTS.md §15).  An equipment incident's ``cause`` is its leading
    condition (the most severe, first in §15.1 order); its conditions are ``AlertCondition`` rows."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    asset = models.ForeignKey(
        Asset,
        on_delete=models.CASCADE,
        related_name="alerts",
        null=True,
        blank=True,
        help_text="null for a site supply alert (docs/CONTRACTS.md §15.6)",
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="alerts")
    site = models.CharField(
        max_length=64, blank=True, help_text="the supply site (Asset.supply_site); set on every alert"
    )
    kind = models.CharField(max_length=16, choices=AlertKind.choices, default=AlertKind.EQUIPMENT)
    cause = models.CharField(max_length=32, choices=AlertCause.choices)
    state = models.CharField(max_length=16, choices=AlertState.choices, default=AlertState.OPEN)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    peak_severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, help_text="the highest severity of the episode"
    )
    reopen_count = models.PositiveIntegerField(
        default=0, help_text="relapses within the reopen window that reopened this incident"
    )
    opened_at = models.DateTimeField(help_text="event time of the grid point that opened it")
    last_seen_at = models.DateTimeField(
        help_text="event time of the latest grid point with the cause present"
    )
    created_at = models.DateTimeField(default=timezone.now, help_text="wall clock of opening")
    updated_at = models.DateTimeField(auto_now=True)
    value = models.FloatField(null=True, blank=True)
    peak_value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    explanation = models.TextField()
    factors = models.JSONField(default=list, blank=True)
    guidance = models.JSONField(default=dict, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_event_time = models.DateTimeField(
        null=True, blank=True, help_text="event time of the grid point that auto-resolved it"
    )
    note = models.TextField(blank=True)
    resolution = models.CharField(  # noqa: DJ001 (null while active, §15.3)
        max_length=8, choices=Resolution.choices, null=True, blank=True
    )
    auto_resolved = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    last_notified_at = models.DateTimeField(null=True, blank=True)
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-opened_at", "cause"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "kind"],
                condition=models.Q(state__in=["open", "acknowledged"], asset__isnull=False),
                name="alert_one_active_per_asset_kind",
            ),
            models.UniqueConstraint(
                fields=["tenant", "site", "cause"],
                condition=models.Q(state__in=["open", "acknowledged"], asset__isnull=True),
                name="alert_one_active_per_site_cause",
            ),
        ]
        indexes = [
            models.Index(fields=["asset", "state"], name="alert_asset_state"),
            models.Index(fields=["state", "created_at"], name="alert_state_created"),
            models.Index(fields=["tenant", "site", "state"], name="alert_tenant_site_state"),
        ]

    def __str__(self) -> str:
        return f"{self.cause} on {self.subject} ({self.state})"

    def save(self, *args, **kwargs) -> None:
        if not self.peak_severity:
            self.peak_severity = self.severity
        # an asset alert belongs to its asset's tenant and site; only site alerts set them alone
        if self.asset_id is not None:
            if self.tenant_id is None:
                self.tenant_id = self.asset.tenant_id
            if not self.site:
                self.site = self.asset.supply_site  # type: ignore[union-attr]  # asset_id is set
        super().save(*args, **kwargs)

    @property
    def subject(self) -> str:
        """What the alert is about: the asset id, or ``site <name>`` for a site supply alert."""
        return self.asset.asset_id if self.asset_id is not None else f"site {self.site}"  # type: ignore[union-attr]

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class AlertCondition(models.Model):
    """One cause (a risk level or a rule) within an equipment incident (docs/CONTRACTS.md §15.2).

    ``active`` until the cause has been absent for the hold (event time of running); its severity
    counts towards the incident's while active."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="conditions")
    cause = models.CharField(max_length=32, choices=AlertCause.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices)
    first_seen_at = models.DateTimeField(help_text="event time of the first grid point with the cause")
    last_seen_at = models.DateTimeField(help_text="event time of the latest grid point with the cause")
    value = models.FloatField(null=True, blank=True)
    peak_value = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=16, blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    active = models.BooleanField(default=True)
    cleared_at = models.DateTimeField(
        null=True, blank=True, help_text="event time at which the hold ended (null while active)"
    )
    absent_running_s = models.FloatField(
        default=0.0, help_text="event time of running since last_seen_at with the cause absent (s)"
    )

    class Meta:
        ordering = ["alert", "first_seen_at", "cause"]
        constraints = [models.UniqueConstraint(fields=["alert", "cause"], name="alert_condition_cause")]

    def __str__(self) -> str:
        return f"{self.cause} in {self.alert_id} ({'active' if self.active else 'cleared'})"


class TransitionAction(models.TextChoices):
    OPENED = "opened", "Opened"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    ESCALATED = "escalated", "Escalated"
    REMINDED = "reminded", "Reminder sent"
    RAISED = "raised", "Severity raised"
    LOWERED = "lowered", "Severity lowered"
    REOPENED = "reopened", "Reopened"


class AlertTransition(models.Model):
    """Audit trail: one row per transition, escalation and reminder; never edited."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(max_length=16, choices=TransitionAction.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now, help_text="wall clock")
    event_time = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '-'} -> {self.to_state} by {self.actor}"


class ChannelKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class NotificationChannel(models.Model):
    """Where a tenant's alert notifications go. ``secret`` signs webhooks and is never shown again."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="notification_channels")
    name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=8, choices=ChannelKind.choices)
    target = models.CharField(max_length=500, help_text="email address or https:// URL")
    secret = models.CharField(max_length=200, blank=True, help_text="webhook HMAC secret (write-only)")
    active = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.WARNING)
    escalation_only = models.BooleanField(
        default=False, help_text="receives escalations only (docs/CONTRACTS.md §15.4 escalation_emails)"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant__name", "kind", "target"]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} ({self.tenant})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == ChannelKind.EMAIL:
            try:
                EmailValidator()(self.target)
            except ValidationError:
                errors["target"] = "an email channel needs one valid email address"
        elif self.kind == ChannelKind.WEBHOOK:
            try:
                URLValidator(schemes=["http", "https"])(self.target)
            except ValidationError:
                errors["target"] = "a webhook channel needs an http(s) URL"
            if not self.secret:
                errors["secret"] = "a webhook channel needs a secret to sign its requests"  # noqa: S105
        if errors:
            raise ValidationError(errors)


class NotificationEvent(models.TextChoices):
    OPENED = "opened", "alert.opened"
    RAISED = "raised", "alert.raised"
    REOPENED = "reopened", "alert.reopened"
    ESCALATED = "escalated", "alert.escalated"
    REPEAT = "repeat", "alert.reminder"
    RESOLVED = "resolved", "alert.resolved"


class AttemptStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    RETRYING = "retrying", "Waiting to retry"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class NotificationAttempt(models.Model):
    """One delivery of one alert event to one channel, with its retries."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notification_attempts")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="attempts")
    event = models.CharField(max_length=16, choices=NotificationEvent.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=AttemptStatus.choices, default=AttemptStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="attempt_status_due")]

    def __str__(self) -> str:
        return f"{self.event} of {self.alert_id} to {self.channel} ({self.status}, {self.attempts} tries)"
