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
from .energy.conditions import FEATURE_FIELDS as CONDITION_FEATURES
from .energy.conditions import MIN_FIELD as CONDITION_MIN
from .energy.conditions import ROLLUP_MEASUREMENT, ConditionSums, points_sums
from .energy.conditions import SUM_FIELDS as CONDITION_SUMS
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
    """The stored events of [start, end): one float column per event signal (readings, derived).

    Read as columns (no Point per event): the pipeline reads its chunk and 73 h of history
    per run, and this is its largest read."""
    times, columns = get_store().read_columns(
        measurement="events", asset_id=asset_id, start=start, end=end, fields=EVENT_SIGNALS
    )
    index = pd.DatetimeIndex(pd.to_datetime(times, unit="us", utc=True))
    frame = pd.DataFrame(columns, index=index, columns=list(EVENT_SIGNALS))
    return frame.apply(pd.to_numeric, errors="coerce").astype("float64")


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


HOUR = timedelta(hours=1)


def asset_period_conditions(
    *, asset_id: str, start: datetime, end: datetime
) -> dict[str, float | int | None]:
    """Coverage, power factor and supply-condition durations of the asset's feature points with
    time in [start, end) (§16.1). A condition flag at point i holds for the whole interval
    closing at i (`dur_i = interval_s_i - energy_gap_s_i`, the gap being 0 or the whole interval).
    Every value is None without points. Energy is not here: the report shows the energy API's
    figure (§16.1).

    The whole UTC hours of the period are read from the hourly rollups' condition sums (§18.3:
    720 points for a month instead of 43,200 feature points), the partly covered hours at its
    edges from their feature points; a range whose rollups do not all carry the sums (written
    before they existed) is summed from the features on the store."""
    sums = period_condition_sums(asset_id=asset_id, start=start, end=end)
    if sums.points == 0:
        return {
            "points": 0,
            "energy_gap_h": None,
            "pf_mean": None,
            "pf_min": None,
            "hours_pf_below_limit": None,
            "voltage_out_of_band_min": None,
            "frequency_out_of_band_min": None,
        }
    return {
        "points": sums.points,
        "energy_gap_h": sums.gap_s / 3600.0,
        "pf_mean": sums.pf_sum / sums.pf_count if sums.pf_count else None,
        "pf_min": sums.pf_min,
        "hours_pf_below_limit": max(0.0, sums.low_pf_s) / 3600.0,
        "voltage_out_of_band_min": max(0.0, sums.voltage_out_of_band_s) / 60.0,
        "frequency_out_of_band_min": max(0.0, sums.frequency_out_of_band_s) / 60.0,
    }


def _ceil_hour(moment: datetime) -> datetime:
    floor = moment.replace(minute=0, second=0, microsecond=0)
    return floor if floor == moment else floor + HOUR


def period_condition_sums(*, asset_id: str, start: datetime, end: datetime) -> ConditionSums:
    """The §16.1 condition sums of [start, end): rollups for its whole hours, feature points for
    the partial hours at its edges (see `asset_period_conditions`)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first, last = _ceil_hour(start), end.replace(minute=0, second=0, microsecond=0)
    if first >= last:
        return _points_sums(asset_id, start, end)
    sums = _rollup_sums(asset_id, first, last)
    if sums is None:
        return features_condition_sums(asset_id=asset_id, start=start, end=end)
    for a, b in ((start, first), (last, end)):
        if a < b:
            sums.add(_points_sums(asset_id, a, b))
    return sums


def _points_sums(asset_id: str, start: datetime, end: datetime) -> ConditionSums:
    points = get_store().read(
        measurement="features", asset_id=asset_id, start=start, end=end, fields=list(CONDITION_FEATURES)
    )
    return points_sums(p.fields for p in points)


def _rollup_sums(asset_id: str, start: datetime, end: datetime) -> ConditionSums | None:
    """The sums of the rollups of the hours in [start, end), or None when some rollup there lacks
    them (its hour was written before the rollups carried them)."""
    totals = get_store().totals(
        measurement=ROLLUP_MEASUREMENT,
        asset_id=asset_id,
        start=start,
        end=end,
        fields=[*CONDITION_SUMS, CONDITION_MIN, "baseline_version"],
    )
    if totals["cond_gap_count"].count < totals["baseline_version"].count:
        return None
    return ConditionSums.from_totals(
        {name: totals[name].sum for name in CONDITION_SUMS}, totals[CONDITION_MIN].min
    )


def features_condition_sums(*, asset_id: str, start: datetime, end: datetime) -> ConditionSums:
    """The §16.1 condition sums of [start, end) summed from the feature points on the store
    (InfluxDB sums on the server): one query for the period and one per condition flag."""
    store = get_store()

    def totals(fields: list[str], flag: str | None = None) -> dict[str, FieldTotal]:
        return store.totals(
            measurement="features", asset_id=asset_id, start=start, end=end, fields=fields, where_flag=flag
        )

    all_ = totals(["energy_gap_s", "interval_s", "power_factor"])
    gap, pf = all_["energy_gap_s"], all_["power_factor"]
    sums = ConditionSums(
        gap_count=gap.count,
        interval_count=all_["interval_s"].count,
        pf_count=pf.count,
        gap_s=gap.sum or 0.0,
        pf_sum=pf.sum or 0.0,
        pf_min=pf.min,
    )
    if sums.points == 0:
        return sums
    # every gap of the period is 0 (or there is none): so is every flagged subset's sum, and influxd
    # is spared summing the field again per flag (its time grows with the fields it sums)
    no_gaps = gap.min in (None, 0.0) and gap.max in (None, 0.0)

    def flagged_s(flag: str) -> float:
        t = totals(["interval_s"] if no_gaps else ["interval_s", "energy_gap_s"], flag)
        gap_s = 0.0 if no_gaps else (t["energy_gap_s"].sum or 0.0)
        return (t["interval_s"].sum or 0.0) - gap_s

    sums.low_pf_s = flagged_s("low_pf")
    sums.voltage_out_of_band_s = flagged_s("voltage_out_of_band")
    sums.frequency_out_of_band_s = flagged_s("frequency_out_of_band")
    return sums
