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
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

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
        if not (_present(self.current_a) and _valid_rating(self.rated_current_a)):
            return None
        r = self.current_a / self.rated_current_a  # type: ignore[operator]
        return None if math.isnan(r) else r

    @property
    def voltage_deviation_pct(self) -> float | None:
        """100 * (V - V_rated) / V_rated; None when either is missing, or rated is not finite > 0."""
        if not (_present(self.voltage_v) and _valid_rating(self.rated_voltage_v)):
            return None
        d = 100.0 * (self.voltage_v - self.rated_voltage_v) / self.rated_voltage_v  # type: ignore[operator]
        return None if math.isnan(d) else d

    @property
    def temperature_rise_excess_c(self) -> float | None:
        return temperature_rise_excess(self.temperature_rise_c, self.expected_temperature_rise_c)


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


# --- helpers ---------------------------------------------------------------------------------


def _present(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _valid_rating(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _ramp(x: float, x0: float, x1: float, y0: float, y1: float) -> float:
    """Linear from (x0, y0) to (x1, y1), clipped to the segment (x0 < x1)."""
    if x <= x0:
        return y0
    if x >= x1:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def iso_zone(v: float, boundaries: tuple[float, float, float]) -> str:
    """ISO 10816-3 zone of an RMS velocity; a value on a boundary belongs to the higher zone."""
    ab, bc, cd = boundaries
    if v >= cd:
        return "D"
    if v >= bc:
        return "C"
    if v >= ab:
        return "B"
    return "A"


# --- per-factor penalties (weight 1) ----------------------------------------------------------


def anomaly_penalty(score: float, onset: float = 0.5) -> float:
    return 40.0 * _ramp(score, onset, 1.0, 0.0, 1.0)


def vibration_penalty(v: float, boundaries: tuple[float, float, float]) -> float:
    ab, bc, cd = boundaries
    zone = iso_zone(v, boundaries)
    if zone == "A":
        return 0.0
    if zone == "B":
        return _ramp(v, ab, bc, 0.0, 10.0)
    if zone == "C":
        return _ramp(v, bc, cd, 15.0, 35.0)
    return 60.0


def temperature_penalty(t: float, warn: float = 80.0, limit: float = 95.0) -> float:
    if t >= limit:
        return 30.0
    if t < warn:
        return 0.0
    return _ramp(t, warn, limit, 0.0, 20.0)


def voltage_penalty(dev_pct: float, band_pct: float = 6.0, full_pct: float = 10.0) -> float:
    d = abs(dev_pct)
    if d <= band_pct:
        return 0.0
    return _ramp(d, band_pct, full_pct, 0.0, 10.0)


def frequency_excursion_hz(f: float, low: float = 49.90, high: float = 50.05) -> float:
    """Distance outside [low, high] (0 inside)."""
    return max(low - f, f - high, 0.0)


def frequency_penalty(f: float, low: float = 49.90, high: float = 50.05, ramp_hz: float = 0.5) -> float:
    return _ramp(frequency_excursion_hz(f, low, high), 0.0, ramp_hz, 0.0, 5.0)


def power_factor_penalty(pf: float, limit: float = 0.90, floor: float = 0.70) -> float:
    # decreasing PF is worse: ramp on (limit - pf)
    return _ramp(limit - pf, 0.0, limit - floor, 0.0, 10.0)


def current_penalty(ratio_pct: float, start_pct: float = 100.0, limit_pct: float = 120.0) -> float:
    if ratio_pct > limit_pct:
        return 25.0
    if ratio_pct <= start_pct:
        return 0.0
    return _ramp(ratio_pct, start_pct, limit_pct, 0.0, 20.0)


def temperature_rise_excess(rise_c: float | None, expected_c: float | None) -> float | None:
    """Rise over ambient minus the rise expected at this load (K); None when either is missing."""
    if not (_present(rise_c) and _present(expected_c)):
        return None
    e = rise_c - expected_c  # type: ignore[operator]
    return None if math.isnan(e) else e


def temperature_rise_penalty(excess_k: float, onset_k: float = 10.0, limit_k: float = 30.0) -> float:
    if excess_k >= limit_k:
        return 25.0
    return _ramp(excess_k, onset_k, limit_k, 0.0, 20.0)


def expected_temperature_rise(
    *, healthy_rise_c: float | None, load_a: float | None, healthy_load_a: float | None
) -> float | None:
    """The rise over ambient this machine shows healthy at this load (K), or None.

    ``healthy_rise_c`` is the baseline median rise at the baseline median load
    ``healthy_load_a``.  Losses are a0 + b I^2 with a0 >= 0, so above the healthy load the rise
    grows at most as (I / I_healthy)^2: scaling by that square is an upper bound and a load
    increase alone never shows as an excess; below the healthy load the healthy rise is kept
    (a lighter load runs cooler).  ``load_a`` should be the larger of the 15-min and 1-h current
    means, so a machine still hot from a heavier hour is compared with that hour.
    """
    if not (_present(healthy_rise_c) and math.isfinite(healthy_rise_c)):  # type: ignore[arg-type]
        return None
    scale = 1.0
    if _present(load_a) and _valid_rating(healthy_load_a) and math.isfinite(load_a):  # type: ignore[arg-type]
        scale = max(1.0, (load_a / healthy_load_a) ** 2)  # type: ignore[operator]
    return healthy_rise_c * scale  # type: ignore[operator]


# --- assessment -------------------------------------------------------------------------------


def assess_health(inputs: HealthInputs, limits: Limits | None = None) -> HealthResult:
    limits = limits or Limits()
    raw: dict[str, float] = dict.fromkeys(FACTORS, 0.0)
    flags: list[str] = []
    zone: str | None = None

    if _present(inputs.anomaly_score):
        raw["anomaly"] = anomaly_penalty(inputs.anomaly_score, limits.anomaly_onset)  # type: ignore[arg-type]
        if inputs.anomaly_score >= limits.anomaly_critical:  # type: ignore[operator]
            flags.append("anomaly_high")
    else:
        flags.append("baseline_missing")

    if _present(inputs.vibration_rms_mm_s):
        v = inputs.vibration_rms_mm_s
        zone = iso_zone(v, limits.zone_boundaries)  # type: ignore[arg-type]
        raw["vibration"] = vibration_penalty(v, limits.zone_boundaries)  # type: ignore[arg-type]
        if zone in ("C", "D"):
            flags.append(f"vibration_zone_{zone.lower()}")
    else:
        flags.append("vibration_missing")

    if _present(inputs.temperature_c):
        t = inputs.temperature_c
        raw["temperature"] = temperature_penalty(t, limits.temperature_warn_c, limits.temperature_limit_c)  # type: ignore[arg-type]
        if t >= limits.temperature_limit_c:  # type: ignore[operator]
            flags.append("temperature_limit")
        elif t >= limits.temperature_warn_c:  # type: ignore[operator]
            flags.append("temperature_warn")
    else:
        flags.append("temperature_missing")

    dev = inputs.voltage_deviation_pct
    if dev is not None:
        raw["voltage"] = voltage_penalty(dev, limits.voltage_band_pct, limits.voltage_full_pct)
        if abs(dev) > limits.voltage_band_pct:
            flags.append("undervoltage" if dev < 0 else "overvoltage")
    else:
        flags.append("voltage_missing")

    if _present(inputs.frequency_hz):
        f = inputs.frequency_hz
        raw["frequency"] = frequency_penalty(
            f,
            limits.frequency_low_hz,
            limits.frequency_high_hz,
            limits.frequency_ramp_hz,  # type: ignore[arg-type]
        )
        if frequency_excursion_hz(f, limits.frequency_low_hz, limits.frequency_high_hz) > 0:  # type: ignore[arg-type]
            flags.append("frequency_excursion")
    else:
        flags.append("frequency_missing")

    if _present(inputs.power_factor):
        pf = inputs.power_factor
        raw["power_factor"] = power_factor_penalty(pf, limits.power_factor_limit, limits.pf_floor)  # type: ignore[arg-type]
        if pf < limits.power_factor_limit:  # type: ignore[operator]
            flags.append("power_factor_low")
    else:
        flags.append("power_factor_missing")

    ratio = inputs.current_ratio
    if ratio is not None:
        pct = 100.0 * ratio
        raw["current"] = current_penalty(pct, limits.current_ramp_start_pct, limits.current_limit_pct)
        if pct > limits.current_limit_pct:
            flags.append("overcurrent")
        elif pct > limits.current_ramp_start_pct:
            flags.append("current_above_rated")
    else:
        flags.append("current_missing")

    excess = inputs.temperature_rise_excess_c
    if excess is not None:
        raw["temperature_rise"] = temperature_rise_penalty(
            excess, limits.temperature_rise_excess_onset_k, limits.temperature_rise_excess_limit_k
        )
        if excess >= limits.temperature_rise_excess_limit_k:
            flags.append("temperature_rise_limit")
        elif excess > limits.temperature_rise_excess_onset_k:
            flags.append("temperature_rise_high")
    else:
        flags.append("temperature_rise_missing")

    if inputs.stale:
        flags.append("stale_data")

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
        if _present(anomaly_score) and anomaly_score >= limits.anomaly_critical:  # type: ignore[operator]
            bump("Critical", OVERRIDE_ZONE_D_ANOMALY)
    if _present(temperature_c) and temperature_c >= limits.temperature_limit_c:  # type: ignore[operator]
        bump("High", OVERRIDE_TEMPERATURE_LIMIT)
    if _present(current_ratio) and 100.0 * current_ratio > limits.current_limit_pct:  # type: ignore[operator]
        bump("High", OVERRIDE_OVERCURRENT)
    if (
        _present(temperature_rise_excess_c)
        and temperature_rise_excess_c >= limits.temperature_rise_excess_limit_k  # type: ignore[operator]
    ):
        bump("High", OVERRIDE_TEMPERATURE_RISE)
    if _present(rul_days):
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
