"""Energy state in SQL: tariff versions per site and the healthy power model per baseline.

Imported by ``analytics.models`` so Django finds the models (migrations in analytics/).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from analytics.models import Baseline
from ingestion.models import Asset, Site

from .tariff import VERSION_KEYS, TariffVersion, tariff_problems

TARIFF_FIELDS = VERSION_KEYS


class BillingBasis(models.TextChoices):
    KWH = "kwh", "per kWh (active energy)"
    KVAH = "kvah", "per kVAh (apparent energy)"


class Tariff(models.Model):
    """One version of a site's tariff, in effect from ``effective_from`` (00:00 site time)
    until the next version's date (docs/CONTRACTS.md §18.5). Money in INR."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="tariffs")
    effective_from = models.DateField(help_text="site-local date from which this version applies")
    name = models.CharField(max_length=200, blank=True, help_text='e.g. "KSEB HT-I(A) industrial 2024-25"')
    currency = models.CharField(max_length=3, default="INR", choices=[("INR", "INR")])
    billing_basis = models.CharField(max_length=4, choices=BillingBasis.choices, default=BillingBasis.KWH)
    energy_rate = models.FloatField(help_text="INR per kWh or per kVAh (the billing basis)")
    tod_slots = models.JSONField(
        default=list,
        blank=True,
        help_text='time-of-day slots in site time, e.g. [{"name": "peak", "start": "18:00", "end": "22:00", '
        '"multiplier": 1.5}, {"name": "night", "start": "22:00", "end": "06:00", "multiplier": 0.75}]; '
        "other hours are billed at 1x",
    )
    pf_reference = models.FloatField(
        null=True, blank=True, help_text="PF of no incentive and no penalty, e.g. 0.95; empty: no PF slabs"
    )
    pf_incentive_pct_per_step = models.FloatField(
        default=0.0, help_text="% of the energy charge credited per 0.01 above the reference"
    )
    pf_penalty_pct_per_step = models.FloatField(
        default=0.0, help_text="% of the energy charge added per 0.01 below the reference"
    )
    pf_penalty_threshold = models.FloatField(
        null=True, blank=True, help_text="second threshold, e.g. 0.90: below it the steep slab applies"
    )
    pf_steep_penalty_pct_per_step = models.FloatField(
        default=0.0, help_text="% of the energy charge added per 0.01 below the second threshold"
    )
    pf_leading_counts = models.BooleanField(
        default=False,
        help_text="whether a leading PF earns incentive or penalty; events carry PF without its sign, "
        "so every reading is taken as lagging (CONTRACTS §18.6)",
    )
    demand_rate_per_kva = models.FloatField(default=0.0, help_text="INR per kVA of billing demand per month")
    demand_min_share = models.FloatField(
        default=0.0, help_text="billing demand is at least this share (0-1) of the site's contract demand"
    )
    fixed_monthly = models.FloatField(default=0.0, help_text="INR per billing month")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["site__code", "effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["site", "effective_from"], name="tariff_site_effective_from")
        ]
        verbose_name = "tariff version"

    def __str__(self) -> str:
        return f"tariff of {self.site.code} from {self.effective_from}"

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in TARIFF_FIELDS}

    def version(self) -> TariffVersion:
        return TariffVersion.from_mapping(self.as_dict())

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for problem in tariff_problems(self.as_dict()):
            model_field = problem.field.split("[")[0].split(".")[0]
            errors.setdefault(model_field, []).append(
                f"{problem.message} (field {problem.field}, rule: {problem.rule})"
            )
        if errors:
            raise ValidationError(errors)


class HealthyPowerFit(models.Model):
    """The healthy power model of one baseline version under one site calendar (§18.8)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="healthy_power_fits")
    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="healthy_power_fits")
    calendar_key = models.CharField(
        max_length=64, help_text="digest of the site calendar and idle share used"
    )
    model = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "calendar_key"], name="healthy_power_fit_identity")
        ]

    def __str__(self) -> str:
        return f"healthy power model of {self.asset.asset_id} (baseline v{self.baseline.version})"


class SiteEnergy(Site):
    """The registry's Site, in the admin's Analytics section with its tariff versions."""

    class Meta:
        proxy = True
        verbose_name = "site energy settings and tariff"
        verbose_name_plural = "sites: energy settings and tariffs"
