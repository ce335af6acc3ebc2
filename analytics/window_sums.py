"""Canonical window sums over one asset's sorted event times (pure numpy, no Django).

A window ``(t - W, t]`` is split at the epoch-aligned block boundary ``floor(t / W) * W`` into the
tail of the previous block (rows ``> t - W``) and the head of the current block (rows ``<= t``);
each part is accumulated sequentially from its own block start.  The floating-point result
therefore depends only on the data in the two blocks, never on where the input frame starts:
recomputation is bit-identical and an incremental computation equals the computation over the
whole series (the property ``analytics.features`` promises for every rolling column).

The sums are computed per row chunk (``ROW_CHUNK`` rows): a dozen full-length index arrays for
every window width cost more in page faults than in arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

ROW_CHUNK = 8192


@dataclass(frozen=True)
class WindowRows:
    """Per-row window bounds of a row chunk (see :meth:`Blocks.rows`)."""

    seg: np.ndarray  # block of the row
    prev_seg: np.ndarray  # the block before it (0 for the first)
    row_seg_start: np.ndarray  # first row of the row's block
    row_prev_seg_start: np.ndarray  # first row of the block before
    left_lo: np.ndarray  # first row of the previous block inside (t - W, t]
    has_left: np.ndarray  # the window reaches into the previous block
    prev_last: np.ndarray  # last row of the previous block (its total)
    before_idx: np.ndarray  # last row before left_lo (its prefix is subtracted)
    before_mask: np.ndarray  # 1.0 when that prefix lies in the previous block
    has_left_f: np.ndarray
    excl_idx: np.ndarray | None = None  # the row before (the window without the row itself)
    excl_mask: np.ndarray | None = None  # 1.0 unless the row starts its block


class Blocks:
    """Epoch-aligned blocks of width W over sorted times, plus the two-part window bounds.

    For row i (time t in block k = floor(t/W)), the window (t-W, t] is the union of the
    rows of block k-1 with time > t-W (``left``: rows [left_lo, seg_start)) and the rows of
    block k up to i (``right``: rows [seg_start, i]).
    """

    def __init__(self, t: np.ndarray, width_ns: int) -> None:
        n = t.size
        self.t = t
        self.width_ns = width_ns
        codes = np.floor_divide(t, width_ns)
        change = np.empty(n, dtype=bool)
        change[:1] = True
        np.not_equal(codes[1:], codes[:-1], out=change[1:])
        self.n = n
        self.seg_starts = np.flatnonzero(change)
        self.n_seg = self.seg_starts.size
        self.seg_ends = np.append(self.seg_starts[1:], n)
        self.seg_lengths = self.seg_ends - self.seg_starts
        seg_codes = codes[self.seg_starts]
        self.prev_present = np.zeros(self.n_seg, dtype=bool)
        self.prev_present[1:] = seg_codes[1:] == seg_codes[:-1] + 1
        self.prev_start_seg = np.zeros(self.n_seg, dtype=np.int64)
        self.prev_start_seg[1:] = self.seg_starts[:-1]
        # the only full-length index arrays (int32 is enough for one asset's frame)
        self.seg_id = (np.cumsum(change, dtype=np.int32) - 1) if n < 2**31 else np.cumsum(change) - 1
        self.first_in_window = np.searchsorted(t, t - width_ns, side="right").astype(self.seg_id.dtype)

    def rows(self, lo: int, hi: int, exclusive: bool = False) -> WindowRows:
        """Window bounds of rows [lo, hi).  Computed per row chunk: a dozen full-length index
        arrays for every window width cost more in page faults than in arithmetic."""
        seg = self.seg_id[lo:hi]
        row_seg_start = self.seg_starts[seg]
        row_prev_seg_start = self.prev_start_seg[seg]
        j = self.first_in_window[lo:hi]  # first row with time > t - W
        left_lo = np.where(self.prev_present[seg], j, row_seg_start)
        has_left = left_lo < row_seg_start
        return WindowRows(
            seg=seg,
            prev_seg=np.maximum(seg - 1, 0),
            row_seg_start=row_seg_start,
            row_prev_seg_start=row_prev_seg_start,
            left_lo=left_lo,
            has_left=has_left,
            prev_last=np.maximum(row_seg_start - 1, 0),
            before_idx=np.maximum(left_lo - 1, 0),
            before_mask=(left_lo > row_prev_seg_start).astype(np.float64),
            has_left_f=has_left.astype(np.float64),
            **(self._exclusive(lo, hi, row_seg_start) if exclusive else {}),
        )

    @staticmethod
    def _exclusive(lo: int, hi: int, row_seg_start: np.ndarray) -> dict[str, np.ndarray]:
        idx = np.arange(lo, hi)
        return {"excl_idx": np.maximum(idx - 1, 0), "excl_mask": (idx != row_seg_start).astype(np.float64)}

    def segmented_cumsum(self, vals: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Inclusive cumsum along axis 1 restarted at every block start (in place when out is vals).

        Each block is accumulated sequentially from its own first row, so the result only
        depends on the block's data.  Consecutive blocks of equal length are processed in
        one reshaped call.
        """
        c = vals.shape[0]
        if out is None:
            out = np.empty_like(vals)
        lengths = self.seg_ends - self.seg_starts
        run_change = np.empty(self.n_seg, dtype=bool)
        run_change[:1] = True
        np.not_equal(lengths[1:], lengths[:-1], out=run_change[1:])
        run_starts = np.flatnonzero(run_change)
        run_ends = np.append(run_starts[1:], self.n_seg)
        for a, b in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
            length = int(lengths[a])
            lo = int(self.seg_starts[a])
            hi = lo + (b - a) * length
            src = vals[:, lo:hi].reshape(c, b - a, length)
            dst = out[:, lo:hi].reshape(c, b - a, length)
            if np.shares_memory(dst, out):
                np.cumsum(src, axis=2, out=dst)
            else:  # reshape had to copy (cannot happen for 2-D row slices, kept for safety)
                out[:, lo:hi] = np.cumsum(src, axis=2).reshape(c, hi - lo)
        return out

    def first_finite(self, x: np.ndarray) -> np.ndarray:
        """Per block and channel: the first finite value of the block (0 if none); x is (m, n)."""
        n = x.shape[1]
        c = x[:, self.seg_starts]
        bad_ch = np.flatnonzero(~np.isfinite(c).all(axis=1))
        for ch in bad_ch:  # slow path only for channels with a non-finite block start
            row = x[ch]
            pos = np.where(np.isfinite(row), np.arange(n), n)
            first = np.minimum.reduceat(pos, self.seg_starts)
            rp = np.append(row, 0.0)
            c[ch] = rp[first]
        return np.where(np.isfinite(c), c, 0.0)  # (m, n_seg)


def prefix_sums(
    blocks: Blocks, x: np.ndarray, shift_seg: np.ndarray, buf: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Per-block inclusive prefix sums, stacked as [counts (g rows), x - shift (m), (x - shift)^2 (m)].

    Channels without missing values share one count row; ``cnt_map[ch]`` is the count row
    of channel ``ch``.  Returns (cum, cnt_map).
    """
    m, n = x.shape
    finite = np.isfinite(x)
    complete = finite.all(axis=1)
    gaps = np.flatnonzero(~complete)
    g = len(gaps) + (1 if complete.any() else 0)
    cnt_map = np.zeros(m, dtype=np.intp)
    cnt_map[gaps] = np.arange(len(gaps)) + (1 if complete.any() else 0)
    if buf is None or buf.shape[0] < g + 2 * m:
        buf = np.empty((g + 2 * m, n))
    cum = buf[: g + 2 * m]
    v, q = cum[g : g + m], cum[g + m :]
    for lo in range(0, n, ROW_CHUNK):  # chunked: no full-size temporaries
        hi = min(lo + ROW_CHUNK, n)
        np.subtract(x[:, lo:hi], np.take(shift_seg, blocks.seg_id[lo:hi], axis=1), out=v[:, lo:hi])
    v[~finite] = 0.0
    np.multiply(v, v, out=q)
    if complete.any():
        cum[0] = 1.0
    cum[1 if complete.any() else 0 : g] = finite[gaps]
    return blocks.segmented_cumsum(cum, out=cum), cnt_map


def _left_part(rows: WindowRows, cum: np.ndarray) -> np.ndarray:
    """Sums over the previous block's rows inside the window, for a row chunk: (C, rows)."""
    left = np.take(cum, rows.prev_last, axis=1)  # previous block total
    before = np.take(cum, rows.before_idx, axis=1)  # its prefix before left_lo
    before *= rows.before_mask
    left -= before
    left *= rows.has_left_f
    return left


def _combine_stats(
    left: np.ndarray, right: np.ndarray, cl: np.ndarray, cr: np.ndarray, cnt_map: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, sample std) of left + right parts, each given as stacked [counts, s, q]
    sums of values shifted by ``cl`` / ``cr`` (see prefix_sums).  The right shift is only
    used when the right part is non-empty (it is then a value at or before the row)."""
    m = cnt_map.size
    g = left.shape[0] - 2 * m
    nl, sl, ql = np.take(left, cnt_map, axis=0), left[g : g + m], left[g + m :]
    nr, sr, qr = np.take(right, cnt_map, axis=0), right[g : g + m], right[g + m :]
    use_r = nr > 0
    ref = np.where(use_r, cr, cl)
    d = np.where(use_r, cl - cr, 0.0)
    nn = nl + nr
    s = nl * d
    s += sl
    s += sr
    q = 2.0 * d
    q *= sl
    d *= d
    d *= nl
    q += d
    q += ql
    q += qr
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = 1.0 / nn
        mean = s * inv
        mean += ref
        s *= s
        s *= inv
        q -= s
        np.maximum(q, 0.0, out=q)
        nn1 = nn - 1.0
        q /= nn1
        std = np.sqrt(q, out=q)
    mean[nn == 0] = np.nan
    std[nn < 2] = np.nan
    return nn, mean, std


#: (count, mean, sample std) per channel and row
Stats = tuple[np.ndarray, np.ndarray, np.ndarray]


@overload
def window_stats(
    blocks: Blocks,
    cum: np.ndarray,
    cnt_map: np.ndarray,
    shift_seg: np.ndarray,
    lo: int,
    hi: int,
    with_exclusive: Literal[False] = False,
) -> Stats: ...


@overload
def window_stats(
    blocks: Blocks,
    cum: np.ndarray,
    cnt_map: np.ndarray,
    shift_seg: np.ndarray,
    lo: int,
    hi: int,
    with_exclusive: Literal[True],
) -> tuple[Stats, Stats]: ...


def window_stats(
    blocks: Blocks,
    cum: np.ndarray,
    cnt_map: np.ndarray,
    shift_seg: np.ndarray,
    lo: int,
    hi: int,
    with_exclusive: bool = False,
) -> Stats | tuple[Stats, Stats]:
    """(count, mean, std) over (t - W, t] for rows [lo, hi), and optionally the same over
    (t - W, t) without the row itself (previous-window statistics for the spike test)."""
    rows = blocks.rows(lo, hi, exclusive=with_exclusive)
    left = _left_part(rows, cum)
    cr = np.take(shift_seg, rows.seg, axis=1)
    cl = np.take(shift_seg, rows.prev_seg, axis=1)
    incl = _combine_stats(left, cum[:, lo:hi], cl, cr, cnt_map)
    if not with_exclusive:
        return incl
    assert rows.excl_idx is not None and rows.excl_mask is not None  # rows(..., exclusive=True)
    right_x = np.take(cum, rows.excl_idx, axis=1)
    right_x *= rows.excl_mask
    return incl, _combine_stats(left, right_x, cl, cr, cnt_map)


def window_sum(blocks: Blocks, x: np.ndarray, first: int = 0) -> np.ndarray:
    """Sum of the finite values of a 1-D series over (t - W, t] for the rows [first:]; NaN when
    the window has none."""
    finite = np.isfinite(x)
    cum = blocks.segmented_cumsum(np.stack([finite.astype(np.float64), np.where(finite, x, 0.0)]))
    out = np.empty(x.size - first)
    for lo in range(first, x.size, ROW_CHUNK):
        hi = min(lo + ROW_CHUNK, x.size)
        rows = blocks.rows(lo, hi)
        tot_prev = cum[:, rows.prev_last]
        before = cum[:, rows.before_idx]
        before[:, rows.left_lo <= rows.row_prev_seg_start] = 0.0
        left = tot_prev - before
        left[:, ~rows.has_left] = 0.0
        cnt = left[0] + cum[0, lo:hi]
        out[lo - first : hi - first] = np.where(cnt > 0, left[1] + cum[1, lo:hi], np.nan)
    return out
