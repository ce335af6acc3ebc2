"""Forecast model versions in SQL (docs/CONTRACTS.md §19.1).

One row per training of a scope (an asset, a meter being an asset of type ``meter``, a site, or
the fleet): the fitted quantile models when trained, or the rule and sentence of the refusal.
Imported by ``analytics.models`` so Django finds the model (migrations in analytics/).
"""

from __future__ import annotations

from django.db import models

from ingestion.models import Tenant


class ForecastScope(models.TextChoices):
    ASSET = "asset", "Asset (a meter is an asset of type meter)"
    SITE = "site", "Site (its active assets summed)"
    FLEET = "fleet", "Fleet (the tenant's active assets summed)"


class ForecastStatus(models.TextChoices):
    TRAINED = "trained", "Trained"
    REFUSED = "refused", "Refused (history too short or too sparse)"


class ForecastModel(models.Model):
    """A trained (or refused) version of a scope's load forecast, with its training window,
    feature set and backtest figures. The newest version of a scope is the one served."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="forecast_models")
    scope = models.CharField(max_length=8, choices=ForecastScope.choices)
    scope_id = models.CharField(
        max_length=64, blank=True, help_text="asset_id or site code; empty for the fleet"
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=ForecastStatus.choices)
    refusal_rule = models.CharField(max_length=32, blank=True)
    refusal_reason = models.TextField(blank=True)
    history_start = models.DateTimeField(null=True, blank=True, help_text="first hour with load read")
    training_start = models.DateTimeField(null=True, blank=True)
    training_end = models.DateTimeField(help_text="exclusive: the hour after the last hour of history")
    covered_hours = models.PositiveIntegerField(default=0, help_text="hours with load in the history read")
    timezone = models.CharField(max_length=64, default="UTC", help_text="zone of the calendar features")
    features = models.JSONField(default=list, blank=True)
    config = models.JSONField(default=dict, blank=True)
    calibration = models.JSONField(default=dict, blank=True)
    backtest = models.JSONField(default=dict, blank=True)
    samples = models.PositiveIntegerField(default=0)
    model_blob = models.BinaryField(null=True, blank=True, editable=False)
    fit_s = models.FloatField(default=0.0, help_text="wall-clock seconds of the training (backtest included)")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant_id", "scope", "scope_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "scope", "scope_id", "version"], name="forecast_model_scope_version"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "scope", "scope_id", "-version"], name="forecast_model_latest")
        ]

    def __str__(self) -> str:
        what = self.scope if self.scope == ForecastScope.FLEET else f"{self.scope} {self.scope_id}"
        return f"forecast of {what} v{self.version} ({self.status})"
