"""Health score and risk level: pure math, no Django.

Health H = floor(clip(100 - sum(penalties), 0, 100) + 0.5): an integer 0..100 (half rounds up;
monotone), so the number an operator reads is exactly the number the risk cut-offs compare
(docs/CONTRACTS.md §9).  Each penalty is a non-decreasing function of its input's "badness" and is
multiplied by a non-negative weight (``Limits.weights``, default 1):

=============  ==========================================================================
factor         penalty (weight 1)
=============  ==========================================================================
anomaly        40 * clip((score - 0.5) / 0.5, 0, 1); 0 + flag ``baseline_missing`` if None
vibration      ISO 10816-3 zone A: 0; B: 0 -> 10 linear across B; C: 15 -> 35 linear across C; D: 60
temperature    < warn: 0; warn <= T < limit: 0 -> 20 linear; T >= limit: 30
voltage        |dev %| <= band (6): 0; band < |dev| <= band + 4: 0 -> 10 linear; beyond: 10
               (the ramp is always 4 percentage points wide, whatever the band override)
frequency      inside [49.90, 50.05] Hz: 0; 0 -> 5 linear over 0.5 Hz outside (either side); 5 beyond
power factor   PF >= L (0.90): 0; L - 0.20 <= PF < L: 0 -> 10 linear (from L down); below: 10
current        r = I/I_rated <= 100 %: 0; 100 % < r <= limit (120 %): 0 -> 20 linear; r > limit: 25
               (``current_rated_pct`` = 100 is the ramp start, ``current_limit_pct`` = 120 the
               overcurrent limit, as the override of docs/CONTRACTS.md §3.3)
temp. rise     excess e = rise over ambient - rise expected at this load (K):
               e <= 10: 0; 10 < e < 30: 0 -> 20 linear; e >= 30: 25
=============  ==========================================================================

The temperature-rise factor compares the machine with itself: the rise expected at this load is
the healthy median rise scaled by the load ratio squared when the load is above the healthy load
(``expected_temperature_rise``), an upper bound of the copper-loss law, so a load change alone
never makes an excess.  Why 10 and 30 K: by the Montsinger rule each 10 K of extra winding
temperature halves insulation life, so 10 K is the first halving and 30 K an eighth of the life.

ISO zones: a value equal to a boundary belongs to the higher zone (v >= C/D boundary is D).

Missing or NaN inputs contribute no penalty and raise a ``<input>_missing`` flag (a missing
vibration value gives ``zone=None``).  Infinite values are treated as (very) bad, not missing.

Risk: Low H >= 80; Medium 60 <= H < 80; High 40 <= H < 60; Critical H < 40; then overrides
(result = max of the cut-off level and every override that applies):
zone D -> >= High; zone D and anomaly >= 0.9 -> Critical; temperature >= limit -> >= High;
current > 120 % rated -> >= High; temperature rise excess >= 30 K -> >= High;
RUL <= 7 days -> >= High; RUL <= 2 days -> Critical.
Override codes (docs/CONTRACTS.md §10): zone_d, zone_d_anomaly, temperature_limit, overcurrent,
temperature_rise, rul_7d, rul_2d; every triggered override is listed, even when it does not change the level.
Stale data only sets a flag (``stale_data``), it never changes health or risk.

Where the parts live: the limits and weights in ``assessment.health_limits``, the per-factor
penalty functions in ``assessment.penalties``; this module combines them into health and risk
and is the public face of all three (``__all__``).  Adding a factor: its name in ``FACTORS``, a
penalty function, a rule in ``_RULES`` below, and its lines in ``assessment.explain``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

from .health_limits import DEFAULT_WEIGHTS, FACTORS, ISO_10816_3_BOUNDARIES, Limits
from .penalties import (
    anomaly_penalty,
    current_penalty,
    expected_temperature_rise,
    frequency_excursion_hz,
    frequency_penalty,
    iso_zone,
    power_factor_penalty,
    present,
    temperature_penalty,
    temperature_rise_excess,
    temperature_rise_penalty,
    valid_rating,
    vibration_penalty,
    voltage_penalty,
)

__all__ = [
    "DEFAULT_WEIGHTS",
    "FACTORS",
    "ISO_10816_3_BOUNDARIES",
    "OVERRIDE_OVERCURRENT",
    "OVERRIDE_RUL_CRITICAL",
    "OVERRIDE_RUL_WARNING",
    "OVERRIDE_TEMPERATURE_LIMIT",
    "OVERRIDE_TEMPERATURE_RISE",
    "OVERRIDE_ZONE_D",
    "OVERRIDE_ZONE_D_ANOMALY",
    "RISK_LEVELS",
    "BaselineStat",
    "HealthInputs",
    "HealthResult",
    "Limits",
    "RiskResult",
    "anomaly_penalty",
    "assess_health",
    "assess_risk",
    "current_penalty",
    "expected_temperature_rise",
    "frequency_excursion_hz",
    "frequency_penalty",
    "health_level",
    "health_score_of",
    "iso_zone",
    "max_level",
    "power_factor_penalty",
    "risk_level",
    "temperature_penalty",
    "temperature_rise_excess",
    "temperature_rise_penalty",
    "vibration_penalty",
    "voltage_penalty",
]

RISK_LEVELS: tuple[str, ...] = ("Low", "Medium", "High", "Critical")
_RISK_RANK = {name: i for i, name in enumerate(RISK_LEVELS)}

# Override codes returned by risk_level(), in the order they are checked.
OVERRIDE_ZONE_D = "zone_d"
OVERRIDE_ZONE_D_ANOMALY = "zone_d_anomaly"
OVERRIDE_TEMPERATURE_LIMIT = "temperature_limit"
OVERRIDE_OVERCURRENT = "overcurrent"
OVERRIDE_TEMPERATURE_RISE = "temperature_rise"
OVERRIDE_RUL_WARNING = "rul_7d"
OVERRIDE_RUL_CRITICAL = "rul_2d"


@dataclass(frozen=True)
class BaselineStat:
    """Healthy-baseline statistics of one input (used only for explanations)."""

    mean: float
    std: float


@dataclass(frozen=True)
class HealthInputs:
    """Latest evidence for one asset.  Any measured value may be None (missing)."""

    vibration_rms_mm_s: float | None  # 15-minute mean of vibration RMS velocity
    temperature_c: float | None
    voltage_v: float | None
    rated_voltage_v: float | None
    frequency_hz: float | None
    power_factor: float | None
    current_a: float | None
    rated_current_a: float | None
    anomaly_score: float | None = None  # None when no anomaly model is trained
    # temperature_c - ambient_temperature_c of the same event (None without an ambient reading)
    temperature_rise_c: float | None = None
    # the rise this machine shows healthy at this load (expected_temperature_rise); None
    # without a baseline of the rise
    expected_temperature_rise_c: float | None = None
    # keyed by factor input name: "vibration_rms_mm_s", "temperature_c", "voltage_v",
    # "frequency_hz", "power_factor", "current_a", "temperature_rise_c", "anomaly_score"
    baseline: dict[str, BaselineStat] = field(default_factory=dict)
    stale: bool = False  # latest data older than the freshness limit (flag only)

    @property
    def current_ratio(self) -> float | None:
        """I / I_rated (1.0 = 100 % rated); None when either is missing, or rated is not finite > 0."""
        if not (present(self.current_a) and valid_rating(self.rated_current_a)):
            return None
        r = self.current_a / self.rated_current_a  # type: ignore[operator]
        return None if math.isnan(r) else r

    @property
    def voltage_deviation_pct(self) -> float | None:
        """100 * (V - V_rated) / V_rated; None when either is missing, or rated is not finite > 0."""
        if not (present(self.voltage_v) and valid_rating(self.rated_voltage_v)):
            return None
        d = 100.0 * (self.voltage_v - self.rated_voltage_v) / self.rated_voltage_v  # type: ignore[operator]
        return None if math.isnan(d) else d

    @property
    def temperature_rise_excess_c(self) -> float | None:
        return temperature_rise_excess(self.temperature_rise_c, self.expected_temperature_rise_c)


@dataclass(frozen=True)
class HealthResult:
    health_score: int  # 0..100: floor(clip(100 - total_penalty, 0, 100) + 0.5)
    zone: str | None  # ISO 10816-3 zone of the vibration input, None if missing
    penalties: dict[str, float]  # every factor in FACTORS, weighted, >= 0
    flags: tuple[str, ...]

    @property
    def health_raw(self) -> float:
        """clip(100 - total penalty, 0, 100) before rounding."""
        return min(100.0, max(0.0, 100.0 - self.total_penalty))

    @property
    def total_penalty(self) -> float:
        return float(sum(self.penalties.values()))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["flags"] = list(self.flags)
        return d


class RiskResult(NamedTuple):
    level: str
    overrides: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "overrides": list(self.overrides)}


# --- assessment -------------------------------------------------------------------------------

#: one factor's rule: (weight-1 penalty, flags) from the inputs; a missing input gives (0, [<x>_missing])
_Rule = Callable[[HealthInputs, Limits], tuple[float, list[str]]]


def _anomaly(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    score = inputs.anomaly_score
    if not present(score):
        return 0.0, ["baseline_missing"]
    flags = ["anomaly_high"] if score >= limits.anomaly_critical else []  # type: ignore[operator]
    return anomaly_penalty(score, limits.anomaly_onset), flags  # type: ignore[arg-type]


def _vibration(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    v = inputs.vibration_rms_mm_s
    if not present(v):
        return 0.0, ["vibration_missing"]
    zone = iso_zone(v, limits.zone_boundaries)  # type: ignore[arg-type]
    flags = [f"vibration_zone_{zone.lower()}"] if zone in ("C", "D") else []
    return vibration_penalty(v, limits.zone_boundaries), flags  # type: ignore[arg-type]


def _temperature(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    t = inputs.temperature_c
    if not present(t):
        return 0.0, ["temperature_missing"]
    penalty = temperature_penalty(t, limits.temperature_warn_c, limits.temperature_limit_c)  # type: ignore[arg-type]
    if t >= limits.temperature_limit_c:  # type: ignore[operator]
        return penalty, ["temperature_limit"]
    if t >= limits.temperature_warn_c:  # type: ignore[operator]
        return penalty, ["temperature_warn"]
    return penalty, []


def _voltage(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    dev = inputs.voltage_deviation_pct
    if dev is None:
        return 0.0, ["voltage_missing"]
    flags = ["undervoltage" if dev < 0 else "overvoltage"] if abs(dev) > limits.voltage_band_pct else []
    return voltage_penalty(dev, limits.voltage_band_pct, limits.voltage_full_pct), flags


def _frequency(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    f = inputs.frequency_hz
    if not present(f):
        return 0.0, ["frequency_missing"]
    penalty = frequency_penalty(
        f,  # type: ignore[arg-type]
        limits.frequency_low_hz,
        limits.frequency_high_hz,
        limits.frequency_ramp_hz,
    )
    outside = frequency_excursion_hz(f, limits.frequency_low_hz, limits.frequency_high_hz) > 0  # type: ignore[arg-type]
    return penalty, ["frequency_excursion"] if outside else []


def _power_factor(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    pf = inputs.power_factor
    if not present(pf):
        return 0.0, ["power_factor_missing"]
    flags = ["power_factor_low"] if pf < limits.power_factor_limit else []  # type: ignore[operator]
    return power_factor_penalty(pf, limits.power_factor_limit, limits.pf_floor), flags  # type: ignore[arg-type]


def _current(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    ratio = inputs.current_ratio
    if ratio is None:
        return 0.0, ["current_missing"]
    pct = 100.0 * ratio
    penalty = current_penalty(pct, limits.current_ramp_start_pct, limits.current_limit_pct)
    if pct > limits.current_limit_pct:
        return penalty, ["overcurrent"]
    if pct > limits.current_ramp_start_pct:
        return penalty, ["current_above_rated"]
    return penalty, []


def _temperature_rise(inputs: HealthInputs, limits: Limits) -> tuple[float, list[str]]:
    excess = inputs.temperature_rise_excess_c
    if excess is None:
        return 0.0, ["temperature_rise_missing"]
    penalty = temperature_rise_penalty(
        excess, limits.temperature_rise_excess_onset_k, limits.temperature_rise_excess_limit_k
    )
    if excess >= limits.temperature_rise_excess_limit_k:
        return penalty, ["temperature_rise_limit"]
    if excess > limits.temperature_rise_excess_onset_k:
        return penalty, ["temperature_rise_high"]
    return penalty, []


#: the rule of every factor, in FACTORS order (the order of the penalties and of the flags)
_RULES: dict[str, _Rule] = {
    "anomaly": _anomaly,
    "vibration": _vibration,
    "temperature": _temperature,
    "voltage": _voltage,
    "frequency": _frequency,
    "power_factor": _power_factor,
    "current": _current,
    "temperature_rise": _temperature_rise,
}
if tuple(_RULES) != FACTORS:
    raise ImportError("assessment.health: every factor of FACTORS needs a rule, in FACTORS order")


def assess_health(inputs: HealthInputs, limits: Limits | None = None) -> HealthResult:
    limits = limits or Limits()
    raw: dict[str, float] = {}
    flags: list[str] = []
    for name, rule in _RULES.items():
        raw[name], factor_flags = rule(inputs, limits)
        flags += factor_flags
    if inputs.stale:
        flags.append("stale_data")
    v = inputs.vibration_rms_mm_s
    zone = iso_zone(v, limits.zone_boundaries) if present(v) else None  # type: ignore[arg-type]
    penalties = {name: limits.weight(name) * p for name, p in raw.items()}
    total = sum(penalties.values())
    health = health_score_of(total)
    return HealthResult(health_score=health, zone=zone, penalties=penalties, flags=tuple(flags))


def health_score_of(total_penalty: float) -> int:
    """floor(clip(100 - total, 0, 100) + 0.5); a NaN total (impossible from assess_health) gives 0."""
    h = 100.0 - total_penalty
    if math.isnan(h):
        return 0
    return math.floor(min(100.0, max(0.0, h)) + 0.5)


def health_level(health: float) -> str:
    """Risk level from the health cut-offs alone."""
    if health >= 80:
        return "Low"
    if health >= 60:
        return "Medium"
    if health >= 40:
        return "High"
    return "Critical"


def max_level(*levels: str) -> str:
    return RISK_LEVELS[max(_RISK_RANK[x] for x in levels)]


def risk_level(
    health: float,
    zone: str | None,
    anomaly_score: float | None,
    temperature_c: float | None,
    limits: Limits | None = None,
    current_ratio: float | None = None,
    rul_days: float | None = None,
    temperature_rise_excess_c: float | None = None,
) -> RiskResult:
    """Risk = max(cut-off level of health, every applicable override).

    ``current_ratio`` is I / I_rated (1.2 = 120 %); ``rul_days`` None means no estimate;
    ``temperature_rise_excess_c`` is ``HealthInputs.temperature_rise_excess_c``.
    Returns ``RiskResult(level, overrides)`` (unpacks as a 2-tuple).
    """
    limits = limits or Limits()
    level = health_level(health)
    overrides: list[str] = []

    def bump(to: str, code: str) -> None:
        nonlocal level
        overrides.append(code)
        level = max_level(level, to)

    if zone == "D":
        bump("High", OVERRIDE_ZONE_D)
        if present(anomaly_score) and anomaly_score >= limits.anomaly_critical:  # type: ignore[operator]
            bump("Critical", OVERRIDE_ZONE_D_ANOMALY)
    if present(temperature_c) and temperature_c >= limits.temperature_limit_c:  # type: ignore[operator]
        bump("High", OVERRIDE_TEMPERATURE_LIMIT)
    if present(current_ratio) and 100.0 * current_ratio > limits.current_limit_pct:  # type: ignore[operator]
        bump("High", OVERRIDE_OVERCURRENT)
    if (
        present(temperature_rise_excess_c)
        and temperature_rise_excess_c >= limits.temperature_rise_excess_limit_k  # type: ignore[operator]
    ):
        bump("High", OVERRIDE_TEMPERATURE_RISE)
    if present(rul_days):
        if rul_days <= limits.rul_warning_days:  # type: ignore[operator]
            bump("High", OVERRIDE_RUL_WARNING)
        if rul_days <= limits.rul_critical_days:  # type: ignore[operator]
            bump("Critical", OVERRIDE_RUL_CRITICAL)
    return RiskResult(level, tuple(overrides))


def assess_risk(
    result: HealthResult, inputs: HealthInputs, limits: Limits | None = None, rul_days: float | None = None
) -> RiskResult:
    """Convenience wrapper: risk_level() fed from an assess_health() result and its inputs."""
    return risk_level(
        result.health_score,
        result.zone,
        inputs.anomaly_score,
        inputs.temperature_c,
        limits,
        inputs.current_ratio,
        rul_days,
        inputs.temperature_rise_excess_c,
    )
