"""Analytics state in SQL: versioned baselines (with their anomaly model) and per-asset progress."""

from __future__ import annotations

from django.db import models

from ingestion.models import Asset


class BaselineSource(models.TextChoices):
    DEFAULT = "default", "Default window after commissioning"
    ADMIN = "admin", "Window chosen by an admin"
    SCHEDULED = "schedule", "Scheduled retraining over a recent healthy window"


class BaselineStatus(models.TextChoices):
    TRAINED = "trained", "Trained"
    REFUSED = "refused", "Refused (too little or unusable data)"


class Baseline(models.Model):
    """One trained (or refused) healthy profile of an asset, with its Isolation-Forest model."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="baselines")
    version = models.PositiveIntegerField()
    source = models.CharField(max_length=8, choices=BaselineSource.choices)
    status = models.CharField(max_length=8, choices=BaselineStatus.choices)
    message = models.TextField(blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    split_at = models.DateTimeField(null=True, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    holdout_count = models.PositiveIntegerField(default=0)
    stats = models.JSONField(default=dict, blank=True)
    model_blob = models.BinaryField(null=True, blank=True, editable=False)
    model_meta = models.JSONField(default=dict, blank=True)
    false_anomaly_rate = models.FloatField(null=True, blank=True)
    validation_passed = models.BooleanField(default=False)
    active = models.BooleanField(default=False)
    forced = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, default="system")

    class Meta:
        ordering = ["asset__asset_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "version"], name="baseline_asset_version"),
            models.UniqueConstraint(
                fields=["asset"], condition=models.Q(active=True), name="baseline_one_active_per_asset"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset.asset_id} baseline v{self.version} ({self.status}{', active' if self.active else ''})"


class AnalyticsState(models.Model):
    """Coalesced work queue and progress of one asset's pipeline, all in event time."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="analytics_state")
    pending_from = models.DateTimeField(null=True, blank=True, help_text="earliest event time to (re)process")
    pending_until = models.DateTimeField(null=True, blank=True, help_text="newest event time seen")
    queued = models.BooleanField(default=False)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="wall clock when a run was last queued (stalled-queue sweep)"
    )
    inflight_from = models.DateTimeField(
        null=True, blank=True, help_text="range a run has taken, until it succeeds"
    )
    inflight_until = models.DateTimeField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True, help_text="wall clock when a run took its range")
    baseline_attempted = models.BooleanField(default=False)
    runs = models.PositiveIntegerField(default=0)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"analytics state of {self.asset.asset_id}"


# The energy subpackage keeps its models beside its code; importing them here registers them
# with the analytics app (migrations in analytics/migrations).
from .energy.models import HealthyPowerFit, SiteEnergy, Tariff  # noqa: E402
from .forecast.models import ForecastModel  # noqa: E402

__all__ = [
    "AnalyticsState",
    "Baseline",
    "BaselineSource",
    "BaselineStatus",
    "ForecastModel",
    "HealthyPowerFit",
    "SiteEnergy",
    "Tariff",
]
