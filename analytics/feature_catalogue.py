"""The feature table's contract as data (docs/CONTRACTS.md §6): the input signals, the windows,
the tunable parameters, the asset data the features need and the spec of every output column.

Kept apart from the computation (``analytics.features``) so that a reader, the baseline and the
API can see what a column means without reading how it is computed, and so that adding a signal
starts here: its name in a signal tuple, its unit, its noise floor.  Pure Python/pandas, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from pdm_project import contract

NS_PER_S = 1_000_000_000
NS_PER_HOUR = 3600 * NS_PER_S

#: the inputs: the contract's readings (pdm_project.contract) with the derived power signals;
#: power_kw is required, the other derived signals are optional like the optional readings
REQUIRED_SIGNALS: tuple[str, ...] = (*contract.REQUIRED_SIGNALS, "power_kw")
OPTIONAL_SIGNALS: tuple[str, ...] = (
    *contract.OPTIONAL_SIGNALS,
    *(s for s in contract.DERIVED_SIGNALS if s not in REQUIRED_SIGNALS),
)
#: spectral band values (optional): only their 15-min mean is kept, for the guidance's symptom
#: words relative to the healthy baseline (docs/CONTRACTS.md section 15.5)
SPECTRAL_SIGNALS: tuple[str, ...] = contract.SPECTRAL_SIGNALS
ROLLING_SIGNALS: tuple[str, ...] = (
    "voltage_v",
    "current_a",
    "power_factor",
    "frequency_hz",
    "temperature_c",
    "vibration_rms_mm_s",
    "vibration_kurtosis",
    "power_kw",
)
SIGNAL_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "voltage_v": "V",
        "current_a": "A",
        "power_factor": "1",
        "frequency_hz": "Hz",
        "temperature_c": "degC",
        "vibration_rms_mm_s": "mm/s",
        "vibration_kurtosis": "1",
        "power_kw": "kW",
        "vibration_1x_mm_s": "mm/s",
        "vibration_2x_mm_s": "mm/s",
        "envelope_bpfo_g": "g",
        "envelope_bpfi_g": "g",
    }
)
#: name suffix -> window length; windows are (t - W, t] (left-open, right-closed)
WINDOWS: Mapping[str, pd.Timedelta] = MappingProxyType(
    {"15m": pd.Timedelta(minutes=15), "1h": pd.Timedelta(hours=1), "24h": pd.Timedelta(hours=24)}
)
#: absolute noise floors (docs/CONTRACTS.md §6.2): spike test and baseline normalisation
ABS_FLOORS: Mapping[str, float] = MappingProxyType(
    {
        "voltage_v": 1.0,
        "current_a": 0.1,
        "power_factor": 0.01,
        "frequency_hz": 0.02,
        "frequency_deviation_hz": 0.02,
        "temperature_c": 0.5,
        "temperature_rise_c": 0.5,
        "vibration_rms_mm_s": 0.1,
        "vibration_kurtosis": 0.2,
        "power_kw": 0.1,
        "voltage_deviation_pct": 0.1,
        "load_factor": 0.01,
    }
)


_15MIN = pd.Timedelta(minutes=15)
_1H = pd.Timedelta(hours=1)
_24H = pd.Timedelta(hours=24)
_72H = pd.Timedelta(hours=72)


@dataclass(frozen=True)
class AssetContext:
    """Static asset data the features need (plus the per-asset overrides of §3.3)."""

    rated_voltage_v: float
    rated_power_kw: float
    nominal_frequency_hz: float = 50.0
    #: healthy mean temperature, used for ``temperature_rise_c`` when no ambient reading
    baseline_temperature_c: float | None = None
    #: per-asset overrides; None keeps FeatureParams' value
    voltage_band_pct: float | None = None
    power_factor_limit: float | None = None
    #: nameplate current and speed, for the operating state (``running``); without a rated
    #: current the state is unknown (null) and every row counts as scorable
    rated_current_a: float | None = None
    rated_rpm: float | None = None

    def __post_init__(self) -> None:
        if not (np.isfinite(self.rated_voltage_v) and self.rated_voltage_v > 0):
            raise ValueError(f"rated_voltage_v must be > 0, got {self.rated_voltage_v!r}")
        if not (np.isfinite(self.rated_power_kw) and self.rated_power_kw > 0):
            raise ValueError(f"rated_power_kw must be > 0, got {self.rated_power_kw!r}")
        for name in ("rated_current_a", "rated_rpm"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0 when given, got {value!r}")


@dataclass(frozen=True)
class FeatureParams:
    """Tunable feature parameters (defaults are the contract values)."""

    spike_k: float = 4.0
    spike_window: pd.Timedelta = _1H
    spike_min_points: int = 10
    spike_rel_floor: float = 0.01
    spike_min_floor: float = 1e-9
    spike_abs_floors: Mapping[str, float] = field(default_factory=lambda: dict(ABS_FLOORS))
    voltage_band_pct: float = 6.0
    #: out of band when f < nominal - low or f > nominal + high (49.90 / 50.05 at 50 Hz)
    frequency_band_low_hz: float = 0.10
    frequency_band_high_hz: float = 0.05
    low_pf_threshold: float = 0.90
    #: running_1h: every event in (t - this, t] is running (the longest model input window)
    settled_window: pd.Timedelta = _1H
    #: max_gap = max(energy_gap_factor * median interval, energy_min_max_gap)
    energy_gap_factor: float = 3.0
    energy_min_max_gap: pd.Timedelta = _15MIN
    #: the median interval is taken over the intervals with both ends in (t - this, t]
    energy_median_window: pd.Timedelta = _24H
    #: fixed median interval (seconds); when set it replaces the rolling past-only median
    median_interval_s: float | None = None
    energy_sum_window: pd.Timedelta = _24H
    slope_window: pd.Timedelta = _72H
    slope_min_hours: int = 12
    history_margin: pd.Timedelta = _1H

    def __post_init__(self) -> None:
        if self.slope_window % pd.Timedelta(hours=1) != pd.Timedelta(0):
            raise ValueError("slope_window must be a whole number of hours")
        if self.spike_min_points < 2:
            raise ValueError("spike_min_points must be >= 2")

    def for_asset(self, context: AssetContext) -> FeatureParams:
        """These parameters with the asset's overrides applied."""
        changes: dict[str, Any] = {}
        if context.voltage_band_pct is not None:
            changes["voltage_band_pct"] = float(context.voltage_band_pct)
        if context.power_factor_limit is not None:
            changes["low_pf_threshold"] = float(context.power_factor_limit)
        return replace(self, **changes) if changes else self


@dataclass(frozen=True)
class FeatureSpec:
    """Traceability metadata for one output column."""

    name: str
    formula: str
    sources: tuple[str, ...]
    window: str
    unit: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "formula": self.formula,
            "sources": list(self.sources),
            "window": self.window,
            "unit": self.unit,
        }


def _rolling_specs() -> list[FeatureSpec]:
    """§6.1-6.2: rolling mean / std per window, spectral 15-min means, spike flags."""
    out: list[FeatureSpec] = []
    for sig in ROLLING_SIGNALS:
        unit = SIGNAL_UNITS[sig]
        for w in WINDOWS:
            out.append(
                FeatureSpec(
                    f"{sig}__mean_{w}",
                    f"arithmetic mean of the present values of {sig} over (t-{w}, t]; null if none",
                    (sig,),
                    f"(t-{w}, t]",
                    unit,
                )
            )
            out.append(
                FeatureSpec(
                    f"{sig}__std_{w}",
                    f"sample standard deviation (ddof=1) of the present values of {sig} over (t-{w}, t]; "
                    "null if fewer than 2",
                    (sig,),
                    f"(t-{w}, t]",
                    unit,
                )
            )
    for sig in SPECTRAL_SIGNALS:
        out.append(
            FeatureSpec(
                f"{sig}__mean_15m",
                f"arithmetic mean of the present values of {sig} over (t-15m, t]; null if none",
                (sig,),
                "(t-15m, t]",
                SIGNAL_UNITS[sig],
            )
        )
    for sig in ROLLING_SIGNALS:
        out.append(
            FeatureSpec(
                f"{sig}__spike",
                f"1 if |{sig}_t - m| > k * max(sd, max(1e-9, 0.01*|m|, abs_floor)) with m, sd = mean, sample "
                f"std of the present values of {sig} over (t-1h, t) (t itself excluded), k = 4, abs_floor = "
                f"{ABS_FLOORS[sig]} {SIGNAL_UNITS[sig]}; 0 when fewer than 10 previous values or {sig}_t absent",
                (sig,),
                "(t-1h, t)",
                "flag",
            )
        )
    return out


def _supply_specs() -> list[FeatureSpec]:
    """§6.3: supply quality against the asset's rating, and the load factor."""
    return [
        FeatureSpec(
            "voltage_deviation_pct",
            "(voltage_v - rated_voltage_v) / rated_voltage_v * 100",
            ("voltage_v", "asset.rated_voltage_v"),
            "instant",
            "%",
        ),
        FeatureSpec(
            "voltage_out_of_band",
            "1 if |voltage_deviation_pct| > voltage_band_pct (default 6.0, per-asset override) else 0; 0 if absent",
            ("voltage_v", "asset.rated_voltage_v"),
            "instant",
            "flag",
        ),
        FeatureSpec(
            "frequency_deviation_hz",
            "frequency_hz - 50.0 (nominal_frequency_hz)",
            ("frequency_hz", "asset.nominal_frequency_hz"),
            "instant",
            "Hz",
        ),
        FeatureSpec(
            "frequency_out_of_band",
            "1 if frequency_hz < 49.90 or frequency_hz > 50.05 (nominal -0.10 / +0.05; edges in band) else 0; "
            "0 if absent",
            ("frequency_hz", "asset.nominal_frequency_hz"),
            "instant",
            "flag",
        ),
        FeatureSpec("power_factor", "the event's power_factor, as is", ("power_factor",), "instant", "1"),
        FeatureSpec(
            "low_pf",
            "1 if power_factor < power_factor_limit (default 0.90, per-asset override) else 0; 0 if absent",
            ("power_factor",),
            "instant",
            "flag",
        ),
        FeatureSpec(
            "load_factor", "power_kw / rated_power_kw", ("power_kw", "asset.rated_power_kw"), "instant", "1"
        ),
    ]


def _energy_specs() -> list[FeatureSpec]:
    """§6.4: event intervals and trapezoidal energy."""
    return [
        FeatureSpec(
            "interval_s",
            "t - t_prev in seconds, t_prev = the asset's previous event (any age); null for the "
            "asset's first event",
            ("time",),
            "(t_prev, t]",
            "s",
        ),
        FeatureSpec(
            "energy_kwh",
            "(power_kw(t_prev) + power_kw(t)) / 2 * interval_s / 3600 when interval_s <= max_gap_s, else 0; 0 for "
            "the first event; max_gap_s = max(3 * median_interval_s, 900) with median_interval_s = median of the "
            "intervals whose both ends lie in (t-24h, t] (max_gap_s = 900 when there is none); null if a power "
            "value is absent",
            ("power_kw", "time"),
            "(t_prev, t]",
            "kWh",
        ),
        FeatureSpec(
            "energy_gap_s",
            "interval_s when interval_s > max_gap_s (energy not integrated), else 0",
            ("time",),
            "(t_prev, t]",
            "s",
        ),
        FeatureSpec(
            "energy_kwh_24h",
            "sum of the non-null energy_kwh over events with time in (t-24h, t]; null if none",
            ("power_kw", "time"),
            "(t-24h, t]",
            "kWh",
        ),
    ]


def _trend_specs() -> list[FeatureSpec]:
    """§6.5: Theil-Sen slopes of hourly medians."""
    return [
        FeatureSpec(
            name,
            f"Theil-Sen slope (median of pairwise slopes) against time in days of the hourly medians of {sig} "
            "over the completed UTC clock hours inside (t-72h, t]: the 71 whole hours [H-71h, H) before t's "
            "hour H (t's own partial hour is not used, so the value is constant within an hour); null if fewer "
            "than 12 non-empty hours",
            (sig,),
            "completed hours in (t-72h, t]",
            unit,
        )
        for name, sig, unit in (
            ("vibration_rms_slope_mm_s_per_day", "vibration_rms_mm_s", "mm/s/day"),
            ("vibration_kurtosis_slope_per_day", "vibration_kurtosis", "1/day"),
        )
    ]


def _state_specs() -> list[FeatureSpec]:
    """§6.7 operating state, then §6.6 temperature rise."""
    return [
        FeatureSpec(
            "running",
            "1 if current_a >= 0.10 * rated_current_a and (rpm absent or rpm >= 0.10 * rated_rpm) else 0; "
            "null when the asset's rated current is unknown",
            ("current_a", "rpm", "asset.rated_current_a", "asset.rated_rpm"),
            "instant",
            "flag",
        ),
        FeatureSpec(
            "running_1h",
            "1 if every event with time in (t-1h, t] is running, else 0 (the machine has run through the "
            "longest anomaly-model window: such rows are scored); null when running is null",
            ("current_a", "rpm", "asset.rated_current_a", "asset.rated_rpm"),
            "(t-1h, t]",
            "flag",
        ),
        FeatureSpec(
            "temperature_rise_c",
            "temperature_c - ambient_temperature_c when the event has ambient; else temperature_c - baseline mean "
            "of temperature_c (AssetContext.baseline_temperature_c or the baseline's temperature_c stats); null "
            "when neither exists",
            ("temperature_c", "ambient_temperature_c", "baseline.temperature_c"),
            "instant",
            "degC",
        ),
    ]


def _build_specs() -> dict[str, FeatureSpec]:
    """Every output column in table order: the order of the groups below is the column order."""
    groups = (_rolling_specs(), _supply_specs(), _energy_specs(), _trend_specs(), _state_specs())
    return {spec.name: spec for group in groups for spec in group}


#: every output column -> FeatureSpec (formula text, source signals, window, unit)
FEATURE_SPECS: Mapping[str, FeatureSpec] = MappingProxyType(_build_specs())
#: output column order of :func:`compute_features`
FEATURE_COLUMNS: tuple[str, ...] = tuple(FEATURE_SPECS)
#: 0/1 flag columns (stored as float64 0.0 / 1.0 like every other column)
FLAG_COLUMNS: tuple[str, ...] = tuple(n for n, s in FEATURE_SPECS.items() if s.unit == "flag")


def required_history(params: FeatureParams | None = None) -> timedelta:
    """History that must precede the first emitted row for exact incremental results.

    The two-block window decomposition needs ``2 * W`` of the longest window (48 h), the
    trend ``slope_window`` (72 h), the 24 h energy sum its rows' median windows (48 h);
    plus ``history_margin`` (1 h): 73 h by default.  The caller also passes the last event
    before that (the predecessor of the first row, see the module docstring).
    """
    p = params or FeatureParams()
    longest = max(
        2 * max(WINDOWS.values()),
        2 * p.spike_window,
        2 * p.settled_window,
        p.slope_window,
        p.energy_sum_window + p.energy_median_window,
    )
    history: timedelta = (longest + p.history_margin).to_pytimedelta()
    return history
