"""Ground-truth labels (JSON lines, docs/generator.md "Labels"), written before the events:

  {"type":"asset", ...}            one per asset: the fault, its law, when each platform threshold is
                                   crossed, the energy truth (consumption, idle, extra energy)
  {"type":"grid_event", ...}       sags, swells, frequency excursions of the site bus
  {"type":"phase", ...}            (labels_format "intervals") phase spans per asset
  {"type":"idle", ...}             idle running periods: start, end, energy
  {"type":"extra_energy", ...}     a fault's extra input energy per UTC hour, from its onset's hour

Threshold crossings are those of the platform's default limits (docs/CONTRACTS.md) that the twin can
know from its own signals: the ISO 10816-3 zone boundaries of the asset (§9.2; zone D = the C/D
boundary, the vibration RUL target of §11) on the fault's noise-free design RMS at the reference running
condition, and on the noise-free series: the frame temperature against `temperature_warn_c` and
`temperature_limit_c` (§3.3), its excess over the healthy twin against the temperature-rise onset and
limit (§9.1), the 15-minute mean current against `current_limit_pct` (§3.3, §10). The health floor
(H < 40, §11) depends on the platform's anomaly model and is not labelled.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .energy import KWH_DECIMALS, hourly_sums, kwh, runs
from .faults import PHASE_DEGRADING, VIBRATION_DEFECTS, threshold_life
from .scenario import AssetSpec, Fleet
from .scenario_schema import PHASES
from .truth import AssetTruth, asset_truth

if TYPE_CHECKING:
    from .fleet import AssetSchedule, SiteSeries

# CONTRACTS §3.3 / §9.1 defaults
TEMPERATURE_WARN_C = 80.0
TEMPERATURE_LIMIT_C = 95.0
RISE_EXCESS_ONSET_K = 10.0
RISE_EXCESS_LIMIT_K = 30.0
CURRENT_LIMIT_PCT = 120.0
CURRENT_MEAN_WINDOW_S = 900.0  # current_a__mean_15m


def iso_utc(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dumps(rec: dict[str, Any]) -> str:
    return json.dumps(rec, separators=(",", ":"))


def threshold_time_s(
    fleet: Fleet, asset: AssetSpec, schedule: AssetSchedule, boundary: float | None = None
) -> float | None:
    """Seconds from the start at which a vibration fault's design in-band RMS (reference running
    condition, no noise) first reaches `boundary` (default the asset's ISO 10816-3 zone C/D boundary,
    the failure threshold of the platform's RUL, docs/CONTRACTS.md §11); None for healthy assets, for
    modes that leave vibration unchanged (overheating, electrical) and when it is not reached from
    below. The machines fail later, at 1.3-1.5 x C/D."""
    timing = schedule.timing
    if timing is None or timing.mode not in VIBRATION_DEFECTS:
        return None
    u = threshold_life(
        schedule.physics.vibration, asset.zones[2] if boundary is None else boundary, timing.law
    )
    if u is None:
        return None
    return timing.onset_s + u * (timing.failure_s - timing.onset_s)


def _first(mask: np.ndarray, t: np.ndarray, start_s: float) -> float | None:
    hit = np.flatnonzero(mask & (t >= start_s))
    return float(t[hit[0]]) if hit.size else None


def trailing_mean(x: np.ndarray, dt: float, window_s: float) -> np.ndarray:
    """Mean over the samples in (t - window_s, t] (fewer at the start)."""
    m = max(1, math.ceil(window_s / dt - 1e-9))
    c = np.concatenate([[0.0], np.cumsum(x)])
    k = np.arange(x.shape[0])
    lo = np.maximum(k + 1 - m, 0)
    return (c[k + 1] - c[lo]) / (k + 1 - lo)


def threshold_crossings(
    fleet: Fleet, asset: AssetSpec, schedule: AssetSchedule, truth: AssetTruth, site: SiteSeries
) -> dict[str, dict[str, Any]]:
    """{name: {"level", "unit", "time"}}: the first crossing at or after the fault's onset, while the
    machine still reports (time null when not crossed)."""
    timing = schedule.timing
    assert timing is not None
    t = site.t_rel
    end = min(timing.end_s, fleet.duration_s)
    out: dict[str, dict[str, Any]] = {}

    def put(name: str, level: float, unit: str, when: float | None, *, exact: bool = False) -> None:
        crossed = when is not None and when < end
        stamp = (
            iso_utc(site.start_epoch + (math.ceil(when) if exact else round(when)))
            if crossed and when is not None
            else None
        )
        out[name] = {"level": level, "unit": unit, "time": stamp}

    for name, boundary in zip(("zone_b", "zone_c", "zone_d"), asset.zones, strict=True):
        put(name, boundary, "mm/s", threshold_time_s(fleet, asset, schedule, boundary), exact=True)
    emit, onset = truth.emit, timing.onset_s
    temp = truth.temperature_c
    put("temperature_warn", TEMPERATURE_WARN_C, "°C", _first(emit & (temp >= TEMPERATURE_WARN_C), t, onset))
    put(
        "temperature_limit", TEMPERATURE_LIMIT_C, "°C", _first(emit & (temp >= TEMPERATURE_LIMIT_C), t, onset)
    )
    excess = temp - truth.healthy_temperature_c
    for name, level in (
        ("temperature_rise_excess_onset", RISE_EXCESS_ONSET_K),
        ("temperature_rise_excess_limit", RISE_EXCESS_LIMIT_K),
    ):
        put(name, level, "K", _first(emit & (excess >= level), t, onset))
    mean_i = trailing_mean(truth.current_a, site.dt, CURRENT_MEAN_WINDOW_S)
    limit = CURRENT_LIMIT_PCT / 100.0 * asset.rated_current_a
    put("overcurrent", CURRENT_LIMIT_PCT, "% of rated current", _first(emit & (mean_i > limit), t, onset))
    return out


def _energy(
    fleet: Fleet, truth: AssetTruth, dt: float, timing_present: bool, loss_pct: float
) -> dict[str, Any]:
    e, emit = truth.energy, truth.emit
    extra = np.where(emit, e.extra_kw, 0.0)
    rec: dict[str, Any] = {
        "consumption_kwh": round(kwh(np.where(emit, e.power_kw, 0.0), dt), KWH_DECIMALS),
        "idle_load_factor": fleet.scenario.energy.idle_load_factor,
        "idle_hours": round(float(np.sum(e.idle)) * dt / 3600.0, 6),
        "idle_kwh": round(kwh(np.where(e.idle, e.power_kw, 0.0), dt), KWH_DECIMALS),
        "extra_loss_pct": loss_pct,
        "extra_kwh": round(kwh(extra, dt), KWH_DECIMALS),
    }
    if timing_present:
        rec["extra_kwh_degrading"] = round(
            kwh(np.where(truth.phase == PHASE_DEGRADING, extra, 0.0), dt), KWH_DECIMALS
        )
    return rec


def asset_record(
    fleet: Fleet, site: SiteSeries, asset: AssetSpec, schedule: AssetSchedule, truth: AssetTruth
) -> dict[str, Any]:
    timing = schedule.timing
    start = site.start_epoch
    if timing is None:
        rec: dict[str, Any] = {"type": "asset", "asset_id": asset.asset_id, "mode": None, "law": None,
                               "onset": None, "degrading_start": None, "threshold_time": None,
                               "failure_time": None, "events_end": None, "thresholds": None}  # fmt: skip
        rec["energy"] = _energy(fleet, truth, site.dt, False, 0.0)
        return rec
    end = min(timing.end_s, fleet.duration_s)
    thresholds = threshold_crossings(fleet, asset, schedule, truth, site)
    return {
        "type": "asset",
        "asset_id": asset.asset_id,
        "mode": timing.mode,
        "law": timing.law.as_label(),
        "onset": iso_utc(start + math.ceil(timing.onset_s)),
        "degrading_start": iso_utc(start + math.ceil(timing.degrading_s)),
        "threshold_time": thresholds["zone_d"]["time"] if timing.mode in VIBRATION_DEFECTS else None,
        "failure_time": iso_utc(start + math.ceil(timing.failure_s)),
        "events_end": iso_utc(start + math.ceil(end)),
        "thresholds": thresholds,
        "energy": _energy(fleet, truth, site.dt, True, timing.extra_loss_pct),
    }


def idle_lines(asset: AssetSpec, truth: AssetTruth, site: SiteSeries) -> list[str]:
    p, dt, t0 = truth.energy.power_kw, site.dt, site.start_epoch
    return [
        _dumps({"type": "idle", "asset_id": asset.asset_id, "start": iso_utc(t0 + site.t_rel[a]),
                "end": iso_utc(t0 + site.t_rel[b - 1] + dt), "energy_kwh": round(kwh(p[a:b], dt), KWH_DECIMALS)})
        for a, b in runs(truth.energy.idle)
    ]  # fmt: skip


def extra_energy_lines(
    asset: AssetSpec, schedule: AssetSchedule, truth: AssetTruth, site: SiteSeries
) -> list[str]:
    timing = schedule.timing
    if timing is None:
        return []
    first_hour = math.floor((site.start_epoch + timing.onset_s) / 3600.0) * 3600.0
    sel = truth.emit & (site.start_epoch + site.t_rel >= first_hour)
    per_sample = truth.energy.extra_kw[sel] * site.dt / 3600.0
    return [
        _dumps({"type": "extra_energy", "asset_id": asset.asset_id, "start": iso_utc(h), "end": iso_utc(h + 3600.0),
                "energy_kwh": round(v, KWH_DECIMALS)})
        for h, v in hourly_sums(site.t_rel[sel], site.start_epoch, per_sample)
    ]  # fmt: skip


def phase_interval_lines(fleet: Fleet, site: SiteSeries, schedules: dict[int, AssetSchedule]) -> list[str]:
    lines = []
    dt = site.dt
    n = site.t_rel.shape[0]
    for a in fleet.assets:
        timing = schedules[a.index].timing
        if timing is None:
            bounds = [("healthy", 0.0, n * dt)]
        else:
            end = min(timing.end_s, n * dt)
            cuts = [0.0, timing.onset_s, timing.degrading_s, timing.failure_s, end]
            bounds = []
            for name, lo, hi in zip(PHASES, cuts[:-1], cuts[1:], strict=True):
                lo_k = math.ceil(max(lo, 0.0) / dt)
                hi_k = math.ceil(min(hi, end) / dt)
                if hi_k > lo_k:
                    bounds.append((name, lo_k * dt, hi_k * dt))
        for name, lo, hi in bounds:
            rec = {"type": "phase", "asset_id": a.asset_id, "phase": name,
                   "start": iso_utc(site.start_epoch + lo), "end": iso_utc(site.start_epoch + hi)}  # fmt: skip
            lines.append(_dumps(rec))
    return lines


def grid_event_lines(site: SiteSeries) -> list[str]:
    return [
        _dumps({"type": "grid_event", "kind": ev.kind, "start": iso_utc(site.start_epoch + ev.start_s),
                "end": iso_utc(site.start_epoch + ev.end_s), "magnitude": round(ev.magnitude, 4)})
        for ev in site.events
    ]  # fmt: skip


def label_head_lines(
    fleet: Fleet, site: SiteSeries, schedules: dict[int, AssetSchedule], labels_format: str = "events"
) -> list[str]:
    """Every label line except the per-event ones, in the order of the module docstring."""
    assets, idle, extra = [], [], []
    for a in fleet.assets:
        sch = schedules[a.index]
        truth = asset_truth(fleet, a, site, sch)
        assets.append(_dumps(asset_record(fleet, site, a, sch, truth)))
        idle += idle_lines(a, truth, site)
        extra += extra_energy_lines(a, sch, truth, site)
    spans = phase_interval_lines(fleet, site, schedules) if labels_format == "intervals" else []
    return assets + grid_event_lines(site) + spans + idle + extra
