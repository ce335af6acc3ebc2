"""Reads of the analytics app: stored events and features as frames, the baseline window, the
active baseline of an asset and the anomaly model behind it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from django.conf import settings

from ingestion.models import Asset
from ingestion.timeseries import FieldTotal, Point, get_store
from pdm_project.contract import EVENT_SIGNALS

from .anomaly import AnomalyModel
from .baseline import BaselineStats
from .features import FEATURE_COLUMNS
from .models import Baseline

EPOCH_START = datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2262, 1, 1, tzinfo=UTC)


# --- reading the store into frames ---------------------------------------------------------


def _frame(points: list[Point], columns: Iterable[str] | None = None) -> pd.DataFrame:
    index = pd.DatetimeIndex([p.time for p in points], tz=UTC) if points else pd.DatetimeIndex([], tz=UTC)
    if columns is None:
        frame = pd.DataFrame([p.fields for p in points], index=index)
    else:
        cols = list(columns)
        frame = pd.DataFrame([[p.fields.get(c) for c in cols] for p in points], index=index, columns=cols)
    return frame.apply(pd.to_numeric, errors="coerce").astype("float64") if len(frame.columns) else frame


def events_frame(*, asset_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The stored events of [start, end): one float column per event signal (readings, derived)."""
    points = get_store().read(measurement="events", asset_id=asset_id, start=start, end=end)
    return _frame(points, EVENT_SIGNALS)


def features_frame(*, asset_id: str, start: datetime, end: datetime) -> pd.DataFrame:
    """The stored features of [start, end), one column per feature of docs/CONTRACTS.md §6."""
    points = get_store().read(measurement="features", asset_id=asset_id, start=start, end=end)
    return _frame(points, FEATURE_COLUMNS)


def model_frame(features: pd.DataFrame, events: pd.DataFrame, how: str = "left") -> pd.DataFrame:
    """Features plus the raw readings they do not already carry, aligned on event time."""
    extra = events[[c for c in events.columns if c not in features.columns]]
    return features.join(extra, how=how)


def baseline_default_window(*, asset: Asset) -> tuple[datetime, datetime] | None:
    """[t0, t0 + N h): t0 = first event at or after the commissioning day (or the first event)."""
    after = EPOCH_START
    if asset.commissioned_at:
        after = datetime.combine(asset.commissioned_at, datetime.min.time(), tzinfo=UTC)
    first = get_store().read(
        measurement="events", asset_id=asset.asset_id, start=after, end=FAR_FUTURE, limit=1
    )
    if not first:
        return None
    t0 = first[0].time
    return t0, t0 + timedelta(hours=settings.BASELINE_DEFAULT_HOURS)


# --- baselines -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActiveBaseline:
    asset_id: str
    version: int
    window_start: datetime
    window_end: datetime
    stats: BaselineStats
    false_anomaly_rate: float | None


def baseline_active(*, asset_id: str) -> ActiveBaseline | None:
    """The asset's active baseline (statistics of every feature), or None before one exists."""
    row = (
        Baseline.objects.filter(asset__asset_id=asset_id, active=True)
        .only("version", "window_start", "window_end", "stats", "false_anomaly_rate")
        .first()
    )
    if row is None:
        return None
    return ActiveBaseline(
        asset_id=asset_id,
        version=row.version,
        window_start=row.window_start,
        window_end=row.window_end,
        stats=BaselineStats.from_dict(row.stats),
        false_anomaly_rate=row.false_anomaly_rate,
    )


def baseline_validation_report(*, asset_id: str, start: datetime, end: datetime) -> dict:
    """Score [start, end) with the active model; the share with score >= 0.5 is the false-anomaly rate.

    Scores the stored features afresh (not the stored scores), so the report holds for the
    model as it is now, over any window the caller knows to be healthy.  Only events of steady
    running are scored (docs/CONTRACTS.md §6.7); the others are counted in ``not_scored``.
    """
    row = Baseline.objects.filter(asset__asset_id=asset_id, active=True).first()
    if row is None:
        raise LookupError(f"asset {asset_id!r} has no active baseline")
    if row.model_blob is None:
        raise LookupError(f"the active baseline of asset {asset_id!r} has no trained model")
    model = AnomalyModel.loads(bytes(row.model_blob))
    feats = features_frame(asset_id=asset_id, start=start, end=end)
    if not len(feats):
        raise LookupError(f"asset {asset_id!r} has no features in [{start.isoformat()}, {end.isoformat()})")
    frame = model_frame(feats, events_frame(asset_id=asset_id, start=start, end=end))
    scores = model.score(frame).dropna()
    if not len(scores):
        raise LookupError(
            f"asset {asset_id!r} was not running steadily in [{start.isoformat()}, {end.isoformat()}): "
            "no event to score"
        )
    anomalous = int((scores >= 0.5).sum())
    rate = anomalous / len(scores)
    return {
        "asset_id": asset_id,
        "baseline_version": row.version,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "events": len(scores),
        "not_scored": len(frame) - len(scores),
        "anomalous": anomalous,
        "false_anomaly_rate": rate,
        "passed": rate <= 0.01,
    }


# --- the feature columns of a report period (docs/CONTRACTS.md §16.1) ------------------------


def asset_period_conditions(
    *, asset_id: str, start: datetime, end: datetime, energy: bool = True
) -> dict[str, float | int | None]:
    """Energy, coverage, power factor and supply-condition durations of the asset's feature points
    with time in [start, end) (§16.1). A condition flag at point i holds for the whole interval
    closing at i (`dur_i = interval_s_i - energy_gap_s_i`, the gap being 0 or the whole interval).
    Sums come from the store (InfluxDB sums on the server). Every value is None without points.

    `energy=False`: `energy_kwh` is not summed (None), for a caller that takes the energy API's
    figure instead (the report): influxd's time grows with the fields it sums, not the queries."""
    store = get_store()

    def totals(fields: list[str], flag: str | None = None) -> dict[str, FieldTotal]:
        return store.totals(
            measurement="features", asset_id=asset_id, start=start, end=end, fields=fields, where_flag=flag
        )

    all_ = totals(["energy_kwh", "energy_gap_s", "interval_s", "power_factor"][0 if energy else 1 :])
    points = max(all_["energy_gap_s"].count, all_["interval_s"].count, all_["power_factor"].count)
    if points == 0:
        return {
            "points": 0,
            "energy_kwh": None,
            "energy_gap_h": None,
            "pf_mean": None,
            "pf_min": None,
            "hours_pf_below_limit": None,
            "voltage_out_of_band_min": None,
            "frequency_out_of_band_min": None,
        }

    gap = all_["energy_gap_s"]
    # every gap of the period is 0 (or there is none): so is every flagged subset's sum, and influxd
    # is spared summing the field again per flag (its time grows with the fields it sums)
    no_gaps = gap.min in (None, 0.0) and gap.max in (None, 0.0)

    def flagged_s(flag: str) -> float:
        t = totals(["interval_s"] if no_gaps else ["interval_s", "energy_gap_s"], flag)
        gap_s = 0.0 if no_gaps else (t["energy_gap_s"].sum or 0.0)
        return max(0.0, (t["interval_s"].sum or 0.0) - gap_s)

    pf = all_["power_factor"]
    return {
        "points": points,
        "energy_kwh": all_["energy_kwh"].sum if energy else None,
        "energy_gap_h": (all_["energy_gap_s"].sum or 0.0) / 3600.0,
        "pf_mean": None if pf.sum is None else pf.sum / pf.count,
        "pf_min": pf.min,
        "hours_pf_below_limit": flagged_s("low_pf") / 3600.0,
        "voltage_out_of_band_min": flagged_s("voltage_out_of_band") / 60.0,
        "frequency_out_of_band_min": flagged_s("frequency_out_of_band") / 60.0,
    }
