"""The event-time assessment grid (docs/CONTRACTS.md §12, §13): health, risk, RUL, explanation and
alert transitions at epoch-aligned grid points of event time.

At a grid point g (every ``ASSESSMENT_INTERVAL_MIN`` minutes of event time, aligned to the Unix
epoch) only data with time <= g is used:

* ``as_of`` = time of the newest ``features`` point <= g; the health inputs are that feature point,
  the ``events`` point and the ``scores`` point at ``as_of`` (§9.1);
* staleness: the newest event <= g older than ``stale_after`` (§12) -> ``stale``; the assessment of
  ``as_of`` is kept (not recomputed) and marked stale, only ``no_data`` is evaluated;
* RUL (§11) is computed at whole hours h from the completed hours before h and reused by the grid
  points of that hour.

Each grid point is evaluated in time order; alert transitions are applied once per grid point
(``AssessmentState.alerts_evaluated_until``), so recomputing a range never repeats a transition or a
notification, and running [a, c] at once equals running [a, b] then (b, c].

The steps live in ``assessment.services.grid`` (one module per step); this module runs them in
order for one asset and writes the result.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.selectors import baseline_active
from ingestion.models import Asset
from ingestion.timeseries import Point, get_store

from .. import conf
from ..explain import ExplainRecord, rfc3339
from ..models import Assessment, AssessmentState
from ..selectors import limits_for_asset, stale_after_minutes
from .grid.alerts import GridAlerts
from .grid.clock import floor_hour, grid_points
from .grid.point import PointAssessor
from .grid.record import Record
from .grid.rul import GridRul
from .grid.series import GridSeries

logger = logging.getLogger(__name__)

__all__ = ["assessments_run", "explain_record_of", "grid_points"]

#: one planned grid point: (g, feature index, newest event index, stale_after_s, stale)
_Plan = tuple[datetime, int, int | None, float, bool]


def explain_record_of(assessment: Assessment) -> ExplainRecord:
    """The ExplainRecord of a stored assessment: ``explain()`` of it reproduces its explanation."""
    return Record.from_row(assessment).explain_record()


class _Run:
    """One asset's run over a list of grid points: read, evaluate in event-time order, write."""

    def __init__(self, asset: Asset, state: AssessmentState, grid: list[datetime]) -> None:
        self.asset = asset
        self.state = state
        self.grid = grid
        self.now = timezone.now()
        self.store = get_store()
        self.limits = limits_for_asset(asset=asset)
        self.stale_base_s = stale_after_minutes(asset=asset) * 60.0
        self.baseline = baseline_active(asset_id=asset.asset_id)
        self.records: dict[datetime, Record] = {}
        self.series = GridSeries(store=self.store, asset_id=asset.asset_id, stale_base_s=self.stale_base_s)
        self.rul = GridRul(asset=asset, baseline=self.baseline, limits=self.limits, store=self.store)
        self.points = PointAssessor(
            asset=asset, limits=self.limits, baseline=self.baseline, series=self.series, rul=self.rul
        )
        self.alerts = GridAlerts(asset, now=self.now)

    def load_rul_inputs(self, hours: list[datetime]) -> None:
        """Read the RUL trend windows of the hours this run computes (one read per channel)."""
        self.rul.load_inputs(hours)

    def run(self) -> int:
        self.series.load(self.grid)
        self.alerts.start_supply(
            limits=self.limits,
            baseline=self.baseline,
            events=self.series.events,
            grid=self.grid,
            step=conf.assessment_interval(),
        )
        alerts_until = self.state.alerts_evaluated_until
        plan = self._plan()
        self._prepare_rul(plan)
        evaluated = 0
        for g, fi, ei, stale_after, stale in plan:
            newest_event = self.series.events.times[ei] if ei is not None else None
            if stale:
                assert newest_event is not None  # stale: the newest event is older than the limit
                rec = self._stale_record(g, fi, newest_event, stale_after)
            else:
                rec = self.points.assess(g, fi, newest_event, stale_after)
            self.records[rec.as_of] = rec
            evaluated += 1
            if alerts_until is not None and g <= alerts_until:
                continue  # a recomputation: the transitions of g were applied when g was first evaluated
            self.alerts.apply(g, rec, newest_event, stale_after, stale)
            alerts_until = g
        self.flush(alerts_until)
        return evaluated

    def _plan(self) -> list[_Plan]:
        """The grid points with data at or before them, their newest event and staleness (§12)."""
        plan: list[_Plan] = []
        features, events = self.series.features, self.series.events
        for g in self.grid:
            fi = features.index_at_or_before(g)
            if fi is None:
                continue  # no data yet at g
            ei = events.index_at_or_before(g)
            stale_after = self.series.stale_after_s(ei) if ei is not None else self.stale_base_s
            stale = ei is not None and (g - events.times[ei]).total_seconds() > stale_after
            plan.append((g, fi, ei, stale_after, stale))
        return plan

    def _prepare_rul(self, plan: list[_Plan]) -> None:
        """RUL of every grid point's hour (a stale grid point may need a fresh record when none is
        stored); an hour whose own grid point is not in this run reuses the RUL stored with it."""
        grid_set = set(self.grid)
        compute = []
        for hour in sorted({floor_hour(g) for g, *_ in plan}):
            stored = None if hour in grid_set else self.rul.stored(hour)
            if stored is not None:
                self.rul.cache[hour] = stored
            else:
                compute.append(hour)
        self.load_rul_inputs(compute)

    def _stale_record(self, g: datetime, fi: int, newest_event: datetime, stale_after: float) -> Record:
        """The assessment of the newest data, kept as it was and marked stale at g."""
        t = self.series.features.times[fi]
        rec = self.records.get(t)
        if rec is None:
            row = Assessment.objects.filter(asset=self.asset, as_of=t).first()
            rec = (
                Record.from_row(row)
                if row is not None
                else self.points.assess(g, fi, newest_event, stale_after)
            )
        rec.stale = True
        rec.evaluated_at = g
        rec.inputs = {
            **rec.inputs,
            "evaluated_at": rfc3339(g),
            "newest_event_time": rfc3339(newest_event),
            "stale_after_s": stale_after,
        }
        rec.render()
        return rec

    def flush(self, alerts_until: datetime | None) -> None:
        """Write the assessments, their ``health`` points, the alert changes and the run state."""
        if self.records:
            rows = [
                Assessment(asset=self.asset, as_of=rec.as_of, created_at=self.now, **rec.row_fields())
                for rec in self.records.values()
            ]
            update = [*next(iter(self.records.values())).row_fields(), "created_at", "contract_version"]
            Assessment.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["asset", "as_of"],
                update_fields=update,
                batch_size=500,
            )
            self.store.write(
                Point("health", self.asset.asset_id, rec.as_of, rec.health_point_fields())
                for rec in self.records.values()
            )
        times = sorted(self.records)
        ids: dict[datetime, int] = {}
        if times:
            ids = dict(
                Assessment.objects.filter(
                    asset=self.asset, as_of__gte=times[0], as_of__lte=times[-1]
                ).values_list("as_of", "id")
            )
        self.alerts.flush(assessment_ids=ids)
        self.state.alerts_evaluated_until = alerts_until
        self.state.runs += 1
        self.state.last_run_at = self.now
        self.state.save(update_fields=["alerts_evaluated_until", "runs", "last_run_at"])


def _state_for_update(asset: Asset) -> AssessmentState:
    try:
        AssessmentState.objects.get_or_create(asset=asset)
    except IntegrityError:  # created concurrently
        pass
    return AssessmentState.objects.select_for_update().get(asset=asset)


def assessments_run(*, asset_id: str, start: datetime, end: datetime) -> int:
    """Evaluate every grid point g with start <= g <= end (and g <= the newest feature point) in
    event-time order; returns the number of grid points evaluated.

    Called by the analytics pipeline after it wrote features and scores for ``[start, end]``.
    Idempotent: recomputing a grid point replaces its assessment and ``health`` point; alert
    transitions are applied only to grid points after ``alerts_evaluated_until``.  Grid points
    skipped since the previous run (an event-time gap before ``start``) are evaluated first, so a
    gap raises and resolves ``no_data`` in event time.
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (UTC)")
    asset = Asset.objects.select_related("tenant").filter(asset_id=asset_id).first()
    if asset is None or not asset.active:
        return 0
    step = conf.assessment_interval()
    store = get_store()
    newest = store.latest(measurement="features", asset_ids=[asset_id]).get(asset_id)
    if newest is None:
        return 0  # never sent data: nothing to assess (§12)
    with transaction.atomic():
        state = _state_for_update(asset)
        lo = start
        if state.alerts_evaluated_until is not None and state.alerts_evaluated_until + step < start:
            lo = state.alerts_evaluated_until + step
        grid = grid_points(lo, min(end, newest.time), step)
        if not grid:
            return 0
        return _Run(asset, state, grid).run()
