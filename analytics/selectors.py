"""Reads other apps may use: the active baseline of an asset and the anomaly model behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .baseline import BaselineStats
from .models import Baseline


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
    from .anomaly import AnomalyModel
    from .services import events_frame, features_frame, model_frame

    row = Baseline.objects.filter(asset__asset_id=asset_id, active=True).first()
    if row is None:
        raise LookupError(f"asset {asset_id!r} has no active baseline")
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
