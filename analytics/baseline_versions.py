"""Baseline versions of an asset: training, validation, activation and scheduled retraining.

A baseline is a versioned `Baseline` row holding an asset's healthy profile and anomaly model
(docs/CONTRACTS.md §7). Its life cycle is separate from the per-run pipeline in
`analytics.services`: admins train and activate versions by hand (`analytics.admin`,
`analytics.tasks`), the schedule retrains them (`assessment.tasks`), and the pipeline only
trains the first version once the default window is processed and then scores with whichever
version is active. The active model is deserialised once per asset and cached here
(`_MODEL_CACHE`), invalidated whenever another version is activated.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta
from typing import Protocol

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ingestion.models import Asset
from ingestion.timeseries import get_store

from .anomaly import AnomalyModel, fit_anomaly_model, scorable_rows
from .baseline import BaselineError, baseline_fit
from .models import Baseline, BaselineSource, BaselineStatus
from .selectors import events_frame, features_frame, model_frame

logger = logging.getLogger(__name__)

HOLDOUT_EVERY_NTH_HOUR = 5


class WindowHealthy(Protocol):
    """Whether the assessment judged an asset healthy throughout [start, end)
    (`assessment.selectors.asset_window_healthy`)."""

    def __call__(self, *, asset: Asset, start: datetime, end: datetime) -> bool: ...


def _next_version(asset: Asset) -> int:
    last = Baseline.objects.filter(asset=asset).order_by("-version").values_list("version", flat=True).first()
    return (last or 0) + 1


def baseline_train(
    *,
    asset: Asset,
    window_start: datetime,
    window_end: datetime,
    source: str = BaselineSource.DEFAULT,
    created_by: str = "system",
    activate: bool = True,
) -> Baseline:
    """Learn the healthy profile and anomaly model of [window_start, window_end).

    Only events of steady running count (``running_1h``, docs/CONTRACTS.md §6.7, §7): a
    stopped machine has no vibration signature to learn.  Every fifth hour of the window is
    held out; the false-anomaly rate (share of scores >= 0.5) is measured on those hours, the
    model trains on the rest.  A version is activated only when that rate is <= 1 %; a refusal
    (too little data) is recorded with its reason and changes nothing else.
    """
    version = _next_version(asset)
    events = events_frame(asset_id=asset.asset_id, start=window_start, end=window_end)
    features = features_frame(asset_id=asset.asset_id, start=window_start, end=window_end)
    everything = model_frame(features, events, how="inner")
    frame = everything[scorable_rows(everything)]
    # Hold-out = every fifth whole hour of the window, training = the other hours: both see
    # the same shifts, idle periods and weekly-off days, which a chronological split of a
    # short window cannot promise (the last 20 % of a 72 h window may be a Sunday).
    hour_index = ((frame.index - pd.Timestamp(window_start)) // pd.Timedelta(hours=1)).to_numpy()
    in_holdout = hour_index % HOLDOUT_EVERY_NTH_HOUR == HOLDOUT_EVERY_NTH_HOUR - 1
    train = frame[~in_holdout]
    holdout = frame[in_holdout]
    split_at = None
    row = Baseline(
        asset=asset,
        version=version,
        source=source,
        window_start=window_start,
        window_end=window_end,
        split_at=split_at,
        row_count=len(train),
        holdout_count=len(holdout),
        created_by=created_by,
    )
    min_events = settings.BASELINE_MIN_EVENTS
    try:
        if len(frame) < min_events:
            raise BaselineError(
                f"baseline window [{window_start.isoformat()}, {window_end.isoformat()}) holds "
                f"{len(frame)} events of steady running; at least {min_events} are required "
                f"({len(everything) - len(frame)} more events were taken while stopped or within "
                "1 h of a start)"
            )
        stats = baseline_fit(train, min_events=min(min_events, len(train)), skip_empty=True)
        model = fit_anomaly_model(train, random_state=version, baseline=stats)
        far = float((model.score(holdout) >= 0.5).mean()) if len(holdout) else math.nan
    except BaselineError as exc:
        row.status = BaselineStatus.REFUSED
        row.message = str(exc)
        row.save()
        logger.info("baseline v%d of %s refused: %s", version, asset.asset_id, exc)
        return row
    row.status = BaselineStatus.TRAINED
    row.stats = stats.to_dict()
    row.model_blob = model.dumps()
    row.model_meta = model.metadata() | {"baseline": None}
    row.false_anomaly_rate = None if math.isnan(far) else far
    row.validation_passed = not math.isnan(far) and far <= 0.01
    row.message = (
        f"hold-out false-anomaly rate {far:.2%} over {len(holdout)} events"
        if not math.isnan(far)
        else "no hold-out events"
    )
    with transaction.atomic():
        row.save()
        if activate and row.validation_passed:
            baseline_activate(baseline=row, by=created_by, forced=False)
    return row


def baseline_activate(*, baseline: Baseline, by: str, forced: bool) -> Baseline:
    """Make this version the asset's active baseline (at most one active per asset)."""
    if baseline.status != BaselineStatus.TRAINED:
        raise BaselineError(
            f"baseline v{baseline.version} was refused and cannot be activated: {baseline.message}"
        )
    with transaction.atomic():
        Baseline.objects.filter(asset=baseline.asset, active=True).exclude(pk=baseline.pk).update(
            active=False
        )
        baseline.active = True
        baseline.forced = forced
        baseline.activated_at = timezone.now()
        baseline.save(update_fields=["active", "forced", "activated_at"])
        _MODEL_CACHE.pop(baseline.asset.pk, None)
    return baseline


def baselines_retrain_due(*, window_healthy: WindowHealthy, now: datetime | None = None) -> list[Baseline]:
    """Scheduled retraining (opt-in, BASELINE_RETRAIN_DAYS > 0).

    For every active baseline activated more than BASELINE_RETRAIN_DAYS ago, train a new
    version over the most recent BASELINE_DEFAULT_HOURS of event time, but only when that
    window lies after the current baseline and every assessment in it was Low risk: a drifting
    baseline must not absorb a developing fault. The new version is activated only when its
    hold-out validation passes (as any version); otherwise the current one stays active.
    ``window_healthy`` is the assessment's judgement of a window (the caller passes it).
    """
    days = settings.BASELINE_RETRAIN_DAYS
    if days <= 0:
        return []
    now = now or timezone.now()
    trained = []
    due = Baseline.objects.filter(active=True, activated_at__lt=now - timedelta(days=days)).select_related(
        "asset"
    )
    for current in due:
        asset = current.asset
        newest = get_store().latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
        if newest is None:
            continue
        end = newest.time + timedelta(microseconds=1)
        start = end - timedelta(hours=settings.BASELINE_DEFAULT_HOURS)
        if start < current.window_end or not window_healthy(asset=asset, start=start, end=end):
            continue
        trained.append(
            baseline_train(
                asset=asset,
                window_start=start,
                window_end=end,
                source=BaselineSource.SCHEDULED,
                created_by="schedule",
            )
        )
    return trained


_MODEL_CACHE: dict[int, tuple[int, AnomalyModel]] = {}


def _active_model(asset: Asset) -> tuple[Baseline, AnomalyModel] | None:
    row = Baseline.objects.filter(asset=asset, active=True).defer("stats").first()
    if row is None:
        return None
    cached = _MODEL_CACHE.get(asset.pk)
    if cached is None or cached[0] != row.pk:
        if row.model_blob is None:
            raise BaselineError(
                f"the active baseline {row.pk} of asset {asset.asset_id!r} has no trained model"
            )
        cached = (row.pk, AnomalyModel.loads(bytes(row.model_blob)))
        _MODEL_CACHE[asset.pk] = cached
    return row, cached[1]
