"""Reads of the energy subpackage: the energy summary of an asset, a site or the fleet, and
a site's tariff versions. Figures come from the hourly rollups, never from raw events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from django.utils import timezone

from ingestion.models import Asset, Site, Tenant
from ingestion.selectors import asset_get, site_get, site_list
from ingestion.timeseries import get_store

from .blocks import HALVES, Blocks, blocks_from_hours
from .calendar import BLOCK_S, BUCKETS, SiteCalendar, block_of, block_start
from .days import DayForm, day_edges
from .ledger import Ledger, billing_range, ledger_build
from .models import Tariff
from .rollups import ROLLUP_MEASUREMENT, rollup_blocks, rollup_blocks_unpacked, rollup_days
from .services import SiteSettings
from .summary import summarize

SCOPES = ("asset", "site", "fleet")
#: buckets that are whole site-local days, answered from daily rollups when the period is
DAY_BUCKETS = ("day", "month")


class EnergyQueryError(Exception):
    """A request the summary cannot answer as asked (400 naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ScopeNotFound(Exception):
    """No such asset or site in the caller's tenant (404, the same as another tenant's)."""


@dataclass(frozen=True)
class _Unit:
    """A ledger to build: a site (its assets summed) or one asset (stand alone)."""

    site: Site
    settings: SiteSettings
    asset_ids: tuple[str, ...]
    stand_alone: bool


def tariff_versions(*, site: Site) -> list[Tariff]:
    if site.pk is None:
        return []
    return list(Tariff.objects.filter(site=site).order_by("effective_from"))


# Rollups read per (asset id, first, end, by day): a caller asking several summaries of one
# request (a report: each asset, then the fleet) passes one dict so each asset's rollups are
# read once.
RollupCache = dict[tuple[str, int, int, bool], Blocks | DayForm]


def _asset_days(rollups: RollupCache | None, asset_id: str, edges: np.ndarray) -> DayForm:
    key = (asset_id, int(edges[0]), int(edges[-1]), True)
    found = rollups.get(key) if rollups is not None else None
    if not isinstance(found, DayForm):
        found = rollup_days(asset_id=asset_id, edges=edges)
        if rollups is not None:
            rollups[key] = found
    return found


def _asset_blocks(rollups: RollupCache | None, asset_id: str, lo: int, hi: int) -> Blocks:
    key = (asset_id, lo, hi, False)
    found = rollups.get(key) if rollups is not None else None
    if not isinstance(found, Blocks):
        found = rollup_blocks(asset_id=asset_id, first=lo, end=hi)
        if rollups is not None:
            rollups[key] = found
    return found


def _ledger(unit: _Unit, first: int, end: int, by_day: bool, rollups: RollupCache | None = None) -> Ledger:
    """The unit's ledger over the billing months of [first, end): from daily rollups when
    ``by_day`` (cells are the site-local days), else from hourly rollups."""
    lo, hi = billing_range(unit.settings.calendar, first, end)
    days = None
    if by_day:
        edges = day_edges(unit.settings.calendar, lo, hi)
        days = DayForm.zeros(edges)
        for asset_id in unit.asset_ids:
            days.add(_asset_days(rollups, asset_id, edges))
        blocks = days.blocks()
    else:
        blocks = Blocks.zeros(lo, hi - lo)
        for asset_id in unit.asset_ids:
            for name, values in _asset_blocks(rollups, asset_id, lo, hi).values.items():
                blocks.values[name] += values
    versions = [t.version() for t in tariff_versions(site=unit.site)]
    return ledger_build(
        site=unit.settings.code,
        calendar=unit.settings.calendar,
        grid_factor_t_per_mwh=unit.settings.grid_factor_t_per_mwh,
        blocks=blocks,
        versions=versions,
        contract_demand_kva=unit.settings.contract_demand_kva,
        stand_alone=unit.stand_alone,
        days=days,
    )


def _units(tenant: Tenant, scope: str, scope_id: str | None) -> tuple[list[_Unit], dict]:
    if scope == "asset":
        asset = asset_get(tenant=tenant, asset_id=scope_id or "")
        if asset is None:
            raise ScopeNotFound(f"no asset {scope_id!r} in this tenant")
        site = site_get(tenant=tenant, code=asset.supply_site) or Site(tenant=tenant, code=asset.supply_site)
        return [_Unit(site, SiteSettings.of(site), (asset.asset_id,), True)], {
            "asset_id": asset.asset_id,
            "site": site.code,
        }
    if scope == "site":
        named = site_get(tenant=tenant, code=scope_id or "")
        if named is None:
            raise ScopeNotFound(f"no site {scope_id!r} in this tenant")
        ids = _active_asset_ids(tenant, named.code)
        return [_Unit(named, SiteSettings.of(named), ids, False)], {"site": named.code, "assets": list(ids)}
    units = []
    for site in site_list(tenant=tenant):
        ids = _active_asset_ids(tenant, site.code)
        if ids:
            units.append(_Unit(site, SiteSettings.of(site), ids, False))
    return units, {"sites": [u.settings.code for u in units]}


def _active_asset_ids(tenant: Tenant, code: str) -> tuple[str, ...]:
    return tuple(
        Asset.objects.filter(tenant=tenant, supply_site=code, active=True)
        .order_by("asset_id")
        .values_list("asset_id", flat=True)
    )


def _common_calendar(units: list[_Unit], bucket: str) -> SiteCalendar:
    calendars = {u.settings.calendar for u in units}
    if len(calendars) == 1:
        return calendars.pop()
    zones = {c.timezone for c in calendars}
    if bucket == "shift":
        raise EnergyQueryError(
            "bucket", "the fleet's sites keep different shift calendars: ask per site for bucket=shift"
        )
    if len(zones) == 1:
        zone = zones.pop()
    else:
        zone = "UTC"
    first = next(iter(calendars))
    return SiteCalendar(zone, first.shifts, frozenset())


def _whole_days(units: list[_Unit], calendar: SiteCalendar, bucket: str, first: int, end: int) -> bool:
    """Whether every bucket is whole site-local days of every unit's calendar."""
    if bucket not in DAY_BUCKETS or not units or end <= first:
        return False
    if any(u.settings.calendar.timezone != calendar.timezone for u in units):
        return False
    attrs = calendar.attributes(np.array([first, end - 1], dtype=np.int64))
    return calendar.local_midnight_block_of_day(int(attrs.day[0])) == first and (
        calendar.local_midnight_block_of_day(int(attrs.day[1]) + 1) == end
    )


def energy_summary(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str | None,
    start: datetime,
    end: datetime,
    bucket: str,
    rollups: RollupCache | None = None,
    daily_rollups: bool = True,
) -> dict:
    """Totals, the bucket series, cost breakdown, coverage and billing months of [start, end).

    `rollups`: a dict shared by the summaries of one request, so each asset's rollups are read once
    (the rollups are not modified by the summary). Day and month buckets of a period from one
    site-local midnight to another, in the time zone of every site of the scope, are answered
    from the daily rollups (§18.3a); `daily_rollups=False` answers them from the hours (the
    same figures)."""
    if scope not in SCOPES:
        raise EnergyQueryError("scope", f"scope must be one of {', '.join(SCOPES)}")
    if bucket not in BUCKETS:
        raise EnergyQueryError("bucket", f"bucket must be one of {', '.join(BUCKETS)}")
    units, subject = _units(tenant, scope, scope_id)
    first, end_block = block_of(start), block_of(end)
    calendar = (
        _common_calendar(units, bucket) if units else SiteSettings.of(Site(tenant=tenant, code="-")).calendar
    )
    by_day = daily_rollups and _whole_days(units, calendar, bucket, first, end_block)
    ledgers = [_ledger(u, first, end_block, by_day, rollups) for u in units]
    n_assets = sum(len(u.asset_ids) for u in units)
    result = summarize(
        ledgers=ledgers, calendar=calendar, first=first, end=end_block, bucket=bucket, n_assets=n_assets
    )
    return {
        "scope": scope,
        "id": scope_id if scope != "fleet" else None,
        **subject,
        "start": start,
        "end": end,
        "bucket": bucket,
        "timezone": calendar.timezone,
        "currency": "INR",
        **result,
    }


_TODAY_FIELDS = [f"{q}_{h}" for q in ("kwh", "covered_s") for h in HALVES]


def today_blocks(*, timezone_name: str, now: datetime) -> tuple[int, int]:
    """The site-local day so far as blocks [first, end): from the block holding local midnight
    to the end of the block holding `now` (at least one block), the period the dashboard's
    "energy today" names."""
    local = now.astimezone(ZoneInfo(timezone_name))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    first = block_of(midnight)
    return first, max(first + 1, -(-int((now - block_start(0)).total_seconds()) // BLOCK_S))


def energy_today(*, tenant: Tenant, site_code: str | None, now: datetime | None = None) -> dict:
    """Each active asset's energy of its site's day so far (CONTRACTS §18.9), for the fleet or one
    site, in one read of the hourly rollups of every asset.

    `energy_kwh` is the sum the asset's `GET /api/v1/energy?scope=asset` totals give for the
    same period (the same block values; the summary adds them per tariff cell first, so the two
    may differ in the last bits of a double), null when no block of it has data."""
    now = now or timezone.now()
    sites = site_list(tenant=tenant)
    if site_code is not None:
        sites = [s for s in sites if s.code == site_code]
        if not sites:
            raise ScopeNotFound(f"no site {site_code!r} in this tenant")
    windows = {s.code: (s.timezone, today_blocks(timezone_name=s.timezone, now=now)) for s in sites}
    assets = list(
        Asset.objects.filter(tenant=tenant, active=True, supply_site__in=list(windows))
        .order_by("asset_id")
        .values_list("asset_id", "supply_site")
    )
    rows = []
    if assets:
        lo = min(w[0] for _, w in windows.values())
        hi = max(w[1] for _, w in windows.values())
        points = get_store().read_assets(
            measurement=ROLLUP_MEASUREMENT,
            asset_ids=[a for a, _ in assets],
            start=block_start(lo - lo % 2),
            end=block_start(hi + hi % 2),
            fields=_TODAY_FIELDS,
        )
        for asset_id, code in assets:
            zone, (first, end) = windows[code]
            hours = [(int(p.time.timestamp()) // 3600, p.fields) for p in points.get(asset_id, [])]
            blocks = blocks_from_hours(first, end - first, hours)
            covered_s = float(blocks.values["covered_s"].sum())
            rows.append(
                {
                    "asset_id": asset_id,
                    "site": code,
                    "timezone": zone,
                    "start": block_start(first),
                    "end": block_start(end),
                    "energy_kwh": float(blocks.values["kwh"].sum()) if covered_s > 0 else None,
                    "covered_h": covered_s / 3600.0,
                }
            )
    return {"evaluated_at": now, "site": site_code, "assets": rows}


__all__ = [
    "EnergyQueryError",
    "ScopeNotFound",
    "energy_summary",
    "energy_today",
    "rollup_blocks",
    "rollup_blocks_unpacked",
    "tariff_versions",
]
