"""The healthy power model: what this machine drew when healthy at the same operating point.

The platform sees no process output (flow, throughput), only the machine's electrical
readings, which a lossy fault changes along with everything else the motor does. What is left
to tell one operating point from another is the plant's own rhythm: the site's shift, whether
the day is a weekly off day, and whether the machine runs loaded or idles. The model is the
machine's mean input power in each such *cell* over its baseline window (the healthy window of
docs/CONTRACTS.md §7), energy-weighted: ``mean_kw = kWh / h`` of the running intervals closing
in the cell. Degradation loss is the measured energy minus ``mean_kw x duration`` over the
running intervals after the window whose cell the window saw for at least an hour
(§18.8). Pure numpy, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .blocks import BLOCK_NS, NS_PER_HOUR, IntervalInput
from .calendar import SiteCalendar

#: a cell the baseline window saw for less than this many running hours predicts nothing
MIN_CELL_HOURS = 1.0
#: two levels of a cell are told apart when their means differ by this many spreads
LEVEL_SEPARATION = 4.0
#: share of a loaded cell's window intervals below its ``low_kw`` (the floor of healthy loaded running)
LOW_QUANTILE = 0.05
MODEL_VERSION = 2


def cell_keys(calendar: SiteCalendar, t_ns: np.ndarray, idle: np.ndarray) -> np.ndarray:
    """Cell of each event: ``off_day x 1000 + shift x 2 + idle`` (shift of the site calendar)."""
    t_ns = np.asarray(t_ns, dtype=np.int64)
    if not t_ns.size:
        return np.zeros(0, dtype=np.int64)
    blocks = t_ns // BLOCK_NS
    uniq, where = np.unique(blocks, return_inverse=True)
    attrs = calendar.attributes(uniq)
    return (
        attrs.off[where].astype(np.int64) * 1000 + attrs.shift[where] * 2 + np.asarray(idle, dtype=np.int64)
    )


def _intervals(data: IntervalInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(closing rows, kWh, hours) of the intervals a model learns from or predicts: covered
    (not a gap) with the machine running at both ends."""
    t = np.asarray(data.t_ns, dtype=np.int64)
    if t.size < 2:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty
    p = np.asarray(data.power_kw, dtype=np.float64)
    run = np.asarray(data.running, dtype=bool)
    rows = np.arange(1, t.size)
    ok = ~np.asarray(data.gap, dtype=bool)[1:] & run[1:] & run[:-1] & np.isfinite(p[1:]) & np.isfinite(p[:-1])
    rows = rows[ok]
    hours = (t[rows] - t[rows - 1]) / NS_PER_HOUR
    return rows, (p[rows - 1] + p[rows]) / 2.0 * hours, hours


def two_levels(power: np.ndarray, hours: np.ndarray) -> float | None:
    """The power between two clearly separate running levels of one cell, or None.

    Some machines run a cell at two levels (a compressor loading and unloading every few
    minutes); the share of time at each level drifts, so a single mean would read the drift as
    loss. The split is the threshold that maximises the between-level variance (Otsu); it is
    kept only when the levels are at least ``LEVEL_SEPARATION`` of their larger spread apart
    and each holds ``MIN_CELL_HOURS``.
    """
    if power.size < 20:
        return None
    order = np.argsort(power, kind="stable")
    x, w = power[order], hours[order]
    cw = np.cumsum(w)
    total = cw[-1]
    cx = np.cumsum(w * x)
    w0, w1 = cw[:-1], total - cw[:-1]
    ok = (w0 >= MIN_CELL_HOURS) & (w1 >= MIN_CELL_HOURS) & (x[1:] > x[:-1])
    if not ok.any():
        return None
    m0 = cx[:-1] / np.where(w0 > 0, w0, 1)
    m1 = (cx[-1] - cx[:-1]) / np.where(w1 > 0, w1, 1)
    between = np.where(ok, w0 * w1 * (m1 - m0) ** 2, -1.0)
    k = int(np.argmax(between))
    lo, hi = x[: k + 1], x[k + 1 :]
    wl, wh = w[: k + 1], w[k + 1 :]
    sd = max(
        float(np.sqrt(np.average((lo - m0[k]) ** 2, weights=wl))),
        float(np.sqrt(np.average((hi - m1[k]) ** 2, weights=wh))),
    )
    if m1[k] - m0[k] < LEVEL_SEPARATION * sd:
        return None
    return float((x[k] + x[k + 1]) / 2.0)


@dataclass(frozen=True)
class HealthyPowerModel:
    """Per cell: an optional level threshold (kW) and (kWh, h) per level of the baseline
    window's running intervals (level 1 = at or above the threshold); per loaded cell of one
    level ``lows``: the power (kW) that ``LOW_QUANTILE`` of its window intervals fall below."""

    cells: dict[int, tuple[float | None, list[tuple[float, float]]]]
    lows: dict[int, float] = field(default_factory=dict)

    @classmethod
    def fit(cls, data: IntervalInput, keys: np.ndarray, window: tuple[int, int]) -> HealthyPowerModel:
        """Learn from the intervals closing in ``window`` = [start, end) ns; ``keys`` per row."""
        rows, kwh, hours = _intervals(data)
        t = np.asarray(data.t_ns, dtype=np.int64)
        power = np.asarray(data.power_kw, dtype=np.float64)[rows]
        inside = (t[rows] >= window[0]) & (t[rows] < window[1])
        cells: dict[int, tuple[float | None, list[tuple[float, float]]]] = {}
        lows: dict[int, float] = {}
        for key in np.unique(keys[rows[inside]]).tolist():
            sel = inside & (keys[rows] == key)
            threshold = two_levels(power[sel], hours[sel])
            if key & 1 == 0 and threshold is None:
                lows[int(key)] = float(np.quantile(power[sel], LOW_QUANTILE))
            level = power >= threshold if threshold is not None else np.zeros(power.size, dtype=bool)
            levels = [
                (float(kwh[sel & (level == bool(v))].sum()), float(hours[sel & (level == bool(v))].sum()))
                for v in ((0, 1) if threshold is not None else (0,))
            ]
            cells[int(key)] = (threshold, levels)
        return cls(cells, lows)

    def predict(self, keys: np.ndarray, power_kw: np.ndarray) -> np.ndarray:
        """Healthy power (kW) per row from its cell and level (by the row's own power); NaN
        where the window saw the cell (or level) for less than ``MIN_CELL_HOURS``.

        Idle or loaded is decided by the measured power, which a lossy fault raises: a fault
        that adds a fixed loss lifts idle running (about a fifth of rated power) over the idle
        share and would compare it with the loaded mean, reading a large gain. A loss only ever
        adds power, so a row that the idle rule calls loaded takes its idle sibling's healthy
        power (same day type and shift) when the window saw both cells, its power is below the
        loaded cell's floor (``lows``: what healthy loaded running hardly ever drew less than)
        and nearer the idle level than its own: its operating point is the healthy level it is
        closest to. A row called idle stays idle, and a loaded cell of two levels (a compressor
        loading and unloading, whose unloaded level lies near the idle share) keeps its rows."""
        keys = np.asarray(keys, dtype=np.int64)
        power = np.asarray(power_kw, dtype=np.float64)
        own = self._predict_cells(keys, power)
        idle_sibling = self._predict_cells(keys | 1, power)
        floor = np.full(len(keys), -np.inf)
        for key, low in self.lows.items():
            floor[keys == key] = low
        with np.errstate(invalid="ignore"):
            nearer = (
                (keys & 1 == 0)
                & np.isfinite(own)
                & np.isfinite(idle_sibling)
                & (power < floor)
                & (np.abs(power - idle_sibling) < np.abs(power - own))
            )
        return np.where(nearer, idle_sibling, own)

    def _predict_cells(self, keys: np.ndarray, power: np.ndarray) -> np.ndarray:
        """Healthy power of each row's cell ``keys`` and level (NaN where not learnt)."""
        out = np.full(len(keys), np.nan)
        for key, (threshold, levels) in self.cells.items():
            in_cell = keys == key
            for v, (kwh, h) in enumerate(levels):
                if h < MIN_CELL_HOURS:
                    continue
                sel = in_cell if threshold is None else in_cell & ((power >= threshold) == bool(v))
                out[sel] = kwh / h
        return out

    def to_dict(self) -> dict:
        return {
            "version": MODEL_VERSION,
            "cells": {
                str(k): {"threshold_kw": thr, "levels": [list(x) for x in lv], "low_kw": self.lows.get(k)}
                for k, (thr, lv) in self.cells.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict) -> HealthyPowerModel:
        cells = data.get("cells", {})
        return cls(
            {
                int(k): (v["threshold_kw"], [(float(a), float(b)) for a, b in v["levels"]])
                for k, v in cells.items()
            },
            {int(k): float(v["low_kw"]) for k, v in cells.items() if v.get("low_kw") is not None},
        )
