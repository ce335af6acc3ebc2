"""Asset registry, API tokens, the ingest spool and the SQL time-series store.

Per-asset threshold overrides are a health concept: `assessment.models.AssetThresholds`.

Validation that an admin form, the asset API and `register_fleet` must all apply lives
in the models' `clean()` so every entry point refuses the same impossible values with
the same message.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from . import site_rules
from .schemas import ASSET_ID_PATTERN


class Tenant(models.Model):
    """A customer: owns assets, tokens and users; nothing crosses between tenants."""

    name = models.CharField(max_length=100, unique=True, validators=[RegexValidator(r"^[\w .-]+$")])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberRole(models.TextChoices):
    """What a dashboard login may do in its tenant (docs/CONTRACTS.md §17.1)."""

    OPERATOR = "operator", "Operator: view, acknowledge and resolve incidents"
    MANAGER = "manager", "Manager: view, reports and report schedules"
    ADMIN = "admin", "Admin: everything, incl. assets and thresholds"


class TenantMember(models.Model):
    """Links a dashboard login to the one tenant whose data it may see, with its role."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_member"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(max_length=16, choices=MemberRole.choices, default=MemberRole.OPERATOR)

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"


class AssetType(models.TextChoices):
    MOTOR = "motor", "Motor"
    PUMP = "pump", "Pump"
    FAN = "fan", "Fan"
    COMPRESSOR = "compressor", "Compressor"
    METER = "meter", "Meter (electrical only)"


class Phase(models.TextChoices):
    SINGLE = "single", "Single-phase"
    THREE = "three", "Three-phase"


class Foundation(models.TextChoices):
    RIGID = "rigid", "Rigid"
    FLEXIBLE = "flexible", "Flexible"


class IsoGroup(models.IntegerChoices):
    GROUP_1 = 1, "Group 1 (large, 300 kW - 50 MW)"
    GROUP_2 = 2, "Group 2 (medium, 15 - 300 kW)"


BEARING_FIELDS = (
    "bearing_n_balls",
    "bearing_ball_diameter_mm",
    "bearing_pitch_diameter_mm",
    "bearing_contact_angle_deg",
)


class Asset(models.Model):
    """A monitored rotating machine. `asset_id` is unique across tenants (it is the event key)."""

    asset_id = models.CharField(
        max_length=64,
        unique=True,
        validators=[RegexValidator(ASSET_ID_PATTERN, "asset_id must match " + ASSET_ID_PATTERN)],
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="assets")
    name = models.CharField(max_length=200)
    asset_type = models.CharField(max_length=16, choices=AssetType.choices)
    phase = models.CharField(max_length=8, choices=Phase.choices)
    rated_voltage_v = models.FloatField(
        help_text="Nominal supply voltage: line-to-line for three-phase, line-to-neutral for single-phase.",
        validators=[MaxValueValidator(1000)],
    )
    rated_current_a = models.FloatField(validators=[MaxValueValidator(10000)])
    rated_power_kw = models.FloatField(help_text="Rated shaft (output) power.")
    rated_rpm = models.FloatField(validators=[MinValueValidator(1), MaxValueValidator(100000)])
    iso_group = models.PositiveSmallIntegerField(choices=IsoGroup.choices, verbose_name="ISO 10816-3 group")
    foundation = models.CharField(max_length=8, choices=Foundation.choices)
    bearing_n_balls = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(3), MaxValueValidator(60)]
    )
    bearing_ball_diameter_mm = models.FloatField(null=True, blank=True)
    bearing_pitch_diameter_mm = models.FloatField(null=True, blank=True)
    bearing_contact_angle_deg = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(45)]
    )
    location = models.CharField(max_length=200, blank=True)
    supply_site = models.CharField(
        max_length=64,
        default="main",
        help_text="the shared electrical supply (site bus) the asset is fed from; voltage and frequency "
        "seen on most running assets of one site at once are one site supply alert (CONTRACTS §15.6)",
    )
    commissioned_at = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant__name", "asset_id"]
        indexes = [models.Index(fields=["tenant", "active"])]

    def __str__(self) -> str:
        return f"{self.asset_id} ({self.name})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("rated_voltage_v", "rated_current_a", "rated_power_kw", "rated_rpm"):
            value = getattr(self, name)
            if value is not None and (not math.isfinite(value) or value <= 0):
                errors[name] = f"{name} must be a finite number greater than 0."
        v, i, p = self.rated_voltage_v, self.rated_current_a, self.rated_power_kw
        if not errors and None not in (v, i, p) and self.phase in Phase.values:
            apparent_kva = (math.sqrt(3) if self.phase == Phase.THREE else 1.0) * v * i / 1000.0
            if p > apparent_kva:
                errors["rated_power_kw"] = (
                    f"rated_power_kw {p:g} kW exceeds the apparent power the rated voltage and current "
                    f"allow ({apparent_kva:.2f} kVA); output power cannot exceed input."
                )
        present = [f for f in BEARING_FIELDS if getattr(self, f) is not None]
        ball, pitch = self.bearing_ball_diameter_mm, self.bearing_pitch_diameter_mm
        if present and len(present) != len(BEARING_FIELDS):
            missing = [f for f in BEARING_FIELDS if f not in present]
            errors[missing[0]] = "bearing geometry needs all four values or none: missing " + ", ".join(
                missing
            )
        elif ball is not None and pitch is not None:  # all four present
            if ball <= 0 or not math.isfinite(ball):
                errors["bearing_ball_diameter_mm"] = "ball diameter must be greater than 0 mm."
            elif pitch <= 0 or not math.isfinite(pitch):
                errors["bearing_pitch_diameter_mm"] = "pitch diameter must be greater than 0 mm."
            elif ball >= pitch:
                errors["bearing_ball_diameter_mm"] = (
                    f"ball diameter ({ball:g} mm) must be smaller than the pitch diameter ({pitch:g} mm)."
                )
        if errors:
            raise ValidationError(errors)

    @property
    def has_bearing_geometry(self) -> bool:
        return all(getattr(self, f) is not None for f in BEARING_FIELDS)


def _default_shifts() -> list[dict[str, str]]:
    return [dict(s) for s in site_rules.DEFAULT_SHIFTS]


def _default_weekly_off() -> list[str]:
    return list(site_rules.DEFAULT_WEEKLY_OFF)


class Site(models.Model):
    """One electrical supply of a tenant (the assets' `supply_site` code): its local time,
    shifts, grid emission factor and contract demand, which energy figures and tariffs use.

    A code that assets use without a row here has the defaults (docs/CONTRACTS.md §3.4).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sites")
    code = models.CharField(max_length=64, help_text="the assets' supply_site value")
    name = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(
        max_length=64,
        default=site_rules.DEFAULT_TIMEZONE,
        help_text="IANA zone for time-of-day slots, shifts and billing months (storage stays UTC)",
    )
    grid_factor_t_per_mwh = models.FloatField(
        default=site_rules.DEFAULT_GRID_FACTOR_T_PER_MWH,
        verbose_name="grid emission factor (tCO2/MWh)",
        help_text="default: CEA CO2 Baseline Database v20, weighted average 0.727",
    )
    contract_demand_kva = models.FloatField(null=True, blank=True, verbose_name="contract demand (kVA)")
    idle_below_load_pct = models.FloatField(
        default=site_rules.DEFAULT_IDLE_BELOW_LOAD_PCT,
        verbose_name="idle below (% of rated power)",
        help_text="a running machine drawing less than this share of its rated power is idle running",
    )
    shifts = models.JSONField(
        default=_default_shifts,
        help_text='site-local shifts covering the day, e.g. [{"name": "A", "start": "06:00", "end": "14:00"}, ...]',
    )
    weekly_off_days = models.JSONField(
        default=_default_weekly_off, blank=True, help_text='e.g. ["sunday"]; a shift belongs to its start day'
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tenant__name", "code"]
        constraints = [models.UniqueConstraint(fields=["tenant", "code"], name="site_tenant_code")]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})" if self.name else self.code

    def clean(self) -> None:
        problems = site_rules.site_problems(
            code=self.code,
            timezone=self.timezone,
            grid_factor_t_per_mwh=self.grid_factor_t_per_mwh,
            contract_demand_kva=self.contract_demand_kva,
            idle_below_load_pct=self.idle_below_load_pct,
            shifts=self.shifts,
            weekly_off_days=self.weekly_off_days,
        )
        if problems:
            raise ValidationError(
                {name: f"{message} (rule: {rule})" for name, (rule, message) in problems.items()}
            )


class TokenScope(models.TextChoices):
    INGEST = "ingest", "Ingest events"
    READ = "read", "Read data"
    ADMIN = "admin", "Manage assets"


class ApiToken(models.Model):
    """A tenant's bearer token. Only a SHA-256 digest is stored; the secret is shown once."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["tenant__name", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        bad = [s for s in self.scopes or [] if s not in TokenScope.values]
        if not self.scopes or bad:
            raise ValidationError(
                {"scopes": f"scopes must be a non-empty subset of {', '.join(TokenScope.values)}; bad: {bad}"}
            )


class SpoolEntry(models.Model):
    """Accepted events waiting for the time-series store to come back, replayed in id order."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    payload = models.JSONField(help_text="Store points, as written by the ingest service.")
    n_events = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "spool entries"

    def __str__(self) -> str:
        return f"spool #{self.pk}: {self.n_events} events of {self.tenant}"


class SeriesPoint(models.Model):
    """One point of the SQL time-series store: (measurement, asset_id, time) -> fields."""

    measurement = models.CharField(max_length=32)
    asset_id = models.CharField(max_length=64)
    time = models.DateTimeField()
    fields = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measurement", "asset_id", "time"], name="series_point_identity")
        ]

    def __str__(self) -> str:
        return f"{self.measurement}/{self.asset_id}@{self.time.isoformat()}"
