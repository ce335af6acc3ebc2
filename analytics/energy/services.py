"""Writes of the energy subpackage: hourly rollups, the healthy power model, tariff versions.

``energy_rollups_refresh`` is called once per analytics run (``analytics.services``) with the
event-time range the run recomputed: every UTC hour an interval of that range touches is
computed again from the stored events and features and written whole (docs/CONTRACTS.md
§18.3), with the hour's sums of the report's supply-condition quantities (§16.1), so a late batch that lands in a closed hour changes it exactly as if it had arrived in
order.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction

from analytics.models import Baseline
from analytics.running import running_mask
from ingestion.models import Asset, Site
from ingestion.selectors import site_get
from ingestion.services import site_save
from ingestion.timeseries import Point, get_store

from .blocks import NS_PER_S, PACKED_FIELD, Blocks, IntervalInput, hour_fields, hour_packed, integrate
from .calendar import SiteCalendar, block_of
from .conditions import FEATURE_FIELDS, hourly_sums_columns
from .days import day_edges
from .healthy import MODEL_VERSION, HealthyPowerModel, cell_keys
from .models import HealthyPowerFit, Tariff
from .rollups import DAILY_MEASUREMENT, ROLLUP_MEASUREMENT, daily_points
from .tariff import Problem, versions_problems

logger = logging.getLogger(__name__)

EVENT_FIELDS = ("power_kw", "apparent_power_kva", "reactive_power_kvar", "current_a", "rpm")
WINDOW = timedelta(hours=48)
HOUR = timedelta(hours=1)
EPOCH_START = datetime(2000, 1, 1, tzinfo=UTC)
FAR_FUTURE = datetime(2262, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class SiteSettings:
    """What energy needs of an asset's site (a row, or the defaults for a code without one)."""

    code: str
    calendar: SiteCalendar
    grid_factor_t_per_mwh: float
    contract_demand_kva: float | None
    idle_below_load_pct: float

    @classmethod
    def of(cls, site: Site) -> SiteSettings:
        return cls(
            code=site.code,
            calendar=SiteCalendar.build(
                timezone=site.timezone, shifts=site.shifts, weekly_off_days=site.weekly_off_days
            ),
            grid_factor_t_per_mwh=site.grid_factor_t_per_mwh,
            contract_demand_kva=site.contract_demand_kva,
            idle_below_load_pct=site.idle_below_load_pct,
        )

    @property
    def model_key(self) -> str:
        """Digest of what the healthy power model depends on besides the baseline (and the
        model's own version, so a new version is fitted again)."""
        cal = self.calendar
        text = json.dumps(
            [
                MODEL_VERSION,
                cal.timezone,
                [list(s.__dict__.values()) for s in cal.shifts],
                sorted(cal.weekly_off),
                self.idle_below_load_pct,
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def site_settings_for(asset: Asset) -> SiteSettings:
    site = site_get(tenant=asset.tenant, code=asset.supply_site) or Site(
        tenant=asset.tenant, code=asset.supply_site
    )
    return SiteSettings.of(site)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _us(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _ns(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def interval_input(
    asset: Asset, settings: SiteSettings, start: datetime, end: datetime
) -> tuple[IntervalInput, np.ndarray] | None:
    """The asset's events in [start, end) with the event before and the event after, their
    gap flags (features' ``energy_gap_s``), running and idle states and cells; None if none."""
    store = get_store()
    fields = list(EVENT_FIELDS)
    before = store.read(
        measurement="events",
        asset_id=asset.asset_id,
        start=EPOCH_START,
        end=start,
        fields=fields,
        limit=1,
        descending=True,
    )
    # read as columns (no Point per event): a live run re-reads the whole current hour of its
    # asset's events to rewrite the hour's rollup
    times, inside = store.read_columns(
        measurement="events", asset_id=asset.asset_id, start=start, end=end, fields=fields
    )
    after = store.read(
        measurement="events", asset_id=asset.asset_id, start=end, end=FAR_FUTURE, fields=fields, limit=1
    )
    n = len(before) + len(times) + len(after)
    if n < 2:
        return None
    t_us = np.array([*(_us(p.time) for p in before), *times, *(_us(p.time) for p in after)], dtype=np.int64)
    feature_end = (after[0].time if after else end) + timedelta(microseconds=1)
    gap_times, gap_values = store.read_columns(
        measurement="features",
        asset_id=asset.asset_id,
        start=start,
        end=feature_end,
        fields=["energy_gap_s"],
    )
    gaps = {t: v for t, v in zip(gap_times, gap_values["energy_gap_s"], strict=True) if v is not None}
    t = t_us * 1000

    def column(name: str) -> np.ndarray:
        values = [*(p.fields.get(name) for p in before), *inside[name], *(p.fields.get(name) for p in after)]
        return np.array(values, dtype=np.float64)  # None -> NaN

    power = column("power_kw")
    gap_s = np.array([gaps.get(int(u), np.nan) for u in t_us], dtype=np.float64)
    # An interval is integrated only when the features say it is not a gap (§6.4); one whose
    # closing event has no features yet is left out rather than guessed.
    gap = ~(gap_s == 0.0)
    running = running_mask(column("current_a"), asset.rated_current_a, column("rpm"), asset.rated_rpm)
    with np.errstate(invalid="ignore"):
        idle = running & (power < settings.idle_below_load_pct / 100.0 * asset.rated_power_kw)
    data = IntervalInput(
        t_ns=t,
        power_kw=power,
        apparent_kva=column("apparent_power_kva"),
        reactive_kvar=column("reactive_power_kvar"),
        gap=gap,
        running=running,
        idle=idle,
        healthy_kw=np.full(n, np.nan),
    )
    return data, cell_keys(settings.calendar, t, idle)


def healthy_model_for(asset: Asset, settings: SiteSettings) -> tuple[HealthyPowerModel, Baseline] | None:
    """The healthy power model of the asset's active baseline under the site's calendar,
    fitted on first use (one row per baseline version and calendar)."""
    found = _healthy_fit(asset, settings)
    if found is None:
        return None
    model, baseline, stored = found
    if not stored:
        _healthy_fit_store(asset, settings, model, baseline)
    return model, baseline


def _healthy_fit(asset: Asset, settings: SiteSettings) -> tuple[HealthyPowerModel, Baseline, bool] | None:
    """(model, its baseline, whether the fit is already stored) of the active baseline."""
    baseline = (
        Baseline.objects.filter(asset=asset, active=True)
        .only("pk", "version", "window_start", "window_end")
        .first()
    )
    if baseline is None:
        return None
    row = HealthyPowerFit.objects.filter(baseline=baseline, calendar_key=settings.model_key).first()
    if row is not None:
        return HealthyPowerModel.from_dict(row.model), baseline, True
    found = interval_input(asset, settings, baseline.window_start, baseline.window_end)
    if found is None:
        model = HealthyPowerModel({})
    else:
        data, keys = found
        model = HealthyPowerModel.fit(data, keys, (_ns(baseline.window_start), _ns(baseline.window_end)))
    return model, baseline, False


def _healthy_fit_store(
    asset: Asset, settings: SiteSettings, model: HealthyPowerModel, baseline: Baseline
) -> None:
    try:
        with transaction.atomic():
            HealthyPowerFit.objects.create(
                asset=asset, baseline=baseline, calendar_key=settings.model_key, model=model.to_dict()
            )
    except IntegrityError:  # a concurrent run stored the same fit
        pass


def energy_rollups_refresh(*, asset: Asset, start: datetime, end: datetime) -> int:
    """Recompute and write the hourly rollups of every hour touched by events in [start, end].

    The hours run from the one holding the event before ``start`` (its interval to the first
    recomputed event may cross hours) to the one holding ``end``; each is written whole, with
    zeros where nothing was measured, so a rewrite never leaves a stale value. Returns the
    number of hourly points written.

    When the healthy power model is new (a baseline version activated since the last run, or
    the site's calendar or idle share changed), the range also covers every hour from the
    model's baseline window end (or the first hour wholly after the oldest stored event, if
    later) through the hour of the newest event: their degradation figures follow the model
    that is now the asset's healthy reference (§18.8). The fit is stored only after those
    hours are written, so a run that fails half-way leaves the model new and the next run
    rewrites them again.
    """
    store = get_store()
    prev = store.read(
        measurement="events",
        asset_id=asset.asset_id,
        start=EPOCH_START,
        end=start,
        fields=["power_kw"],
        limit=1,
        descending=True,
    )
    first_hour = _floor_hour(prev[0].time if prev else start)
    end_hour = _floor_hour(end) + HOUR
    settings = site_settings_for(asset)
    found = _healthy_fit(asset, settings)
    fitted = None if found is None else found[:2]
    if found is not None and not found[2]:
        first_hour, end_hour = _rebaseline_hours(asset, found[1], first_hour, end_hour)
    written = 0
    w0 = first_hour
    while w0 < end_hour:
        w1 = min(w0 + WINDOW, end_hour)
        written += store.write(_window_points(asset, settings, fitted, w0, w1))
        w0 = w1
    _days_refresh(asset, settings.calendar, first_hour, end_hour)
    if found is not None and not found[2]:
        _healthy_fit_store(asset, settings, found[0], found[1])
    return written


def _days_refresh(asset: Asset, calendar: SiteCalendar, start: datetime, end: datetime) -> int:
    """Recompute the daily rollups of every site-local day holding a block of [start, end)
    from the stored hours (§18.3a). Returns the number of daily points written."""
    first, last = block_of(start), block_of(end) - 1
    if last < first:
        return 0
    days = calendar.attributes(np.array([first, last], dtype=np.int64)).day
    lo = calendar.local_midnight_block_of_day(int(days[0]))
    hi = calendar.local_midnight_block_of_day(int(days[1]) + 1)
    written = 0
    edges = day_edges(calendar, lo, hi)
    step = 62  # days per read: a rebuild of years reads its hours in bounded pieces
    for i in range(0, len(edges) - 1, step):
        written += get_store().write(daily_points(asset_id=asset.asset_id, edges=edges[i : i + step + 1]))
    return written


def _rebaseline_hours(
    asset: Asset, baseline: Baseline, first_hour: datetime, end_hour: datetime
) -> tuple[datetime, datetime]:
    """The hour range widened to every hour a new healthy model changes (see the refresh)."""
    store = get_store()
    oldest = store.read(
        measurement="events",
        asset_id=asset.asset_id,
        start=EPOCH_START,
        end=FAR_FUTURE,
        fields=["power_kw"],
        limit=1,
    )
    newest = store.latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    if not oldest or newest is None:
        return first_hour, end_hour
    since = max(_floor_hour(baseline.window_end), _floor_hour(oldest[0].time) + HOUR)
    return min(first_hour, since), max(end_hour, _floor_hour(newest.time) + HOUR)


def _window_points(
    asset: Asset,
    settings: SiteSettings,
    fitted: tuple[HealthyPowerModel, Baseline] | None,
    w0: datetime,
    w1: datetime,
) -> list[Point]:
    first_block = int((w0 - _EPOCH).total_seconds()) // 1800
    n_hours = int((w1 - w0) / HOUR)
    found = interval_input(asset, settings, w0, w1)
    version = 0
    if found is None:
        data = None
    else:
        data, keys = found
        if fitted is not None:
            model, baseline = fitted
            version = baseline.version
            healthy = model.predict(keys, data.power_kw)
            healthy[data.t_ns < _ns(baseline.window_end)] = np.nan
            data = replace(data, healthy_kw=healthy)
    blocks = (
        integrate(data, first_block, 2 * n_hours)
        if data is not None
        else Blocks.zeros(first_block, 2 * n_hours)
    )
    times, columns = get_store().read_columns(
        measurement="features", asset_id=asset.asset_id, start=w0, end=w1, fields=FEATURE_FIELDS
    )
    conditions = hourly_sums_columns(times, columns, w0, n_hours)
    points = []
    for h in range(n_hours):
        fields: dict[str, Any] = hour_fields(blocks, 2 * h)
        fields[PACKED_FIELD] = hour_packed(blocks, 2 * h)
        fields["baseline_version"] = version
        fields.update(conditions[h].rollup_fields())
        points.append(Point(ROLLUP_MEASUREMENT, asset.asset_id, w0 + h * HOUR, fields))
    return points


# --- tariffs -------------------------------------------------------------------------------


class TariffInvalid(Exception):
    """A tariff refused whole: every problem names its field and rule."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message} (rule: {p.rule})" for p in problems))
        self.problems = list(problems)


def tariff_versions_replace(*, site: Site, versions: Sequence[Mapping[str, Any]]) -> list[Tariff]:
    """Make ``versions`` the site's whole tariff history, or change nothing.

    Every version is validated first (field and rule named, ``versions[i].`` prefixed); then in
    one transaction the site row is stored if it only existed through its assets, the old
    versions are removed and the new ones created. Costs are computed when read, so every
    figure follows the new tariff at once.
    """
    problems = versions_problems(versions)
    if problems:
        raise TariffInvalid(problems)
    with transaction.atomic():
        if site.pk is None:
            site = site_save(site=site)
        Tariff.objects.filter(site=site).delete()
        rows = []
        for data in versions:
            row = Tariff(site=site, **{k: v for k, v in data.items()})
            row.full_clean(exclude=["site"])
            row.save()
            rows.append(row)
    return rows


def energy_rollups_rebuild(*, asset: Asset) -> int:
    """Recompute every hourly rollup of the asset from its stored events (after a change of
    its site's calendar or idle share; events past raw retention are gone and their hours keep
    their rollups). Returns the number of hourly points written."""
    store = get_store()
    first = store.read(
        measurement="events",
        asset_id=asset.asset_id,
        start=EPOCH_START,
        end=FAR_FUTURE,
        fields=["power_kw"],
        limit=1,
    )
    newest = store.latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    if not first or newest is None:
        return 0
    written = energy_rollups_refresh(asset=asset, start=first[0].time, end=newest.time)
    # Daily rollups of every stored hour in the site's current calendar (a time zone change
    # moves the days; the old day points go, hours past raw retention get theirs again).
    hours = store.read(
        measurement=ROLLUP_MEASUREMENT,
        asset_id=asset.asset_id,
        start=EPOCH_START,
        end=FAR_FUTURE,
        fields=["baseline_version"],
        limit=1,
    )
    last = store.latest(measurement=ROLLUP_MEASUREMENT, asset_ids=[asset.asset_id]).get(asset.asset_id)
    if hours and last is not None:
        store.delete(measurement=DAILY_MEASUREMENT, asset_id=asset.asset_id)
        _days_refresh(asset, site_settings_for(asset).calendar, hours[0].time, last.time + HOUR)
    return written
