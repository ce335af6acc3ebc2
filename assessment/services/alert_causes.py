"""The alert causes present at one grid point (docs/CONTRACTS.md §15.1), with the value, unit and
first sentence each alert shows: pure decisions on the assessment's numbers, no database.

Kept apart from the state machine (``assessment.services.alerts``): adding a cause is a branch in
``causes_present`` and its severity there, without touching how alerts open, update and resolve.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard

from ..explain import EN_DASH, rfc3339
from ..health import Limits, temperature_rise_excess
from ..models import AlertCause
from ..supply import PF_BASELINE_MARGIN, frequency_alert_band


def _identity(x: float) -> float:
    return x


@dataclass(frozen=True)
class CauseHit:
    cause: str
    value: float | None
    unit: str
    badness: Callable[[float], float]  # value -> how bad (larger = worse); peak_value maximises it
    sentence: str | None  # cause-specific first line of the alert explanation (None for risk causes)

    def worse_than(self, other: float | None) -> bool:
        if self.value is None:
            return False
        return other is None or self.badness(self.value) > self.badness(other)


@dataclass(frozen=True)
class CauseInputs:
    risk_level: str
    health_score: int
    limits: Limits
    rated_voltage_v: float
    rated_current_a: float
    vibration_mean_15m: float | None
    temperature_c: float | None
    current_mean_15m: float | None
    voltage_mean_15m: float | None
    frequency_mean_15m: float | None
    # supply causes need two consecutive grid points out of band on this asset and no site event (§15.6)
    voltage_persistent: bool = False
    frequency_persistent: bool = False
    # rule:low_pf: judged only while running steadily at a load like the healthy one; energy-basis PF
    # of the trailing 24 h of steady running, and its limit (§15.1)
    pf_evaluable: bool = False
    power_factor_energy_24h: float | None = None
    power_factor_alert_limit: float | None = None
    # frame temperature over ambient and the rise expected at this load (§9.1)
    temperature_rise_c: float | None = None
    expected_temperature_rise_c: float | None = None


def voltage_hit(vv: float, vr: float, band_pct: float, *, subject: str = "Voltage") -> CauseHit:
    dev = (vv - vr) / vr * 100.0
    return CauseHit(
        AlertCause.VOLTAGE_BAND,
        vv,
        "V",
        functools.partial(_distance_from, vr),
        f"{subject} 15-min mean {vv:.1f} V is {dev:+.1f}% from rated {vr:.1f} V, outside the "
        f"±{band_pct:.1f}% band at two consecutive grid points.",
    )


def frequency_hit(f: float, lo: float, hi: float, *, subject: str = "Frequency") -> CauseHit:
    return CauseHit(
        AlertCause.FREQUENCY_BAND,
        f,
        "Hz",
        functools.partial(_outside, lo, hi),
        f"{subject} 15-min mean {f:.3f} Hz is outside {lo:.3f}{EN_DASH}{hi:.3f} Hz at two consecutive grid points.",
    )


def _distance_from(ref: float, x: float) -> float:
    return abs(x - ref)


def _outside(lo: float, hi: float, x: float) -> float:
    return max(lo - x, x - hi)


def _ok(x: float | None) -> TypeGuard[float]:
    return x is not None and math.isfinite(x)


def causes_present(ci: CauseInputs) -> dict[str, CauseHit]:
    """The causes of §15.1 present in one assessment (all but ``no_data``)."""
    hits: dict[str, CauseHit] = {}
    lim = ci.limits

    def low_health(h: float) -> float:
        return -h

    if ci.risk_level == "Critical":
        hits[AlertCause.RISK_CRITICAL] = CauseHit(
            AlertCause.RISK_CRITICAL, float(ci.health_score), "health", low_health, None
        )
    if ci.risk_level in ("High", "Critical"):
        hits[AlertCause.RISK_HIGH] = CauseHit(
            AlertCause.RISK_HIGH, float(ci.health_score), "health", low_health, None
        )
    v, cd = ci.vibration_mean_15m, lim.zone_boundaries[2]
    if _ok(v) and v >= cd:
        hits[AlertCause.VIBRATION_ZONE_D] = CauseHit(
            AlertCause.VIBRATION_ZONE_D,
            v,
            "mm/s",
            _identity,
            f"Vibration 15-min mean {v:.2f} mm/s is at or above the ISO 10816-3 zone C/D boundary {cd:.2f} mm/s.",
        )
    t = ci.temperature_c
    if _ok(t) and t >= lim.temperature_limit_c:
        hits[AlertCause.TEMPERATURE_LIMIT] = CauseHit(
            AlertCause.TEMPERATURE_LIMIT,
            t,
            "°C",
            _identity,
            f"Temperature {t:.1f} °C is at or above the limit {lim.temperature_limit_c:.1f} °C.",
        )
    i, ir = ci.current_mean_15m, ci.rated_current_a
    if _ok(i) and ir > 0 and i > lim.current_limit_pct / 100.0 * ir:
        hits[AlertCause.OVERCURRENT] = CauseHit(
            AlertCause.OVERCURRENT,
            i,
            "A",
            _identity,
            f"Current 15-min mean {i:.1f} A is {100.0 * i / ir:.1f}% of rated {ir:.1f} A, above the "
            f"{lim.current_limit_pct:.1f}% limit.",
        )
    rise, expected = ci.temperature_rise_c, ci.expected_temperature_rise_c
    excess = temperature_rise_excess(rise, expected)
    if excess is not None and excess >= lim.temperature_rise_excess_limit_k:
        hits[AlertCause.TEMPERATURE_RISE] = CauseHit(
            AlertCause.TEMPERATURE_RISE,
            rise,
            "K",
            _identity,
            f"Temperature rise over ambient {rise:.1f} K is {excess:.1f} K above the {expected:.1f} K "
            f"this machine shows healthy at this load (limit +{lim.temperature_rise_excess_limit_k:.1f} K).",
        )
    vv, vr = ci.voltage_mean_15m, ci.rated_voltage_v
    if ci.voltage_persistent and _ok(vv) and vr > 0:
        hits[AlertCause.VOLTAGE_BAND] = voltage_hit(vv, vr, lim.voltage_band_pct)
    f = ci.frequency_mean_15m
    if ci.frequency_persistent and _ok(f):
        lo, hi = frequency_alert_band(lim.frequency_nominal_hz)
        hits[AlertCause.FREQUENCY_BAND] = frequency_hit(f, lo, hi)
    pf, pf_lim = ci.power_factor_energy_24h, ci.power_factor_alert_limit
    if ci.pf_evaluable and _ok(pf) and pf_lim is not None and pf < pf_lim:
        hits[AlertCause.LOW_PF] = CauseHit(
            AlertCause.LOW_PF,
            pf,
            "1",
            lambda x: -x,
            f"Power factor over the last 24 h of steady running (kWh/kVAh) {pf:.3f} is below the limit "
            f"{pf_lim:.3f} (the lower of {lim.power_factor_limit:.3f} and the machine's healthy PF "
            f"minus {PF_BASELINE_MARGIN:.2f}).",
        )
    return hits


def no_data_sentence(asset_id: str, newest: datetime, stale_after_s: float) -> str:
    return (
        f"No data from {asset_id} since {rfc3339(newest)}; expected at least every "
        f"{stale_after_s / 60.0:.1f} min."
    )


def no_data_hit(asset_id: str, at: datetime, newest: datetime, stale_after_s: float) -> CauseHit:
    age_min = (at - newest).total_seconds() / 60.0
    return CauseHit(
        AlertCause.NO_DATA, age_min, "min", _identity, no_data_sentence(asset_id, newest, stale_after_s)
    )
