"""Per-asset health limits (docs/CONTRACTS.md §3.3, §9): the ISO 10816-3 vibration classes, the
eight health factors and their weights, and every limit a penalty or an override compares with.

Pure Python, no Django: ``assessment.selectors.limits_for_asset`` builds a ``Limits`` from an asset's class
and its threshold overrides; the math modules only ever see this value object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

# --- ISO 10816-3 zone boundaries (A/B, B/C, C/D) in mm/s RMS -----------------------------------
ISO_10816_3_BOUNDARIES: dict[tuple[int, str], tuple[float, float, float]] = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}

FACTORS: tuple[str, ...] = (
    "anomaly",
    "vibration",
    "temperature",
    "voltage",
    "frequency",
    "power_factor",
    "current",
    "temperature_rise",
)

DEFAULT_WEIGHTS: dict[str, float] = dict.fromkeys(FACTORS, 1.0)


@dataclass(frozen=True)
class Limits:
    """Per-asset limits.  Defaults are the platform defaults; any field may be overridden."""

    iso_group: int = 1
    foundation: str = "rigid"
    vibration_boundaries: tuple[float, float, float] | None = None  # override (A/B, B/C, C/D)
    temperature_warn_c: float = 80.0
    temperature_limit_c: float = 95.0
    voltage_band_pct: float = 6.0
    voltage_ramp_pct: float = 4.0  # full voltage penalty at band + this |deviation|
    frequency_low_hz: float = 49.90
    frequency_high_hz: float = 50.05
    frequency_nominal_hz: float = 50.0
    frequency_ramp_hz: float = 0.5  # full frequency penalty this far outside the band
    power_factor_limit: float = 0.90
    power_factor_floor: float | None = None  # full PF penalty below this; None = limit - 0.20
    current_rated_pct: float = 100.0  # current penalty starts above this % of rated
    current_limit_pct: float = 120.0  # overcurrent limit: penalty 20 here, 25 above, risk >= High above
    temperature_rise_excess_onset_k: float = 10.0  # rise over the expected rise where the penalty starts
    temperature_rise_excess_limit_k: float = 30.0  # penalty 25 and risk >= High at or above
    anomaly_onset: float = 0.5
    anomaly_critical: float = 0.9
    rul_warning_days: float = 7.0
    rul_critical_days: float = 2.0
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))

    def __post_init__(self) -> None:
        if (
            self.vibration_boundaries is None
            and (self.iso_group, self.foundation) not in ISO_10816_3_BOUNDARIES
        ):
            raise ValueError(f"unknown ISO 10816-3 class: group {self.iso_group!r}, {self.foundation!r}")
        a, b, c = self.zone_boundaries
        if not (0 <= a < b < c):
            raise ValueError("vibration zone boundaries must satisfy 0 <= A/B < B/C < C/D")
        if not self.temperature_warn_c < self.temperature_limit_c:
            raise ValueError("temperature warn must be below the limit")
        if not self.voltage_band_pct >= 0 or not self.voltage_ramp_pct > 0:
            raise ValueError("voltage band must be >= 0 and its ramp > 0")
        if not self.frequency_low_hz < self.frequency_high_hz or self.frequency_ramp_hz <= 0:
            raise ValueError("invalid frequency band")
        if not self.pf_floor < self.power_factor_limit:
            raise ValueError("power factor floor must be below the power factor limit")
        if not 0 < self.current_limit_pct:
            raise ValueError("current limit must be > 0")
        if not 0 <= self.temperature_rise_excess_onset_k < self.temperature_rise_excess_limit_k:
            raise ValueError("temperature rise excess: 0 <= onset < limit")
        unknown = set(self.weights) - set(FACTORS)
        if unknown:
            raise ValueError(f"unknown weight keys: {sorted(unknown)}")
        if any(not (w >= 0 and math.isfinite(w)) for w in self.weights.values()):
            raise ValueError("weights must be finite and >= 0")

    @property
    def zone_boundaries(self) -> tuple[float, float, float]:
        if self.vibration_boundaries is not None:
            return tuple(float(x) for x in self.vibration_boundaries)  # type: ignore[return-value]
        return ISO_10816_3_BOUNDARIES[(self.iso_group, self.foundation)]

    @property
    def iso_class_label(self) -> str:
        """e.g. 'group 1 rigid' ('custom' when the boundaries are overridden)."""
        if self.vibration_boundaries is not None:
            return "custom limits"
        return f"group {self.iso_group} {self.foundation}"

    @property
    def voltage_full_pct(self) -> float:
        """|deviation| % at which the voltage penalty reaches 10: band + 4 (10 % by default)."""
        return self.voltage_band_pct + self.voltage_ramp_pct

    @property
    def pf_floor(self) -> float:
        if self.power_factor_floor is not None:
            return self.power_factor_floor
        return self.power_factor_limit - 0.20

    @property
    def current_ramp_start_pct(self) -> float:
        return min(self.current_rated_pct, self.current_limit_pct)

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, 1.0))

    @classmethod
    def for_asset(cls, iso_group: int = 1, foundation: str = "rigid", **overrides: Any) -> Limits:
        """Defaults for an ISO class plus per-asset overrides; None values are ignored.

        Accepts the field names of this class and the override names of docs/CONTRACTS.md §3.3:
        ``vibration_zone_ab_mm_s``/``_bc_``/``_cd_`` (all three or none) and ``health_weights``.
        """
        kwargs = {k: v for k, v in overrides.items() if v is not None}
        zone_keys = ("vibration_zone_ab_mm_s", "vibration_zone_bc_mm_s", "vibration_zone_cd_mm_s")
        given = [k for k in zone_keys if k in kwargs]
        if given:
            if len(given) != 3:
                raise ValueError("vibration zone overrides: all three or none")
            kwargs["vibration_boundaries"] = tuple(float(kwargs.pop(k)) for k in zone_keys)
        if "health_weights" in kwargs:
            kwargs["weights"] = kwargs.pop("health_weights")
        if "weights" in kwargs:
            kwargs["weights"] = {**DEFAULT_WEIGHTS, **kwargs["weights"]}
        return cls(iso_group=iso_group, foundation=foundation, **kwargs)
