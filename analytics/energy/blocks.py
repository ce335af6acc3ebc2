"""Energy of one asset per 30-minute block, from its events (pure numpy, no Django).

Between two consecutive events the platform knows power only at the two ends; like the
feature ``energy_kwh`` (docs/CONTRACTS.md §6.4) it takes power as linear in between (the
trapezoid rule) and integrates nothing over an interval the features marked as a gap
(``energy_gap_s > 0``). An interval that crosses a block boundary is split there, each part
integrating the same straight line, so block sums never depend on where events fall and a
period's energy is the same however it is cut into blocks (§18.2).

Each interval takes the state of the event that closes it (running, idle), as the reports
do (§16.1). Every block sum is accumulated in time order from that block's own intervals, so
recomputing a block from the same events gives bit-identical numbers whatever range the
computation covered: the order in which batches arrive never changes a rollup.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import numpy as np

from .calendar import BLOCK_S

NS_PER_S = 1_000_000_000
BLOCK_NS = BLOCK_S * NS_PER_S
NS_PER_HOUR = 3600 * NS_PER_S

#: the per-block quantities, in the order rollup points carry them (§18.3)
QUANTITIES = (
    "kwh",
    "kvah",
    "kvarh",
    "covered_s",
    "running_s",
    "idle_s",
    "idle_kwh",
    "model_s",
    "model_kwh",
    "healthy_kwh",
)
HALVES = ("m00", "m30")
ROLLUP_FIELDS = tuple(f"{q}_{h}" for q in QUANTITIES for h in HALVES)
#: the same 20 values packed in one string field: base64 of little-endian float64 in
#: ROLLUP_FIELDS order. Reading one field instead of twenty is what makes a year of hours fast
#: (InfluxDB merges one cursor per field); the bytes are the floats themselves, so nothing is
#: rounded on the way.
PACKED_FIELD = "blocks_b64"
_PACKED_BYTES = 8 * len(ROLLUP_FIELDS)


@dataclass(frozen=True)
class IntervalInput:
    """One asset's events in time order; row 0 may be a predecessor that only opens the first
    interval. ``gap[i]``: the interval closing at row i is a gap (not integrated);
    ``healthy_kw[i]``: the healthy model's power for the interval closing at row i (NaN when
    the model has no prediction there)."""

    t_ns: np.ndarray
    power_kw: np.ndarray
    apparent_kva: np.ndarray
    reactive_kvar: np.ndarray
    gap: np.ndarray
    running: np.ndarray
    idle: np.ndarray
    healthy_kw: np.ndarray


@dataclass(frozen=True)
class Blocks:
    """Per-block sums: ``first`` is the block number of position 0, one value per quantity
    per block in ``[first, first + n)``."""

    first: int
    values: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values())))

    @classmethod
    def zeros(cls, first: int, n: int) -> Blocks:
        return cls(first, {q: np.zeros(n) for q in QUANTITIES})


def integrate(data: IntervalInput, first_block: int, n_blocks: int) -> Blocks:
    """Sums of every quantity over the blocks ``[first_block, first_block + n_blocks)``.

    Only the parts of intervals inside that range count; blocks without data are 0.
    """
    out = Blocks.zeros(first_block, n_blocks)
    t = np.asarray(data.t_ns, dtype=np.int64)
    if t.size < 2 or n_blocks <= 0:
        return out
    p = np.asarray(data.power_kw, dtype=np.float64)
    s = np.asarray(data.apparent_kva, dtype=np.float64)
    q = np.asarray(data.reactive_kvar, dtype=np.float64)
    close = np.arange(1, t.size)
    t0, t1 = t[:-1], t[1:]
    ok = (
        ~np.asarray(data.gap, dtype=bool)[1:]
        & (t1 > t0)
        & np.isfinite(p[:-1])
        & np.isfinite(p[1:])
        & np.isfinite(s[:-1])
        & np.isfinite(s[1:])
        & np.isfinite(q[:-1])
        & np.isfinite(q[1:])
    )
    lo_ns, hi_ns = first_block * BLOCK_NS, (first_block + n_blocks) * BLOCK_NS
    ok &= (t1 > lo_ns) & (t0 < hi_ns)
    if not ok.any():
        return out
    close, t0, t1 = close[ok], t0[ok], t1[ok]
    k0 = np.maximum(t0 // BLOCK_NS, first_block)
    k1 = np.minimum((t1 - 1) // BLOCK_NS, first_block + n_blocks - 1)
    pieces = k1 - k0 + 1
    owner = np.repeat(np.arange(close.size), pieces)
    step = np.arange(owner.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    block = k0[owner] + step
    a0, a1 = t0[owner], t1[owner]
    a = np.maximum(a0, block * BLOCK_NS)
    b = np.minimum(a1, (block + 1) * BLOCK_NS)
    span = (a1 - a0).astype(np.float64)
    frac_a = (a - a0) / span
    frac_b = (b - a0) / span
    at_start, at_end = a == a0, b == a1
    hours = (b - a) / NS_PER_HOUR
    rows = close[owner]

    def integral(x: np.ndarray) -> np.ndarray:
        x0, x1 = x[rows - 1], x[rows]
        xa = np.where(at_start, x0, x0 + (x1 - x0) * frac_a)
        xb = np.where(at_end, x1, x0 + (x1 - x0) * frac_b)
        return (xa + xb) / 2.0 * hours

    kwh = integral(p)
    running = np.asarray(data.running, dtype=bool)
    idle = np.asarray(data.idle, dtype=bool) & running
    healthy = np.asarray(data.healthy_kw, dtype=np.float64)[rows]
    modelled = running[rows] & running[rows - 1] & np.isfinite(healthy)
    seconds = (b - a) / NS_PER_S
    pieces_of = {
        "kwh": kwh,
        "kvah": integral(s),
        "kvarh": integral(q),
        "covered_s": seconds,
        "running_s": np.where(running[rows], seconds, 0.0),
        "idle_s": np.where(idle[rows], seconds, 0.0),
        "idle_kwh": np.where(idle[rows], kwh, 0.0),
        "model_s": np.where(modelled, seconds, 0.0),
        "model_kwh": np.where(modelled, kwh, 0.0),
        "healthy_kwh": np.where(modelled, np.nan_to_num(healthy) * hours, 0.0),
    }
    starts = np.flatnonzero(np.concatenate([[True], block[1:] != block[:-1]]))
    where = block[starts] - first_block
    for name, values in pieces_of.items():
        out.values[name][where] = np.add.reduceat(values, starts)
    return out


def hour_fields(blocks: Blocks, hour_position: int) -> dict[str, float]:
    """The rollup fields of the hour whose first block is at ``hour_position``."""
    fields: dict[str, float] = {}
    for q in QUANTITIES:
        values = blocks.values[q]
        fields[f"{q}_m00"] = float(values[hour_position])
        fields[f"{q}_m30"] = float(values[hour_position + 1])
    return fields


def hour_packed(blocks: Blocks, hour_position: int) -> str:
    """``PACKED_FIELD`` of the hour whose first block is at ``hour_position``."""
    values = np.array(
        [blocks.values[q][hour_position + half] for q in QUANTITIES for half in range(2)], dtype="<f8"
    )
    return base64.b64encode(values.tobytes()).decode("ascii")


def blocks_from_packed(first_block: int, n_blocks: int, hours: list[int], packed: list) -> Blocks:
    """Like ``blocks_from_hours`` from the hour numbers since the epoch and their
    ``PACKED_FIELD`` values: the same floats bit for bit. Raises ValueError on a value that is
    not 20 packed floats."""
    out = Blocks.zeros(first_block, n_blocks)
    if not hours:
        return out
    try:
        raw = [binascii.a2b_base64(text, strict_mode=True) for text in packed]
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"{PACKED_FIELD} is not base64: {exc}") from exc
    if any(len(one) != _PACKED_BYTES for one in raw):
        raise ValueError(f"{PACKED_FIELD} must hold {len(ROLLUP_FIELDS)} float64 values per hour")
    table = np.frombuffer(b"".join(raw), dtype="<f8").reshape(len(raw), len(QUANTITIES), 2)
    hour = np.asarray(hours, dtype=np.int64)
    for half in range(2):
        pos = hour * 2 + half - first_block
        keep = (pos >= 0) & (pos < n_blocks)
        for k, q in enumerate(QUANTITIES):
            out.values[q][pos[keep]] = table[keep, k, half]
    return out


def blocks_from_hours(first_block: int, n_blocks: int, hours: list[tuple[int, dict]]) -> Blocks:
    """Per-block arrays over ``[first_block, first_block + n_blocks)`` from rollup points given
    as (hour number since the epoch, fields); absent hours are 0."""
    out = Blocks.zeros(first_block, n_blocks)
    if not hours:
        return out
    hour = np.fromiter((h for h, _ in hours), dtype=np.int64, count=len(hours))
    for q in QUANTITIES:
        for half, name in enumerate(HALVES):
            key = f"{q}_{name}"
            pos = hour * 2 + half - first_block
            vals = np.fromiter((f.get(key, 0.0) for _, f in hours), dtype=np.float64, count=len(hours))
            keep = (pos >= 0) & (pos < n_blocks)
            out.values[q][pos[keep]] = vals[keep]
    return out
