"""The analytics pipeline of one asset, in event time: features -> baseline -> scores -> assessment.

Analytics sits below assessment (docs/ARCHITECTURE.md): the caller that runs the pipeline
(`assessment.tasks`) passes the assessment step and the way to enqueue a run as arguments,
so every stage is visible at that call site.

Work is coalesced per asset in `AnalyticsState`: ingest widens the pending event-time
range and enqueues a task only when none is queued. A run moves the pending range to
`inflight_*` before computing and clears it only after every write succeeded, so a worker
killed mid-run (acks_late redelivers its task) or a failed store write leaves the range to
be recomputed. Every write is idempotent (points are identified by asset and time, and the
math is deterministic), so recomputing a range writes identical points. Runs of one asset hold
its run lock, so they never compute side by side; a run of live data is sent to the live queue
and any other to the default queue (`run_is_live`, docs/CONTRACTS.md §17.4).

Baseline versions (training, activation, scheduled retraining, the active-model cache) have a
life cycle of their own and live in `analytics.baseline_versions`; a run here only trains the
first version and scores with the active one.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from ingestion.handoff import AnalyticsHandoffUnavailable, AssetSpan
from ingestion.models import Asset
from ingestion.timeseries import Point, get_store

from .anomaly import scorable_rows
from .baseline_versions import _active_model, baseline_train
from .energy.services import energy_rollups_refresh
from .features import FLAG_COLUMNS, AssetContext, compute_features, required_history
from .models import AnalyticsState, Baseline
from .selectors import baseline_default_window, events_frame, features_frame, model_frame

logger = logging.getLogger(__name__)

CHUNK = timedelta(days=2)
#: events written at [a, b] change every derived point in [a, b + 72 h] (the longest window,
#: docs/CONTRACTS.md §6 "Recomputation")
RECOMPUTE_AFTER = timedelta(hours=72)
_FLAGS = frozenset(FLAG_COLUMNS)  # stored as integers 0/1, as the contract says

#: key space of the per-asset run lock (PostgreSQL advisory lock ``(RUN_LOCK_CLASS, asset pk)``)
RUN_LOCK_CLASS = 0x50444D  # "PDM"


class Enqueue(Protocol):
    """Publishes one pipeline run of an asset (by pk) to the live queue (``live``) or the default
    queue: `assessment.tasks.pipeline_enqueue`."""

    def __call__(self, asset_pk: int, *, live: bool, delay_s: float = 0.0) -> object: ...


def run_is_live(*, start: datetime | None, now: datetime | None = None) -> bool:
    """A run is live when the event-time range it will take starts within
    ``ANALYTICS_LIVE_WINDOW_S`` of the wall clock (CONTRACTS §17.4); 0 turns the live queue off."""
    window = settings.ANALYTICS_LIVE_WINDOW_S
    if window <= 0 or start is None:
        return False
    return start >= (now or timezone.now()) - timedelta(seconds=window)


def _range_start(*bounds: datetime | None) -> datetime | None:
    return min(filter(None, bounds), default=None)


class AssessStep(Protocol):
    """The stage after the scores: assess one asset's event-time grid over [start, end]
    (`assessment.services.assessments_run`); returns the number of assessments written."""

    def __call__(self, *, asset_id: str, start: datetime, end: datetime) -> int: ...


@dataclass
class PipelineResult:
    asset_id: str
    start: datetime | None = None
    end: datetime | None = None
    features: int = 0
    scores: int = 0
    baseline_version: int | None = None
    assessments: int = 0
    energy_hours: int = 0


# --- hand-off from ingestion -------------------------------------------------------------


def analytics_request(*, spans: Iterable[AssetSpan], enqueue: Enqueue) -> list[str]:
    """Widen each asset's pending event-time range; enqueue a run where none is queued.

    Called by ingest after the events are in the store and before it answers 201, so what
    must be durable by then is the *pending range*: the row in `AnalyticsState` that the next
    run takes (`_take_work`). The Celery message only wakes a worker up. Each statement below
    commits on its own (autocommit; inside an outer transaction they commit with it), so once
    this returns the range is in the database as durably as any committed row, and no lock is
    held across round trips. It is one statement in the common case:

    1. widen: `pending = [min(pending_from, start), max(pending_until, end)]` for the assets'
       existing rows, returning each row's `queued` flag as it stood under the row lock;
    2. only for assets without a row: insert it already queued (and enqueue);
    3. only where `queued` was false: flip it to true where it still is false and enqueue for
       the rows this statement flipped (so exactly one request wakes the worker).

    A run that takes the work sets `queued` false in the same transaction that empties the
    pending range. If step 1 saw `queued` true, that run has not taken the work yet and will
    see the widened range; if false, either no run is queued or it took its range already,
    and step 3 queues a new one. The events were written before step 1, so any run that
    takes the range reads them. Rows are locked in asset order, so concurrent batches naming
    the same assets cannot deadlock. This replaced an ORM transaction (select_for_update +
    bulk_update: five round trips and ~4 ms of CPU per request, half of a single-event ingest).

    Returns the asset ids enqueued.
    """
    by_asset = {s.asset_id: s for s in spans}
    if not by_asset:
        return []
    pks = {a: s.asset_pk for a, s in by_asset.items() if s.asset_pk is not None}
    if len(pks) < len(by_asset):
        unknown = [a for a in by_asset if a not in pks]
        pks.update(Asset.objects.filter(asset_id__in=unknown).values_list("asset_id", "pk"))
    by_pk = {pk: by_asset[asset_id] for asset_id, pk in sorted(pks.items(), key=lambda item: item[1])}
    if not by_pk:
        return []
    table = connection.ops.quote_name(AnalyticsState._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value
    typed = connection.vendor == "postgresql"
    wall = timezone.now()
    now = stamp(wall)
    row_sql = "(%s::bigint, %s::timestamptz, %s::timestamptz)" if typed else "(%s, %s, %s)"
    woken: list[int] = []
    live: dict[int, bool] = {}  # the queue of each wake-up: from the range its run will take
    delay: dict[int, float] = {}  # a backfill of an asset whose last run started < linger ago
    with connection.cursor() as cursor:

        def widen(keys: list[int]) -> dict[int, bool]:
            params: list[Any] = []
            for pk in keys:
                params += (pk, stamp(by_pk[pk].start), stamp(by_pk[pk].end))
            ctes = [f"v(asset_id, lo, hi) AS (VALUES {', '.join([row_sql] * len(keys))})"]
            join = "s.asset_id = v.asset_id"
            if typed:  # PostgreSQL locks rows; take them in one order (SQLite locks the file)
                ctes.append(
                    f"locked AS (SELECT s.id FROM {table} s JOIN v ON s.asset_id = v.asset_id "  # noqa: S608 - table name from the model
                    "ORDER BY s.asset_id FOR UPDATE OF s)"
                )
                join += " AND s.id = locked.id"
            cursor.execute(
                f"WITH {', '.join(ctes)} UPDATE {table} AS s SET "  # noqa: S608 - table name from the model, values bound
                "pending_from = CASE WHEN s.pending_from IS NULL OR v.lo < s.pending_from "
                "THEN v.lo ELSE s.pending_from END, "
                "pending_until = CASE WHEN s.pending_until IS NULL OR v.hi > s.pending_until "
                "THEN v.hi ELSE s.pending_until END "
                f"FROM v{', locked' if typed else ''} WHERE {join} "
                # SQLite's RETURNING names the target's columns unqualified (and cannot see v)
                f"RETURNING {'s.asset_id, s.queued' if typed else 'asset_id, queued'}",
                params,
            )
            return {pk: bool(queued) for pk, queued in cursor.fetchall()}

        queued = widen(list(by_pk))
        absent = [pk for pk in by_pk if pk not in queued]
        if absent:
            params: list[Any] = []
            for pk in absent:
                params += (pk, stamp(by_pk[pk].start), stamp(by_pk[pk].end), True, now, False, 0, "")
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(absent))
            cursor.execute(
                f"INSERT INTO {table} (asset_id, pending_from, pending_until, queued, queued_at, "  # noqa: S608 - table name from the model, values bound
                f"baseline_attempted, runs, last_error) VALUES {values} "
                "ON CONFLICT (asset_id) DO NOTHING RETURNING asset_id",
                params,
            )
            inserted = {pk for (pk,) in cursor.fetchall()}
            woken += sorted(inserted)
            live.update({pk: run_is_live(start=by_pk[pk].start, now=wall) for pk in inserted})
            raced = [pk for pk in absent if pk not in inserted]  # another request inserted it first
            if raced:
                queued.update(widen(raced))
        idle = [pk for pk, was_queued in queued.items() if not was_queued]
        if idle:
            cursor.execute(
                f"UPDATE {table} SET queued = %s, queued_at = %s "  # noqa: S608 - table name from the model, values bound
                f"WHERE asset_id IN ({', '.join(['%s'] * len(idle))}) AND NOT queued "
                "RETURNING asset_id, pending_from, taken_at",
                [True, now, *idle],
            )
            flipped = cursor.fetchall()
            woken += sorted(pk for pk, _, _ in flipped)
            # By the pending range alone: a range left in flight is a running run's (it holds the
            # asset, and this run waits for it) or a failed one's (`_take_work` then hands the
            # union to the default queue).
            live.update(
                {pk: run_is_live(start=_aware(pending_from), now=wall) for pk, pending_from, _ in flipped}
            )
            delay.update(
                {
                    pk: linger_s(taken_at=_aware(taken_at), now=wall)
                    for pk, _, taken_at in flipped
                    if not live[pk]
                }
            )
    if woken:
        if connection.in_atomic_block:  # a caller's transaction: wake workers once it commits
            for pk in woken:
                transaction.on_commit(
                    partial(enqueue, pk, live=live.get(pk, False), delay_s=delay.get(pk, 0.0))
                )
        else:
            _wake(woken, live, delay, table, enqueue)
    names = {pk: span.asset_id for pk, span in by_pk.items()}
    return [names[pk] for pk in woken]


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp read back by raw SQL (SQLite returns text, PostgreSQL aware datetimes)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def linger_s(*, taken_at: datetime | None, now: datetime) -> float:
    """Delay of a backfill wake-up (CONTRACTS §17.4, linger): the asset's next run starts no
    sooner than ``ANALYTICS_BACKFILL_LINGER_S`` after its previous run took its range, so an
    asset being streamed or imported is analysed in ranges of that many seconds of arrivals
    rather than one per hand-off. 0 for an asset with no recent run (its first wake-up)."""
    linger = float(settings.ANALYTICS_BACKFILL_LINGER_S)
    if taken_at is None or linger <= 0:
        return 0.0
    return max(0.0, min(linger, linger - (now - taken_at).total_seconds()))


def _wake(
    pks: list[int], live: dict[int, bool], delay: dict[int, float], table: str, enqueue: Enqueue
) -> None:
    """Publish one wake-up per asset whose `queued` flag this hand-off set.

    If the broker refuses one, the flags of the assets not woken go back to false and
    AnalyticsHandoffUnavailable is raised: ingest answers 503 and the client resends (an
    idempotent rewrite), whose hand-off sets the flag and publishes again. Their pending
    ranges stay recorded either way. (Left set, the flag would tell every later hand-off
    that a run is queued and no worker would ever be woken for these assets.)
    """
    for i, pk in enumerate(pks):
        try:
            enqueue(pk, live=live.get(pk, False), delay_s=delay.get(pk, 0.0))
        except Exception as exc:
            rest = pks[i:]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET queued = %s WHERE asset_id IN ({', '.join(['%s'] * len(rest))})",  # noqa: S608 - table name from the model, values bound
                    [False, *rest],
                )
            raise AnalyticsHandoffUnavailable(
                f"could not queue the analytics run of {len(rest)} asset(s): {type(exc).__name__}: {exc}"
            ) from exc


def analytics_requeue_stalled(*, enqueue: Enqueue, now: datetime | None = None) -> list[str]:
    """Wake a worker again for assets whose recorded work no message will ever deliver.

    The pending range is durable in SQL (`analytics_request`), the broker message is only a
    wake-up, and a Redis broker without persistence can lose it (a restart, an eviction). Two
    states can then wait forever for an asset that sends no more data (a finished backfill):

    * queued: `queued` has been true for `ANALYTICS_REQUEUE_AFTER_S` (default 900 s) of wall
      clock; every later hand-off sees the flag and publishes nothing;
    * taken: a run took a range (`inflight_*`, `taken_at`) and neither finished it nor is
      still running: `taken_at` is older than the broker's visibility timeout, after which
      the broker itself would have redelivered a message it still had. A run that failed
      with a non-transient error keeps its range the same way and is retried here.

    Publishing again is safe: a run that finds nothing pending does nothing, features and
    scores are idempotent, and assessments and alert transitions are serialised per asset
    (`assessment.services.assessments_run`). Returns the asset ids woken.
    """
    now = now or timezone.now()
    queued_cutoff = now - timedelta(seconds=settings.ANALYTICS_REQUEUE_AFTER_S)
    taken_cutoff = now - timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    stalled = AnalyticsState.objects.filter(
        models.Q(queued=True, queued_at__isnull=True)
        | models.Q(queued=True, queued_at__lt=queued_cutoff)
        | models.Q(queued=False, inflight_from__isnull=False, taken_at__lt=taken_cutoff)
    ).select_related("asset")
    woken = []
    for state in stalled:
        # claim the wake-up: only this sweep publishes it, a concurrent run may have moved on
        claimed = (
            AnalyticsState.objects.filter(
                pk=state.pk, queued=state.queued, queued_at=state.queued_at, taken_at=state.taken_at
            ).update(queued=True, queued_at=now)
            == 1
        )
        if not claimed:
            continue
        logger.warning(
            "analytics of %s stalled (%s since %s); waking a worker again",
            state.asset.asset_id,
            "queued" if state.queued else "range taken",
            state.queued_at if state.queued else state.taken_at,
        )
        enqueue(
            state.asset_id,
            live=run_is_live(start=_range_start(state.pending_from, state.inflight_from), now=now),
        )
        woken.append(state.asset.asset_id)
    return woken


def _points(
    measurement: str, asset_id: str, frame: pd.DataFrame, ints: frozenset[str] = frozenset()
) -> list[Point]:
    out = []
    cols = [str(c) for c in frame.columns]
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    for t, row in zip(frame.index, values, strict=True):
        fields: dict[str, float | int | bool | str] = {}
        for c, v in zip(cols, row, strict=True):
            if math.isfinite(v):
                fields[c] = int(v) if c in ints else float(v)
        if fields:
            out.append(Point(measurement, asset_id, t.to_pydatetime(), fields))
    return out


def asset_context(asset: Asset) -> AssetContext:
    return AssetContext(
        rated_voltage_v=asset.rated_voltage_v,
        rated_power_kw=asset.rated_power_kw,
        rated_current_a=asset.rated_current_a,
        rated_rpm=asset.rated_rpm,
    )


# --- the pipeline -------------------------------------------------------------------------------


def _run_lock(asset_pk: int) -> bool:
    """Try the asset's run lock: a PostgreSQL session advisory lock, held by the run's database
    connection until `_run_unlock` or until the connection ends (a killed worker's lock goes
    with its connection, so its redelivered task can take it). Other databases have no such
    lock; their runs are serialised by the single in-process runner (the embedded default)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_CLASS, asset_pk])
        return bool(cursor.fetchone()[0])


def _run_unlock(asset_pk: int) -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_CLASS, asset_pk])
    except Exception:  # the connection is gone, and the lock with it
        logger.warning("run lock of asset %s: connection lost before unlock", asset_pk, exc_info=True)


def _take_work(asset_pk: int, *, live: bool, enqueue: Enqueue) -> tuple[Asset, datetime, datetime] | None:
    """Take the asset's pending range (with any range a failed run left in flight) under its run
    lock, or give the wake-up back:

    * another run of the asset holds the lock: `queued` goes back to false and this run ends;
      the running one wakes a worker for what is pending when it ends (`_rewake`). Runs of one
      asset are serialised: a live run never computes beside a backfill run of the same asset.
    * a live run (live queue) finds a range that is not live (a backfill widened it after the
      wake-up was sent): it sends the range to the default queue, so that no backfill occupies
      the live worker.

    The lock is tried under the state's row lock, and `_rewake` takes that row lock after the
    unlock, so a wake-up given back here is always seen by the run that holds the lock.
    """
    with transaction.atomic():
        state = (
            AnalyticsState.objects.select_for_update()
            .select_related("asset")
            .filter(asset_id=asset_pk)
            .first()
        )
        if state is None:
            return None
        if not _run_lock(asset_pk):
            state.queued = False
            state.save(update_fields=["queued"])
            return None
        now = timezone.now()
        start = _range_start(state.pending_from, state.inflight_from)
        end = max(filter(None, [state.pending_until, state.inflight_until]), default=None)
        if live and start is not None and not run_is_live(start=start, now=now):
            state.queued, state.queued_at = True, now
            state.save(update_fields=["queued", "queued_at"])
            _run_unlock(asset_pk)
            transaction.on_commit(partial(enqueue, asset_pk, live=False))
            return None
        state.inflight_from, state.inflight_until = start, end
        state.pending_from = state.pending_until = None
        state.queued = False
        state.taken_at = now
        state.save(
            update_fields=[
                "inflight_from",
                "inflight_until",
                "pending_from",
                "pending_until",
                "queued",
                "taken_at",
            ]
        )
    if start is None or end is None:
        _run_unlock(asset_pk)
        return None
    return state.asset, start, end


def _finish_work(asset_pk: int, start: datetime, end: datetime, error: str = "") -> None:
    with transaction.atomic():
        state = AnalyticsState.objects.select_for_update().get(asset_id=asset_pk)
        if not error and state.inflight_from == start and state.inflight_until == end:
            state.inflight_from = state.inflight_until = None
        state.runs += 1
        state.last_run_at = timezone.now()
        state.last_error = error[:2000]
        state.save()


def _rewake(asset_pk: int, enqueue: Enqueue) -> None:
    """After a run released its lock: wake a worker for what arrived while it ran and no queued
    run will take (a wake-up given back by `_take_work`), on the queue its range calls for. If the
    broker refuses, the flag stays set and the stalled-run sweep wakes it (§17.4)."""
    with transaction.atomic():
        state = AnalyticsState.objects.select_for_update().filter(asset_id=asset_pk).first()
        if state is None or state.queued or state.pending_from is None:
            return
        now = timezone.now()
        state.queued, state.queued_at = True, now
        state.save(update_fields=["queued", "queued_at"])
        live = run_is_live(start=_range_start(state.pending_from, state.inflight_from), now=now)
        delay = 0.0 if live else linger_s(taken_at=state.taken_at, now=now)
    enqueue(asset_pk, live=live, delay_s=delay)


def asset_pipeline_run(
    *, asset_pk: int, assess: AssessStep, enqueue: Enqueue, live: bool = False
) -> PipelineResult | None:
    """Process the asset's pending event-time range in chunks, oldest first: features,
    baseline (once), scores, then ``assess`` over the chunk. ``live``: the run came from the
    live queue (`_take_work`)."""
    work = _take_work(asset_pk, live=live, enqueue=enqueue)
    if work is None:
        return None
    asset, start, end = work
    result = PipelineResult(asset_id=asset.asset_id, start=start, end=end)
    try:
        until = _recompute_until(asset, end)
        _run_range(asset, start, until, result, assess)
        # hourly energy rollups of every hour the recomputed range touches (CONTRACTS §18.3)
        result.energy_hours = energy_rollups_refresh(asset=asset, start=start, end=until)
    except Exception as exc:
        try:
            _finish_work(asset_pk, start, end, error=f"{type(exc).__name__}: {exc}")
        finally:
            _release(asset_pk, enqueue)
        raise
    try:
        _finish_work(asset_pk, start, end)
    finally:
        _release(asset_pk, enqueue)
    return result


def _release(asset_pk: int, enqueue: Enqueue) -> None:
    _run_unlock(asset_pk)
    try:
        _rewake(asset_pk, enqueue)
    except Exception:  # the database is gone: the next hand-off or the sweep wakes a worker
        logger.warning("asset %s: no wake-up after the run", asset_pk, exc_info=True)


def _recompute_until(asset: Asset, end: datetime) -> datetime:
    """End of the range to recompute: data later than the written events is recomputed up to
    72 h after them (a late event moves every window that contains it)."""
    newest = get_store().latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    if newest is None or newest.time <= end:
        return end
    return min(end + RECOMPUTE_AFTER, newest.time)


def _run_range(
    asset: Asset, start: datetime, end: datetime, result: PipelineResult, assess: AssessStep
) -> None:
    store = get_store()
    history = required_history()
    context = asset_context(asset)
    chunk_start = start
    while chunk_start <= end:
        chunk_end = min(chunk_start + CHUNK, end + timedelta(microseconds=1))
        events = events_frame(asset_id=asset.asset_id, start=chunk_start - history, end=chunk_end)
        if len(events):
            feats = compute_features(
                events, context=context, history_start=chunk_start - history, emit_from=chunk_start
            )
            result.features += store.write(_points("features", asset.asset_id, feats, _FLAGS))
            _maybe_train_baseline(asset, chunk_end, result)
            result.scores += _score(asset, feats, events)
            result.assessments += assess(
                asset_id=asset.asset_id, start=chunk_start, end=chunk_end - timedelta(microseconds=1)
            )
        chunk_start = chunk_end


def _maybe_train_baseline(asset: Asset, processed_until: datetime, result: PipelineResult) -> None:
    state = AnalyticsState.objects.get(asset=asset)
    if state.baseline_attempted or Baseline.objects.filter(asset=asset, active=True).exists():
        return
    window = baseline_default_window(asset=asset)
    if window is None or processed_until < window[1]:
        return
    row = baseline_train(asset=asset, window_start=window[0], window_end=window[1])
    AnalyticsState.objects.filter(pk=state.pk).update(baseline_attempted=True)
    result.baseline_version = row.version
    if row.active:
        # Score what was processed before the model existed (from the window's end on).
        feats = features_frame(asset_id=asset.asset_id, start=row.window_end, end=processed_until)
        events = events_frame(asset_id=asset.asset_id, start=row.window_end, end=processed_until)
        result.scores += _score(asset, feats, events)


def _score(asset: Asset, feats: pd.DataFrame, events: pd.DataFrame) -> int:
    """Score the feature rows of steady running from the active model's window end on.

    Rows that are not scored (machine stopped or started less than 1 h ago) get no score
    point; a score stored there by an earlier run (before a late event showed the stop) is
    removed, so the stored scores always match the stored features.
    """
    active = _active_model(asset)
    if active is None or not len(feats):
        return 0
    row, model = active
    feats = feats[feats.index >= pd.Timestamp(row.window_end)]
    if not len(feats):
        return 0
    frame = model_frame(feats, events)
    keep = scorable_rows(frame)
    _delete_runs(asset.asset_id, frame.index, ~keep)
    if not keep.any():
        return 0
    scored = model.score_frame(frame[keep])
    scored["model_version"] = float(row.version)
    return get_store().write(
        _points("scores", asset.asset_id, scored, frozenset({"model_version", "n_imputed"}))
    )


def _delete_runs(asset_id: str, index: pd.DatetimeIndex, drop: np.ndarray) -> None:
    """Delete the ``scores`` points at the times flagged in ``drop`` (one call per run)."""
    if not drop.any():
        return
    flags = np.concatenate([[False], drop, [False]])
    starts = np.flatnonzero(flags[1:-1] & ~flags[:-2])
    ends = np.flatnonzero(flags[1:-1] & ~flags[2:])
    store = get_store()
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        store.delete(
            measurement="scores",
            asset_id=asset_id,
            start=index[a].to_pydatetime(),
            end=index[b].to_pydatetime() + timedelta(microseconds=1),
        )
