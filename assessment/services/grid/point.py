"""One grid point (docs/CONTRACTS.md §9-§13): health, risk and RUL from the newest feature point at
or before it, and the record that stores them with every input they were computed from.

The record's ``inputs`` hold each number the health, risk, explanation and guidance used, so an
assessment can be explained and checked from its own row without reading the time series again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from analytics.selectors import ActiveBaseline
from ingestion.models import Asset

from ...explain import build_factors, rfc3339
from ...health import FACTORS, BaselineStat, HealthInputs, Limits, assess_health, risk_level
from .clock import floor_hour
from .evidence import baseline_stat, expected_rise_at, guidance_baseline_evidence, temperature_rise
from .record import Record
from .rul import GridRul
from .series import GridSeries, flag, num

# Source signal of each factor's baseline statistics (§13.3); the 15-min mean column is the fallback.
BASELINE_SOURCES = {
    "vibration_rms_mm_s": "vibration_rms_mm_s",
    "temperature_c": "temperature_c",
    "voltage_v": "voltage_v",
    "frequency_hz": "frequency_hz",
    "power_factor": "power_factor",
    "current_a": "current_a",
    "temperature_rise_c": "temperature_rise_c",
}


class PointAssessor:
    """Evaluates the grid points of one run from its series, baseline and RUL channels."""

    def __init__(
        self,
        *,
        asset: Asset,
        limits: Limits,
        baseline: ActiveBaseline | None,
        series: GridSeries,
        rul: GridRul,
    ) -> None:
        self.asset = asset
        self.limits = limits
        self.baseline = baseline
        self.series = series
        self.rul = rul

    def assess(self, g: datetime, fi: int, newest_event: datetime | None, stale_after: float) -> Record:
        """The record of grid point ``g`` from feature point ``fi`` (its ``as_of``)."""
        t = self.series.features.times[fi]
        feat = self.series.features.fields[fi]
        ev = self.series.events.at(t) or {}
        b = self.baseline if self.baseline is not None and self.baseline.window_end <= t else None
        sc, score_time = self.series.score_for(t, b)
        anomaly = num(sc.get("anomaly_score")) if b is not None else None
        inputs = self._health_inputs(feat, ev, b, anomaly)
        health = assess_health(inputs, self.limits)
        self.rul.health_memory[t] = health.health_score
        rul, rul_detail = self.rul.at(floor_hour(g))
        risk = risk_level(
            health.health_score,
            health.zone,
            anomaly,
            inputs.temperature_c,
            self.limits,
            inputs.current_ratio,
            rul.rul_days,
            inputs.temperature_rise_excess_c,
        )
        record_inputs = {
            "as_of": rfc3339(t),
            "evaluated_at": rfc3339(g),
            "newest_event_time": None if newest_event is None else rfc3339(newest_event),
            "stale_after_s": stale_after,
            **_measured(inputs, feat, anomaly),
            "anomaly_score_time": None if anomaly is None else rfc3339(score_time),
            "running": flag(feat.get("running")),
            "running_1h": flag(feat.get("running_1h")),
            "voltage_v__mean_15m": num(feat.get("voltage_v__mean_15m")),
            "frequency_hz__mean_15m": num(feat.get("frequency_hz__mean_15m")),
            "power_factor__mean_15m": num(feat.get("power_factor__mean_15m")),
            "rated_voltage_v": inputs.rated_voltage_v,
            "rated_current_a": inputs.rated_current_a,
            "n_imputed": sc.get("n_imputed") if b is not None else None,
            "baseline_window_end": None if b is None else rfc3339(b.window_end),
            "limits": limits_snapshot(self.limits),
            "rul": rul_detail,
            "guidance_features": _guidance_features(feat, ev, b),
        }
        model_version = sc.get("model_version") if b is not None else None
        rec = Record(
            as_of=t,
            evaluated_at=g,
            health_score=health.health_score,
            risk_level=risk.level,
            overrides=risk.overrides,
            rul=rul,
            stale=False,
            baseline_missing=b is None,
            baseline_version=None if b is None else b.version,
            model_version=None if model_version is None else int(model_version),
            anomaly_score=anomaly,
            zone=health.zone,
            penalties=health.penalties,
            factors=build_factors(health, inputs, self.limits),
            inputs=record_inputs,
        )
        rec.render()
        return rec

    def _health_inputs(
        self, feat: dict[str, Any], ev: dict[str, Any], b: ActiveBaseline | None, anomaly: float | None
    ) -> HealthInputs:
        """§9.1: the 15-min means of vibration and current, the event's own readings, the anomaly
        score and the baseline statistics each factor is explained against."""
        base_stats: dict[str, BaselineStat] = {}
        if b is not None:
            for key, signal in BASELINE_SOURCES.items():
                st = baseline_stat(b, signal)
                if st is not None:
                    base_stats[key] = BaselineStat(st.mean, st.std)
        return HealthInputs(
            vibration_rms_mm_s=num(feat.get("vibration_rms_mm_s__mean_15m")),
            temperature_c=num(ev.get("temperature_c")),
            voltage_v=num(ev.get("voltage_v")),
            rated_voltage_v=float(self.asset.rated_voltage_v),
            frequency_hz=num(ev.get("frequency_hz")),
            # a machine at rest has no power factor to judge (PF 0 or undefined): no PF penalty (§9.1)
            power_factor=num(ev.get("power_factor")) if flag(feat.get("running")) is not False else None,
            current_a=num(feat.get("current_a__mean_15m")),
            rated_current_a=float(self.asset.rated_current_a),
            anomaly_score=anomaly,
            temperature_rise_c=temperature_rise(ev),
            expected_temperature_rise_c=expected_rise_at(baseline=b, feat=feat),
            baseline=base_stats,
        )


def _measured(inputs: HealthInputs, feat: dict[str, Any], anomaly: float | None) -> dict[str, Any]:
    """The health inputs as the record stores them (same keys, same order as ever)."""
    return {
        "vibration_rms_mm_s__mean_15m": inputs.vibration_rms_mm_s,
        "current_a__mean_15m": inputs.current_a,
        "temperature_c": inputs.temperature_c,
        "temperature_rise_c": inputs.temperature_rise_c,
        "expected_temperature_rise_c": inputs.expected_temperature_rise_c,
        "voltage_v": inputs.voltage_v,
        "frequency_hz": inputs.frequency_hz,
        "power_factor": inputs.power_factor,
        "anomaly_score": anomaly,
    }


def limits_snapshot(lim: Limits) -> dict[str, Any]:
    """The limits the assessment was computed with (a later threshold change does not rewrite
    what an old assessment was judged against)."""
    return {
        "iso_group": lim.iso_group,
        "foundation": lim.foundation,
        "zone_boundaries_mm_s": list(lim.zone_boundaries),
        "temperature_warn_c": lim.temperature_warn_c,
        "temperature_limit_c": lim.temperature_limit_c,
        "voltage_band_pct": lim.voltage_band_pct,
        "power_factor_limit": lim.power_factor_limit,
        "current_limit_pct": lim.current_limit_pct,
        "temperature_rise_excess_onset_k": lim.temperature_rise_excess_onset_k,
        "temperature_rise_excess_limit_k": lim.temperature_rise_excess_limit_k,
        "weights": {k: lim.weight(k) for k in FACTORS},
        "anomaly_critical": lim.anomaly_critical,
        "rul_warning_days": lim.rul_warning_days,
        "rul_critical_days": lim.rul_critical_days,
    }


def _guidance_features(feat: dict[str, Any], ev: dict[str, Any], b: ActiveBaseline | None) -> dict[str, Any]:
    """The readings the guidance's symptom profile is built from (§15.5)."""
    return {
        "kurtosis": num(feat.get("vibration_kurtosis__mean_15m")),
        "kurtosis_slope_per_day": num(feat.get("vibration_kurtosis_slope_per_day")),
        "vibration_rms_slope_mm_s_per_day": num(feat.get("vibration_rms_slope_mm_s_per_day")),
        "load_factor": num(feat.get("load_factor")),
        "ambient_temperature_c": num(ev.get("ambient_temperature_c")),
        "rpm": num(ev.get("rpm")),
        **guidance_baseline_evidence(baseline=b, feat=feat),
    }
