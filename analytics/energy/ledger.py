"""Cost of a site or an asset per block and per billing month (pure, no Django).

A *ledger* holds, for every 30-minute block of the billing months that overlap a period, the
scope's energy quantities and the charges that fall on that block (energy, time-of-day,
power-factor adjustment), plus the monthly charges (demand, fixed) of each billing month.
Buckets then take block sums and the share of each monthly charge by time
(docs/CONTRACTS.md §18.6-18.7).

Charges need ``kwh`` and ``kvah`` block by block; the other quantities are only ever summed over
buckets, so a ledger keeps them per **cell**: per block when it is built from hourly rollups,
per site-local day when it is built from daily rollups (``days.DayForm``, day and month
buckets only). Both give the same figures.

* A **site** ledger is the site's bill: its blocks are the sums of its assets, the month's PF
  is the site's, billing demand is the site's highest 30-minute kVA, at least the tariff's
  share of the contract demand, and the fixed charge is the site's.
* An **asset** ledger is what the machine would cost metered alone on its site's tariff: its
  own PF and its own maximum demand (no contract-demand minimum, no fixed charge; both are the
  site connection's). It depends on the asset's data only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from .blocks import QUANTITIES, Blocks
from .calendar import BLOCK_S, SiteCalendar, block_start
from .days import DayForm
from .tariff import PfAdjustment, TariffVersion, billing_demand_kva, pf_adjustment, version_index

BLOCK_H = BLOCK_S / 3600.0


@dataclass(frozen=True)
class MonthCharge:
    """One billing month of one ledger: [first, end) blocks and what it charges."""

    site: str
    month: str  # YYYY-MM, site-local
    first: int
    end: int
    version: TariffVersion | None
    energy_kwh: float
    apparent_energy_kvah: float
    pf: PfAdjustment
    max_demand_kva: float | None
    max_demand_block: int | None
    billing_demand_kva: float | None
    demand_charge: float | None
    fixed_charge: float | None

    @property
    def hours(self) -> float:
        return (self.end - self.first) * BLOCK_H


@dataclass
class Ledger:
    """Per-block quantities and charges of one site or asset over ``[first, first + n)``."""

    site: str
    calendar: SiteCalendar
    grid_factor_t_per_mwh: float
    blocks: Blocks  # at least kwh and kvah per block
    energy: np.ndarray  # energy charge per block; NaN where no tariff applies
    tod: np.ndarray
    pf_adj: np.ndarray
    cells: dict[str, np.ndarray]  # every quantity of blocks.QUANTITIES summed per cell
    edges: np.ndarray  # the block where each cell starts, then the end (n_cells + 1)
    has_data: np.ndarray  # per block: any data (covered_s > 0)
    months: list[MonthCharge] = field(default_factory=list)

    @property
    def first(self) -> int:
        return self.blocks.first

    @property
    def costed(self) -> bool:
        return any(m.version is not None for m in self.months)


def billing_range(calendar: SiteCalendar, first: int, end: int) -> tuple[int, int]:
    """[first, end) blocks of the site-local months that overlap blocks [first, end)."""
    attrs = calendar.attributes(np.array([first, end - 1], dtype=np.int64))
    return calendar.month_blocks(int(attrs.month[0]))[0], calendar.month_blocks(int(attrs.month[1]))[1]


def _month_version(versions: Sequence[TariffVersion], first_day: int, end_day: int) -> TariffVersion | None:
    """In effect at the month's first day, else the first to take effect within the month."""
    idx = version_index(versions, np.array([first_day]))[0]
    if idx >= 0:
        return versions[idx]
    for v in versions:
        day = (v.effective_from - date(1970, 1, 1)).days
        if first_day <= day < end_day:
            return v
    return None


def ledger_build(
    *,
    site: str,
    calendar: SiteCalendar,
    grid_factor_t_per_mwh: float,
    blocks: Blocks,
    versions: Sequence[TariffVersion],
    contract_demand_kva: float | None,
    stand_alone: bool,
    days: DayForm | None = None,
) -> Ledger:
    """Charges of ``blocks`` (which must span whole billing months, see ``billing_range``).

    With ``days`` (the same range by site-local day) the ledger's cells are those days and
    ``blocks`` may hold only ``kwh`` and ``kvah``; without, every quantity is in ``blocks``
    and its cells are the blocks."""
    versions = sorted(versions, key=lambda v: v.effective_from)
    n = blocks.n
    index = np.arange(blocks.first, blocks.first + n, dtype=np.int64)
    attrs = calendar.attributes(index)
    energy = np.full(n, np.nan)
    tod = np.full(n, np.nan)
    kwh, kvah = blocks.values["kwh"], blocks.values["kvah"]
    if versions:
        which = version_index(versions, attrs.day)
        for i, in_force in enumerate(versions):
            sel = which == i
            if not sel.any():
                continue
            qty = (kwh if in_force.billing_basis == "kwh" else kvah)[sel]
            mult = in_force.slot_multipliers()[attrs.slot[sel]]
            energy[sel] = in_force.energy_rate * qty
            tod[sel] = in_force.energy_rate * (mult - 1.0) * qty
    pf_adj = np.full(n, np.nan)
    months: list[MonthCharge] = []
    month_keys = attrs.month
    cuts = np.flatnonzero(month_keys[1:] != month_keys[:-1]) + 1
    for lo, hi in zip(
        np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [n]]).tolist(), strict=True
    ):
        version: TariffVersion | None = (
            _month_version(versions, int(attrs.day[lo]), int(attrs.day[hi - 1]) + 1) if versions else None
        )
        m_kwh, m_kvah = float(kwh[lo:hi].sum()), float(kvah[lo:hi].sum())
        adjustment = pf_adjustment(version, m_kwh, m_kvah)
        costed = np.isfinite(energy[lo:hi])
        pf_adj[lo:hi] = np.where(costed, adjustment.pct / 100.0 * (energy[lo:hi] + tod[lo:hi]), np.nan)
        demand = kvah[lo:hi] / BLOCK_H
        has_data = m_kvah > 0
        peak = int(np.argmax(demand)) if has_data else None
        md = float(demand[peak]) if peak is not None else None
        billing = demand_charge = fixed = None
        if version is not None:
            billing = billing_demand_kva(version, md or 0.0, None if stand_alone else contract_demand_kva)
            demand_charge = version.demand_rate_per_kva * billing
            fixed = None if stand_alone else version.fixed_monthly
        local_first = date(1970, 1, 1) + timedelta(days=int(attrs.day[lo]))
        months.append(
            MonthCharge(
                site=site,
                month=local_first.strftime("%Y-%m"),
                first=blocks.first + lo,
                end=blocks.first + hi,
                version=version,
                energy_kwh=m_kwh,
                apparent_energy_kvah=m_kvah,
                pf=adjustment,
                max_demand_kva=md,
                max_demand_block=None if peak is None else blocks.first + lo + peak,
                billing_demand_kva=billing,
                demand_charge=demand_charge,
                fixed_charge=fixed,
            )
        )
    if days is None:
        cells = {q: blocks.values[q] for q in QUANTITIES}
        edges = np.arange(blocks.first, blocks.first + n + 1, dtype=np.int64)
        with_data = blocks.values["covered_s"] > 0
    else:
        if days.first != blocks.first or int(days.edges[-1]) != blocks.first + n:
            raise ValueError("the days must cover the same blocks")
        cells, edges, with_data = days.cells, days.edges, days.has_data
    return Ledger(
        site, calendar, grid_factor_t_per_mwh, blocks, energy, tod, pf_adj, cells, edges, with_data, months
    )


def month_record(m: MonthCharge, share: float) -> dict:
    """The billing month as the API shows it (``share``: the part of it inside the period)."""
    v = m.version
    return {
        "site": m.site,
        "month": m.month,
        "start": block_start(m.first),
        "end": block_start(m.end),
        "share_in_period": share,
        "tariff_effective_from": v.effective_from.isoformat() if v else None,
        "billing_basis": v.billing_basis if v else None,
        "energy_kwh": m.energy_kwh,
        "apparent_energy_kvah": m.apparent_energy_kvah,
        "power_factor": m.pf.pf,
        "pf_billed": m.pf.pf_billed,
        "pf_adjustment_pct": m.pf.pct if v else None,
        "pf_slabs": m.pf.slabs,
        "max_demand_kva": m.max_demand_kva,
        "max_demand_at": block_start(m.max_demand_block) if m.max_demand_block is not None else None,
        "billing_demand_kva": m.billing_demand_kva,
        "demand_charge": m.demand_charge,
        "fixed_charge": m.fixed_charge,
    }
