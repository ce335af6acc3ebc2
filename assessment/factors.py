"""The structured factors of an assessment (docs/CONTRACTS.md §13.3): pure Python, no Django.

``build_factors`` turns a health result into the eight factors, every component with its input
value, its baseline and deviation, the rule and limits it was judged by and its share of the
drop, sorted by that share.  The factors are stored with the assessment; the explanation text
(``assessment.explain``) is rendered from them alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .health import FACTORS, HealthInputs, HealthResult, Limits

FACTOR_UNITS: dict[str, str] = {
    "anomaly": "score",
    "vibration": "mm/s",
    "temperature": "°C",
    "voltage": "V",
    "frequency": "Hz",
    "power_factor": "1",
    "current": "A",
    "temperature_rise": "K",
}
FACTOR_RULES: dict[str, str] = {
    "anomaly": "anomaly_score",
    "vibration": "iso10816_zone",
    "temperature": "temperature_limits",
    "voltage": "voltage_band",
    "frequency": "frequency_band",
    "power_factor": "pf_limit",
    "current": "current_rating",
    "temperature_rise": "temperature_rise_excess",
}
# HealthInputs attribute holding each factor's input value (also the key of HealthInputs.baseline).
INPUT_FIELD: dict[str, str] = {
    "anomaly": "anomaly_score",
    "vibration": "vibration_rms_mm_s",
    "temperature": "temperature_c",
    "voltage": "voltage_v",
    "frequency": "frequency_hz",
    "power_factor": "power_factor",
    "current": "current_a",
    "temperature_rise": "temperature_rise_c",
}
# Noise floors of docs/CONTRACTS.md §6.2: deviation_sigma = (value - mean) / max(std, 0.01 |mean|, floor).
SIGMA_FLOOR: dict[str, float] = {
    "vibration": 0.1,
    "temperature": 0.5,
    "voltage": 1.0,
    "frequency": 0.02,
    "power_factor": 0.01,
    "current": 0.1,
    "temperature_rise": 0.5,
}


@dataclass(frozen=True)
class Factor:
    name: str  # one of health.FACTORS
    value: float | None  # input value as used (None when missing)
    unit: str
    baseline_mean: float | None
    baseline_std: float | None
    deviation_sigma: float | None
    deviation_pct: float | None
    rule: str
    limits: dict[str, Any]
    zone: str | None
    penalty: float
    share_of_drop: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]


def finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def factor_limits(name: str, inputs: HealthInputs, limits: Limits) -> dict[str, Any]:
    if name == "anomaly":
        return {"start": limits.anomaly_onset, "critical": limits.anomaly_critical}
    if name == "vibration":
        ab, bc, cd = limits.zone_boundaries
        return {
            "AB": ab,
            "BC": bc,
            "CD": cd,
            "group": limits.iso_group,
            "foundation": limits.foundation,
            "custom": limits.vibration_boundaries is not None,
        }
    if name == "temperature":
        return {"warn": limits.temperature_warn_c, "limit": limits.temperature_limit_c}
    if name == "voltage":
        return {
            "rated_v": finite(inputs.rated_voltage_v),
            "band_pct": limits.voltage_band_pct,
            "full_pct": limits.voltage_full_pct,
        }
    if name == "frequency":
        return {
            "low_hz": limits.frequency_low_hz,
            "high_hz": limits.frequency_high_hz,
            "nominal_hz": limits.frequency_nominal_hz,
            "full_hz": limits.frequency_ramp_hz,
        }
    if name == "power_factor":
        return {"limit": limits.power_factor_limit, "floor": limits.pf_floor}
    if name == "current":
        return {
            "rated_a": finite(inputs.rated_current_a),
            "start_pct": limits.current_ramp_start_pct,
            "limit_pct": limits.current_limit_pct,
        }
    if name == "temperature_rise":
        return {
            "expected_k": finite(inputs.expected_temperature_rise_c),
            "onset_k": limits.temperature_rise_excess_onset_k,
            "limit_k": limits.temperature_rise_excess_limit_k,
        }
    raise ValueError(f"unknown factor {name!r}")


def _deviation_pct(name: str, inputs: HealthInputs, limits: Limits) -> float | None:
    if name == "voltage":
        return inputs.voltage_deviation_pct
    if name == "current":
        ratio = inputs.current_ratio
        return None if ratio is None else 100.0 * (ratio - 1.0)
    if name == "frequency":
        f = finite(inputs.frequency_hz)
        if f is None:
            return None
        nom = limits.frequency_nominal_hz
        return 100.0 * (f - nom) / nom
    return None


def build_factors(result: HealthResult, inputs: HealthInputs, limits: Limits | None = None) -> list[Factor]:
    """All eight factors, sorted by share of the drop (descending), ties in component order."""
    limits = limits or Limits()
    total = result.total_penalty
    out: list[Factor] = []
    for name in FACTORS:
        field_name = INPUT_FIELD[name]
        value = finite(getattr(inputs, field_name))
        penalty = float(result.penalties.get(name, 0.0))
        mean = std = sigma = None
        base = inputs.baseline.get(field_name) if name != "anomaly" else None
        if base is not None and finite(base.mean) is not None:
            mean = float(base.mean)
            std = finite(base.std)
            if value is not None:
                scale = max(std or 0.0, 0.01 * abs(mean), SIGMA_FLOOR[name])
                sigma = (value - mean) / scale
        out.append(
            Factor(
                name=name,
                value=value,
                unit=FACTOR_UNITS[name],
                baseline_mean=mean,
                baseline_std=std,
                deviation_sigma=sigma,
                deviation_pct=_deviation_pct(name, inputs, limits),
                rule=FACTOR_RULES[name],
                limits=factor_limits(name, inputs, limits),
                zone=result.zone if name == "vibration" else None,
                penalty=penalty,
                share_of_drop=penalty / total if total > 0 else 0.0,
            )
        )
    order = {n: i for i, n in enumerate(FACTORS)}
    out.sort(key=lambda f: (-f.share_of_drop, order[f.name]))
    return out
