"""Asset registry, API tokens, the ingest spool and the SQL time-series store.

Validation that an admin form, the asset API and `register_fleet` must all apply lives
in the models' `clean()` so every entry point refuses the same impossible values with
the same message.
"""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

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
        if present and len(present) != len(BEARING_FIELDS):
            missing = [f for f in BEARING_FIELDS if f not in present]
            errors[missing[0]] = "bearing geometry needs all four values or none: missing " + ", ".join(
                missing
            )
        elif present:
            ball, pitch = self.bearing_ball_diameter_mm, self.bearing_pitch_diameter_mm
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


def _health_weights_error(weights: Any) -> str | None:
    """Why a health_weights override is refused (None when it is valid or empty)."""
    if weights is None or weights == {}:
        return None
    from assessment.health import FACTORS  # pure module: the components of CONTRACTS §9.1

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
        zones = [self.vibration_zone_ab_mm_s, self.vibration_zone_bc_mm_s, self.vibration_zone_cd_mm_s]
        if any(z is not None for z in zones) and not all(z is not None for z in zones):
            errors["vibration_zone_ab_mm_s"] = "set all three zone boundaries (A/B, B/C, C/D) or none."
        elif all(z is not None for z in zones) and not zones[0] < zones[1] < zones[2]:
            errors["vibration_zone_ab_mm_s"] = "zone boundaries must increase: A/B < B/C < C/D."
        if errors:
            raise ValidationError(errors)


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
