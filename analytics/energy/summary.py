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

    def spans(self, lo: np.ndarray, hi: np.ndarray) -> list[dict]:
        """KPIs of each [lo[i], hi[i]) of block positions; the spans follow each other
        without gaps (a bucket series, or the whole period), so every sum is one
        ``reduceat`` over the period's arrays."""
        lo, hi = np.asarray(lo, dtype=np.int64), np.asarray(hi, dtype=np.int64)
        rel = self.edges - self.first
        c_lo, c_hi = np.searchsorted(rel, lo), np.searchsorted(rel, hi)
        if (rel[c_lo] != lo).any() or (rel[c_hi] != hi).any():
            raise ValueError("a bucket does not fall on the ledger's cells")
        q = {name: np.add.reduceat(self.q[name], c_lo) for name in QUANTITIES}
        kva = self.kvah / BLOCK_H
        md_all = np.maximum.reduceat(kva, lo)
        at_max = kva == np.repeat(md_all, hi - lo)
        peak_all = np.minimum.reduceat(np.where(at_max, np.arange(self.n), self.n), lo)
        with_data = np.add.reduceat(self.has_data.astype(np.int64), lo)
        co2 = np.add.reduceat(self.co2, lo)
        costed = np.add.reduceat(self.costed.astype(np.int64), lo) > 0
        energy, tod = np.add.reduceat(self.energy, lo), np.add.reduceat(self.tod, lo)
        pf_adj, uncosted = np.add.reduceat(self.pf_adj, lo), np.add.reduceat(self.uncosted_kwh, lo)
        demand, fixed = np.zeros(lo.size), np.zeros(lo.size)
        n_shares, n_fixed = np.zeros(lo.size, dtype=np.int64), np.zeros(lo.size, dtype=np.int64)
        b0, b1 = self.first + lo, self.first + hi
        for m in self.months:
            if m.version is None:
                continue
            share = np.maximum(0, np.minimum(b1, m.end) - np.maximum(b0, m.first)) / (m.end - m.first)
            has = share > 0
            n_shares += has
            if m.demand_charge is not None:
                demand = demand + np.where(has, m.demand_charge * share, 0.0)
            if m.fixed_charge is not None:
                fixed = fixed + np.where(has, m.fixed_charge * share, 0.0)
                n_fixed += has
        out = []
        for i in range(lo.size):
            covered = float(q["covered_s"][i])
            data = covered > 0
            kwh, kvah, model_s = float(q["kwh"][i]), float(q["kvah"][i]), float(q["model_s"][i])
            md = float(md_all[i]) if data else None
            healthy, measured = float(q["healthy_kwh"][i]), float(q["model_kwh"][i])

            def value(x: float, data: bool = data) -> float | None:
                return x if data else None

            out.append(
                {
                    "start": block_start(int(b0[i])),
                    "end": block_start(int(b1[i])),
                    "energy_kwh": value(kwh),
                    "apparent_energy_kvah": value(kvah),
                    "reactive_energy_kvarh": value(float(q["kvarh"][i])),
                    "power_factor": kwh / kvah if data and kvah > 0 else None,
                    "max_demand_kva": md,
                    "max_demand_at": block_start(self.first + int(peak_all[i])) if data else None,
                    "load_factor": (kvah / (int(with_data[i]) * BLOCK_H)) / md if md else None,
                    "running_h": value(float(q["running_s"][i]) / 3600.0),
                    "idle_running_h": value(float(q["idle_s"][i]) / 3600.0),
                    "idle_energy_kwh": value(float(q["idle_kwh"][i])),
                    "co2_t": value(float(co2[i])),
                    "degradation_loss_kwh": measured - healthy if model_s > 0 else None,
                    "healthy_model_kwh": healthy if model_s > 0 else None,
                    "measured_model_kwh": measured if model_s > 0 else None,
                    "healthy_model_h": model_s / 3600.0,
                    "coverage": self._coverage(float(hi[i] - lo[i]) * BLOCK_H, covered),
                    "cost": _cost(
                        data=data,
                        costed=bool(costed[i]),
                        n_shares=int(n_shares[i]),
                        n_fixed=int(n_fixed[i]),
                        energy=float(energy[i]),
                        tod=float(tod[i]),
                        pf_adj=float(pf_adj[i]),
                        demand=float(demand[i]),
                        fixed=float(fixed[i]),
                        uncosted=float(uncosted[i]),
                    ),
                }
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


def _cost(
    *,
    data: bool,
    costed: bool,
    n_shares: int,
    n_fixed: int,
    energy: float,
    tod: float,
    pf_adj: float,
    demand: float,
    fixed: float,
    uncosted: float,
) -> dict | None:
    """The cost of one span: its block charges and its shares of the monthly charges (§18.6);
    ``n_shares``/``n_fixed``: billing months under a tariff (with a fixed charge) it overlaps."""
    if not costed and not n_shares:
        return None
    charged = data and costed
    parts = [x for x in (energy, tod, pf_adj) if charged] + [demand]
    fixed_value = fixed if n_fixed else (0.0 if not n_shares else None)
    if fixed_value is not None:
        parts.append(fixed_value)
    return {
        "currency": "INR",
        "energy": energy if charged else None,
        "time_of_day": tod if charged else None,
        "pf_adjustment": pf_adj if charged else None,
        "demand": demand,
        "fixed": fixed_value,
        "total": sum(parts),
        "uncosted_kwh": uncosted,
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
    runs = group_runs(keys)
    series = period.spans(np.array([r[0] for r in runs]), np.array([r[1] for r in runs])) if runs else []
    for (lo, _), item in zip(runs, series, strict=True):
        item["label"] = bucket_label(bucket, calendar, attrs, lo)
        item["start_local"] = calendar.local_iso(first + lo)
    totals = period.spans(np.array([0]), np.array([end - first]))[0]
    months = [
        month_record(m, _overlap(first, end, m.first, m.end) / (m.end - m.first))
        for m in sorted(period.months, key=lambda m: (m.first, m.site))
        if _overlap(first, end, m.first, m.end)
    ]
    return {"totals": totals, "series": series, "billing_months": months}
