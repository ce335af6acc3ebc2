"""Synthetic event/feature/score streams written straight into the store, and baseline rows.

Signals are functions of the hours since the scenario start.  Features are computed from the
events as the contract defines them (15-min means over (t - 15 min, t]), scores are given.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from analytics.baseline import baseline_fit
from analytics.models import Baseline
from ingestion.timeseries import Point

# 00:00 UTC ten days ago: grid- and hour-aligned, and inside InfluxDB's 90-day raw retention.
T0 = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=10)

Signal = Callable[[float], float]


def const(x: float) -> Signal:
    return lambda h: x


@dataclass
class Scenario:
    """Signals as functions of hours since ``start``; None = field absent."""

    vibration: Signal = field(default_factory=lambda: const(1.0))
    temperature: Signal = field(default_factory=lambda: const(60.0))
    voltage: Signal = field(default_factory=lambda: const(415.0))
    frequency: Signal = field(default_factory=lambda: const(50.0))
    power_factor: Signal = field(default_factory=lambda: const(0.93))
    current: Signal = field(default_factory=lambda: const(20.0))
    anomaly: Signal = field(default_factory=lambda: const(0.2))
    ambient: Signal | None = None  # ambient_temperature_c of the events; None = no ambient sensor
    noise: float = 0.0  # relative noise on vibration
    seed: int = 0


def frame(start: datetime, end: datetime, step: timedelta, sc: Scenario, gaps=()) -> pd.DataFrame:
    times = pd.date_range(start, end, freq=step, inclusive="left", tz=UTC)
    for a, b in gaps:
        times = times[(times < a) | (times >= b)]
    h = np.asarray((times - pd.Timestamp(start)).total_seconds() / 3600.0)
    rng = np.random.default_rng(sc.seed)
    vib = np.array([sc.vibration(x) for x in h]) * (1.0 + sc.noise * rng.standard_normal(h.size))
    df = pd.DataFrame(
        {
            "vibration_rms_mm_s": vib,
            "temperature_c": [sc.temperature(x) for x in h],
            "voltage_v": [sc.voltage(x) for x in h],
            "frequency_hz": [sc.frequency(x) for x in h],
            "power_factor": [sc.power_factor(x) for x in h],
            "current_a": [sc.current(x) for x in h],
            "anomaly_score": [sc.anomaly(x) for x in h],
        },
        index=times,
    )
    for col in (
        "vibration_rms_mm_s",
        "current_a",
        "voltage_v",
        "frequency_hz",
        "power_factor",
        "temperature_c",
    ):
        df[f"{col}__mean_15m"] = df[col].rolling("15min").mean()  # window (t - 15 min, t]
    df["current_a__mean_1h"] = df["current_a"].rolling("1h").mean()
    if sc.ambient is not None:
        df["ambient_temperature_c"] = [sc.ambient(x) for x in h]
        df["temperature_rise_c"] = df["temperature_c"] - df["ambient_temperature_c"]
    df["voltage_deviation_pct"] = (df["voltage_v"] - 415.0) / 415.0 * 100.0
    return df


def points(asset_id: str, df: pd.DataFrame, *, scored_from: datetime | None) -> list[Point]:
    out: list[Point] = []
    for t, row in df.iterrows():
        time = t.to_pydatetime()
        ev = {
            k: float(row[k])
            for k in (
                "vibration_rms_mm_s",
                "temperature_c",
                "voltage_v",
                "frequency_hz",
                "power_factor",
                "current_a",
            )
        }
        if "ambient_temperature_c" in row.index:
            ev["ambient_temperature_c"] = float(row["ambient_temperature_c"])
        ev["event_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{asset_id}/{time.isoformat()}"))
        out.append(Point("events", asset_id, time, ev))
        feats = {
            k: float(row[k])
            for k in row.index
            if "__" in k or k in ("voltage_deviation_pct", "temperature_rise_c")
        }
        feats["baseline_version"] = 1 if scored_from is not None and time >= scored_from else 0
        out.append(Point("features", asset_id, time, feats))
        if scored_from is not None and time >= scored_from:
            out.append(
                Point(
                    "scores",
                    asset_id,
                    time,
                    {
                        "anomaly_score": float(row["anomaly_score"]),
                        "anomaly_raw": 0.5,
                        "model_version": 1,
                        "n_imputed": 0,
                    },
                )
            )
    return out


def write_scenario(
    store,
    asset_id: str,
    start: datetime,
    end: datetime,
    sc: Scenario,
    *,
    step: timedelta = timedelta(minutes=5),
    scored_from: datetime | None = None,
    gaps=(),
) -> pd.DataFrame:
    df = frame(start, end, step, sc, gaps)
    store.write(points(asset_id, df, scored_from=scored_from))
    return df


def make_baseline(
    asset,
    start: datetime,
    end: datetime,
    *,
    vib: float = 1.0,
    pf: float = 0.93,
    seed: int = 1,
    version: int = 1,
) -> Baseline:
    """An active baseline fitted on a healthy frame [start, end) (1-min rows, small noise)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, end, freq="1min", inclusive="left", tz=UTC)
    n = times.size
    healthy = pd.DataFrame(
        {
            "vibration_rms_mm_s": vib * (1 + 0.05 * rng.standard_normal(n)),
            "temperature_c": 60.0 + 1.0 * rng.standard_normal(n),
            "voltage_v": 415.0 + 2.0 * rng.standard_normal(n),
            "frequency_hz": 50.0 + 0.02 * rng.standard_normal(n),
            "power_factor": pf + 0.005 * rng.standard_normal(n),
            "current_a": 20.0 + 0.3 * rng.standard_normal(n),
        },
        index=times,
    )
    healthy["current_a__mean_1h"] = healthy["current_a"].rolling("1h").mean()
    healthy["temperature_rise_c"] = healthy["temperature_c"] - 30.0  # ambient 30 degC: a 30 K rise
    stats = baseline_fit(healthy, min_events=100)
    return Baseline.objects.create(
        asset=asset,
        version=version,
        source="admin",
        status="trained",
        window_start=start,
        window_end=end,
        row_count=n,
        stats=stats.to_dict(),
        validation_passed=True,
        active=True,
        activated_at=end,
    )
