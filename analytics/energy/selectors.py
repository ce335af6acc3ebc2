"""Reads of the energy subpackage: the energy summary of an asset, a site or the fleet, and
a site's tariff versions. Figures come from the hourly rollups, never from raw events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ingestion.models import Asset, Site, Tenant
from ingestion.selectors import asset_get, site_get, site_list
from ingestion.timeseries import get_store

from .blocks import HALVES, PACKED_FIELD, ROLLUP_FIELDS, Blocks, blocks_from_hours, blocks_from_packed
from .calendar import BLOCK_S, BUCKETS, SiteCalendar, block_of, block_start
from .ledger import Ledger, billing_range, ledger_build
from .models import Tariff
from .services import ROLLUP_MEASUREMENT, SiteSettings
from .summary import summarize

SCOPES = ("asset", "site", "fleet")
#: an aggregation bucket longer than any stored range (epoch-aligned: at most two buckets)
_ONE_BUCKET = timedelta(days=100_000)


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


def rollup_blocks(*, asset_id: str, first: int, end: int) -> Blocks:
    """Per-block quantities of one asset over blocks [first, end), from its hourly rollups.

    Reads the packed field as one column (one field per hour instead of twenty, and no Point
    objects, §18.3). Every rollup point carries ``baseline_version``; when fewer points carry
    the packed field (rollups written before it existed), the twenty fields are read instead.
    Both paths give the same floats."""
    store = get_store()
    start, stop = _block_time(first - first % 2), _block_time(end + end % 2)
    times, texts = store.read_column(
        measurement=ROLLUP_MEASUREMENT, asset_id=asset_id, start=start, end=stop, field=PACKED_FIELD
    )
    counted = store.aggregate(
        measurement=ROLLUP_MEASUREMENT,
        asset_id=asset_id,
        start=start,
        end=stop,
        every=_ONE_BUCKET,
        fields=["baseline_version"],
    )
    if sum(int(b.values["baseline_version"]["count"] or 0) for b in counted) != len(times):
        return rollup_blocks_unpacked(asset_id=asset_id, first=first, end=end)
    return blocks_from_packed(first, end - first, [t // 3_600_000_000 for t in times], texts)


def rollup_blocks_unpacked(*, asset_id: str, first: int, end: int) -> Blocks:
    """The same as ``rollup_blocks`` from the twenty numeric fields (the slow path)."""
    points = get_store().read(
        measurement=ROLLUP_MEASUREMENT,
        asset_id=asset_id,
        start=_block_time(first - first % 2),
        end=_block_time(end + end % 2),
        fields=list(ROLLUP_FIELDS),
    )
    hours = [(int(p.time.timestamp()) // 3600, p.fields) for p in points]
    return blocks_from_hours(first, end - first, hours)


# Blocks read per (asset id, first, end): a caller asking several summaries of one request (a
# report: each asset, then the fleet) passes one dict so each asset's rollups are read once.
RollupCache = dict[tuple[str, int, int], Blocks]


def _block_time(block: int) -> datetime:
    return block_start(block)


def _ledger(unit: _Unit, first: int, end: int, rollups: RollupCache | None = None) -> Ledger:
    lo, hi = billing_range(unit.settings.calendar, first, end)
    blocks = Blocks.zeros(lo, hi - lo)
    for asset_id in unit.asset_ids:
        if rollups is None:
            one = rollup_blocks(asset_id=asset_id, first=lo, end=hi)
        else:
            key = (asset_id, lo, hi)
            if key not in rollups:
                rollups[key] = rollup_blocks(asset_id=asset_id, first=lo, end=hi)
            one = rollups[key]
        for name, values in one.values.items():
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


def energy_summary(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str | None,
    start: datetime,
    end: datetime,
    bucket: str,
    rollups: RollupCache | None = None,
) -> dict:
    """Totals, the bucket series, cost breakdown, coverage and billing months of [start, end).

    `rollups`: a dict shared by the summaries of one request, so each asset's rollups are read once
    (the blocks are not modified by the summary)."""
    if scope not in SCOPES:
        raise EnergyQueryError("scope", f"scope must be one of {', '.join(SCOPES)}")
    if bucket not in BUCKETS:
        raise EnergyQueryError("bucket", f"bucket must be one of {', '.join(BUCKETS)}")
    units, subject = _units(tenant, scope, scope_id)
    first, end_block = block_of(start), block_of(end)
    calendar = (
        _common_calendar(units, bucket) if units else SiteSettings.of(Site(tenant=tenant, code="-")).calendar
    )
    ledgers = [_ledger(u, first, end_block, rollups) for u in units]
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
    return first, max(first + 1, -(-int((now - _block_time(0)).total_seconds()) // BLOCK_S))


def energy_today(*, tenant: Tenant, site_code: str | None, now: datetime | None = None) -> dict:
    """Each active asset's energy of its site's day so far (CONTRACTS §18.9), for the fleet or one
    site, in one read of the hourly rollups of every asset.

    `energy_kwh` is the sum the asset's `GET /api/v1/energy?scope=asset` totals give for the
    same period (the same block values summed the same way), null when no block of it has data."""
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
            start=_block_time(lo - lo % 2),
            end=_block_time(hi + hi % 2),
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
                    "start": _block_time(first),
                    "end": _block_time(end),
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
