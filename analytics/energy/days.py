"""Site-local daily rollups: one asset's day in one packed value (pure numpy, no Django).

A year by day from hourly rollups means 8 760 packed hours of twenty floats each. Most of those
floats are only ever summed per day; only ``kwh`` and ``kvah`` are needed block by block (the
time-of-day slot of each block, the 30-minute maximum demand, coincident over a site's
assets). A daily point therefore carries the day's sum of every quantity of §18.2, the day's
``kwh`` and ``kvah`` per block, and which blocks have data (for the load factor's ``n_data``):
from it the ledger and the day and month buckets are computed exactly as from the hours
(docs/CONTRACTS.md §18.3a).

Packed layout (``DAY_FIELD``, base64): little-endian float64 ``hours`` (the number of hourly
rollup points the day was computed from), the ten day sums in ``QUANTITIES`` order, ``kwh`` of
each block of the day in time order, ``kvah`` of each block, then a little-endian uint64 whose
bit ``i`` is set when block ``i`` of the day has data (``covered_s > 0``). A site-local day
holds 46 to 50 blocks (48 without a daylight-saving change), so the length gives the count.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import numpy as np

from .blocks import QUANTITIES, Blocks
from .calendar import SiteCalendar

DAY_FIELD = "day_b64"
_HEAD = 1 + len(QUANTITIES)


@dataclass
class DayForm:
    """One or more assets' quantities over whole site-local days ``edges[i] .. edges[i+1]``
    (block numbers): ``kwh``/``kvah``/``has_data`` per block of ``[edges[0], edges[-1])`` and
    ``cells``: every quantity summed per day."""

    edges: np.ndarray
    kwh: np.ndarray
    kvah: np.ndarray
    has_data: np.ndarray
    cells: dict[str, np.ndarray]

    @property
    def first(self) -> int:
        return int(self.edges[0])

    @classmethod
    def zeros(cls, edges: np.ndarray) -> DayForm:
        n, days = int(edges[-1] - edges[0]), len(edges) - 1
        return cls(
            edges, np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool), {q: np.zeros(days) for q in QUANTITIES}
        )

    def add(self, other: DayForm) -> None:
        """Add another asset's days (same edges) in place: a site's sum."""
        self.kwh += other.kwh
        self.kvah += other.kvah
        self.has_data |= other.has_data
        for q in QUANTITIES:
            self.cells[q] += other.cells[q]

    def blocks(self) -> Blocks:
        """The per-block part the ledger bills: ``kwh`` and ``kvah``."""
        return Blocks(self.first, {"kwh": self.kwh, "kvah": self.kvah})


def day_edges(calendar: SiteCalendar, first: int, end: int) -> np.ndarray:
    """Block numbers where the site-local days of blocks [first, end) start, then ``end``.
    ``first`` and ``end`` must be local midnights (ValueError otherwise)."""
    index = np.arange(first, end, dtype=np.int64)
    day = calendar.attributes(index).day
    if index.size and calendar.local_midnight_block_of_day(int(day[0])) != first:
        raise ValueError("day rollups need a range that starts at a site-local midnight")
    if index.size and calendar.local_midnight_block_of_day(int(day[-1]) + 1) != end:
        raise ValueError("day rollups need a range that ends at a site-local midnight")
    cuts = np.flatnonzero(day[1:] != day[:-1]) + 1
    return np.concatenate([[first], first + cuts, [end]]).astype(np.int64)


def day_form(blocks: Blocks, edges: np.ndarray) -> DayForm:
    """The days ``edges`` of per-block quantities (every quantity of §18.2) that cover them."""
    lo, hi = int(edges[0]) - blocks.first, int(edges[-1]) - blocks.first
    if lo < 0 or hi > blocks.n:
        raise ValueError("the blocks do not cover the days")
    starts = edges[:-1] - edges[0]
    cells = {}
    for q in QUANTITIES:
        values = blocks.values[q][lo:hi]
        cells[q] = np.array([values[a:b].sum() for a, b in zip(starts, edges[1:] - edges[0], strict=True)])
    return DayForm(
        edges=edges,
        kwh=blocks.values["kwh"][lo:hi].copy(),
        kvah=blocks.values["kvah"][lo:hi].copy(),
        has_data=blocks.values["covered_s"][lo:hi] > 0,
        cells=cells,
    )


def day_packed(blocks: Blocks, lo: int, hi: int, hours: int) -> str:
    """``DAY_FIELD`` of the day of blocks [lo, hi) (block numbers, inside ``blocks``), computed
    from ``hours`` hourly rollup points. Each sum runs over the day's blocks in time order, so
    a day recomputed from the same blocks is bit-identical."""
    a, b = lo - blocks.first, hi - blocks.first
    head = [float(hours)] + [float(blocks.values[q][a:b].sum()) for q in QUANTITIES]
    floats = np.concatenate([head, blocks.values["kwh"][a:b], blocks.values["kvah"][a:b]]).astype("<f8")
    mask = 0
    for i, covered in enumerate(blocks.values["covered_s"][a:b].tolist()):
        if covered > 0:
            mask |= 1 << i
    raw = floats.tobytes() + np.array([mask], dtype="<u8").tobytes()
    return base64.b64encode(raw).decode("ascii")


def days_from_packed(edges: np.ndarray, day_starts: list[int], packed: list) -> tuple[DayForm, int]:
    """The days ``edges`` from daily points (their first blocks and ``DAY_FIELD`` values), and
    the number of hourly points they were computed from. Days without a point are 0. Raises
    ValueError on a point that does not start one of the days or does not fit its length."""
    out = DayForm.zeros(edges)
    if not day_starts:
        return out, 0
    index = np.searchsorted(edges[:-1], np.asarray(day_starts, dtype=np.int64))
    index = np.minimum(index, len(edges) - 2)
    bad = edges[index] != np.asarray(day_starts, dtype=np.int64)
    if bad.any():
        raise ValueError(
            f"a daily point at block {day_starts[int(np.argmax(bad))]} does not start a site-local day"
        )
    try:
        raws = [binascii.a2b_base64(text, strict_mode=True) for text in packed]
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"{DAY_FIELD} is not base64: {exc}") from exc
    lengths = (edges[index + 1] - edges[index]).astype(np.int64)
    hours = 0
    # days of one length are decoded together (all of them but around a daylight-saving change)
    for n in np.unique(lengths).tolist():
        which = np.flatnonzero(lengths == n)
        size = 8 * (_HEAD + 2 * n) + 8
        if any(len(raws[i]) != size for i in which.tolist()):
            raise ValueError(f"{DAY_FIELD} of a {n}-block day must hold {_HEAD + 2 * n} float64 and a mask")
        table = np.frombuffer(b"".join(raws[i] for i in which.tolist()), dtype=np.uint8).reshape(
            which.size, size
        )
        floats = table[:, : size - 8].copy().view("<f8")
        masks = table[:, size - 8 :].copy().view("<u8")[:, 0]
        days = index[which]
        hours += int(floats[:, 0].sum())
        for k, q in enumerate(QUANTITIES):
            out.cells[q][days] = floats[:, 1 + k]
        at = (edges[days] - edges[0])[:, None] + np.arange(n)
        out.kwh[at] = floats[:, _HEAD : _HEAD + n]
        out.kvah[at] = floats[:, _HEAD + n :]
        out.has_data[at] = ((masks[:, None] >> np.arange(n, dtype=np.uint64)) & np.uint64(1)) == 1
    return out, hours
