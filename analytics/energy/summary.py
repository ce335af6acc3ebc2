"""KPIs, cost and coverage of a period and its buckets, from ledgers (pure, no Django).

Formulas are docs/CONTRACTS.md §18.4-18.7. Sums (energy, hours, CO2, charges) are additive
over buckets and over any split of the period; ratios and maxima (PF, maximum demand, load
factor) are computed from the sums of the bucket itself. Numbers are full double precision:
rounding is for display only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .blocks import QUANTITIES
from .calendar import SiteCalendar, block_start, bucket_label, group_runs
from .ledger import BLOCK_H, Ledger, MonthCharge, month_record


class _Period:
    """The ledgers' arrays cut to the period's blocks and summed over ledgers."""

    def __init__(self, ledgers: Sequence[Ledger], first: int, end: int, n_assets: int) -> None:
        n = end - first
        self.first, self.n, self.n_assets = first, n, n_assets
        self.edges = _period_edges(ledgers, first, end)
        n_cells = len(self.edges) - 1
        self.q = {name: np.zeros(n_cells) for name in QUANTITIES}
        self.kvah = np.zeros(n)
        self.has_data = np.zeros(n, dtype=bool)
        self.co2 = np.zeros(n)
        self.energy, self.tod, self.pf_adj = np.zeros(n), np.zeros(n), np.zeros(n)
        self.costed = np.zeros(n, dtype=bool)
        self.uncosted_kwh = np.zeros(n)
        self.months: list[MonthCharge] = []
        self.any_tariff = False
        for ledger in ledgers:
            lo = first - ledger.first
            cut = slice(lo, lo + n)
            c0 = int(np.searchsorted(ledger.edges, first))
            for name in QUANTITIES:
                self.q[name] += ledger.cells[name][c0 : c0 + n_cells]
            kwh = ledger.blocks.values["kwh"][cut]
            self.kvah += ledger.blocks.values["kvah"][cut]
            self.has_data |= ledger.has_data[cut]
            self.co2 += kwh * ledger.grid_factor_t_per_mwh / 1000.0
            has = np.isfinite(ledger.energy[cut])
            self.costed |= has
            self.energy += np.where(has, ledger.energy[cut], 0.0)
            self.tod += np.where(has, ledger.tod[cut], 0.0)
            self.pf_adj += np.where(has, ledger.pf_adj[cut], 0.0)
            self.uncosted_kwh += np.where(has, 0.0, kwh)
            self.months += ledger.months
            self.any_tariff |= ledger.costed

    def _cells(self, lo: int, hi: int) -> slice:
        """The cells of block positions [lo, hi) (buckets are whole cells)."""
        rel = self.edges - self.first
        c0, c1 = int(np.searchsorted(rel, lo)), int(np.searchsorted(rel, hi))
        if rel[c0] != lo or rel[c1] != hi:
            raise ValueError("a bucket does not fall on the ledger's cells")
        return slice(c0, c1)

    def block_range(self, lo: int, hi: int) -> dict:
        """KPIs of the positions [lo, hi) of the period."""
        cells = self._cells(lo, hi)
        q = {name: float(self.q[name][cells].sum()) for name in QUANTITIES}
        covered = q["covered_s"]
        b0, b1 = self.first + lo, self.first + hi
        period_h = (hi - lo) * BLOCK_H
        out: dict = {"start": block_start(b0), "end": block_start(b1)}
        data = covered > 0
        kva = self.kvah[lo:hi] / BLOCK_H
        with_data = int(self.has_data[lo:hi].sum())
        peak = int(np.argmax(kva)) if data else 0
        md = float(kva[peak]) if data else None

        def value(x: float) -> float | None:
            return x if data else None

        out.update(
            energy_kwh=value(q["kwh"]),
            apparent_energy_kvah=value(q["kvah"]),
            reactive_energy_kvarh=value(q["kvarh"]),
            power_factor=q["kwh"] / q["kvah"] if data and q["kvah"] > 0 else None,
            max_demand_kva=md,
            max_demand_at=block_start(b0 + peak) if data else None,
            load_factor=(q["kvah"] / (with_data * BLOCK_H)) / md if md else None,
            running_h=value(q["running_s"] / 3600.0),
            idle_running_h=value(q["idle_s"] / 3600.0),
            idle_energy_kwh=value(q["idle_kwh"]),
            co2_t=value(float(self.co2[lo:hi].sum())),
            degradation_loss_kwh=q["model_kwh"] - q["healthy_kwh"] if q["model_s"] > 0 else None,
            healthy_model_kwh=q["healthy_kwh"] if q["model_s"] > 0 else None,
            measured_model_kwh=q["model_kwh"] if q["model_s"] > 0 else None,
            healthy_model_h=q["model_s"] / 3600.0,
            coverage=self._coverage(period_h, covered),
            cost=self._cost(lo, hi, data),
        )
        return out

    def _coverage(self, period_h: float, covered_s: float) -> dict:
        covered_h = covered_s / 3600.0
        asset_hours = period_h * self.n_assets
        return {
            "period_h": period_h,
            "assets": self.n_assets,
            "asset_hours": asset_hours,
            "covered_h": covered_h,
            "gap_h": asset_hours - covered_h,
        }

    def _cost(self, lo: int, hi: int, data: bool) -> dict | None:
        b0, b1 = self.first + lo, self.first + hi
        shares = [(m, _overlap(b0, b1, m.first, m.end) / (m.end - m.first)) for m in self.months]
        shares = [(m, s) for m, s in shares if s > 0 and m.version is not None]
        if not self.costed[lo:hi].any() and not shares:
            return None
        charged = data and bool(self.costed[lo:hi].any())
        energy = float(self.energy[lo:hi].sum()) if charged else None
        tod = float(self.tod[lo:hi].sum()) if charged else None
        pf_adj = float(self.pf_adj[lo:hi].sum()) if charged else None
        demand = sum(m.demand_charge * s for m, s in shares if m.demand_charge is not None) if shares else 0.0
        fixed_parts = [m.fixed_charge * s for m, s in shares if m.fixed_charge is not None]
        fixed = sum(fixed_parts) if fixed_parts else (0.0 if not shares else None)
        parts = [x for x in (energy, tod, pf_adj, demand, fixed) if x is not None]
        return {
            "currency": "INR",
            "energy": energy,
            "time_of_day": tod,
            "pf_adjustment": pf_adj,
            "demand": demand,
            "fixed": fixed,
            "total": sum(parts),
            "uncosted_kwh": float(self.uncosted_kwh[lo:hi].sum()),
        }


def _period_edges(ledgers: Sequence[Ledger], first: int, end: int) -> np.ndarray:
    """The cells of [first, end): every ledger's must be the same (all by block or all by the
    same site-local days)."""
    if not ledgers:
        return np.arange(first, end + 1, dtype=np.int64)
    found = None
    for ledger in ledgers:
        c0, c1 = np.searchsorted(ledger.edges, [first, end])
        edges = ledger.edges[c0 : c1 + 1]
        if edges.size < 1 or edges[0] != first or edges[-1] != end:
            raise ValueError("the period does not fall on the ledger's cells")
        if found is not None and not np.array_equal(found, edges):
            raise ValueError("the ledgers of one summary must share their cells")
        found = edges
    assert found is not None
    return found


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def summarize(
    *,
    ledgers: Sequence[Ledger],
    calendar: SiteCalendar,
    first: int,
    end: int,
    bucket: str,
    n_assets: int,
) -> dict:
    """Totals, the bucket series and the billing months of the period [first, end) blocks."""
    period = _Period(ledgers, first, end, n_assets)
    index = np.arange(first, end, dtype=np.int64)
    attrs = calendar.attributes(index)
    keys = attrs.bucket_keys(bucket)
    series = []
    for lo, hi in group_runs(keys):
        item = period.block_range(lo, hi)
        item["label"] = bucket_label(bucket, calendar, attrs, lo)
        item["start_local"] = calendar.local_iso(first + lo)
        series.append(item)
    totals = period.block_range(0, end - first)
    months = [
        month_record(m, _overlap(first, end, m.first, m.end) / (m.end - m.first))
        for m in sorted(period.months, key=lambda m: (m.first, m.site))
        if _overlap(first, end, m.first, m.end)
    ]
    return {"totals": totals, "series": series, "billing_months": months}
