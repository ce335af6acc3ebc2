"""Vectorised JSON-lines formatting: build each line as bytes columns in numpy.

Every field becomes a fixed-width uint8 column in which unused positions hold PAD (0);
a block of lines is the horizontal concatenation of constant key segments and value
columns, and dropping every PAD byte leaves compact JSON. Numbers are written with a
fixed number of decimals (like "%.2f", rounding half to even on the scaled value),
strings must be plain ASCII without characters that JSON escapes (asset ids are, by
the contract's pattern).
"""

from __future__ import annotations

import math

import numpy as np

PAD = 0


def int_digits_for(lo: float, hi: float) -> int:
    biggest = max(abs(lo), abs(hi))
    return max(1, len(str(math.floor(biggest))))


def fixed_decimal_width(decimals: int, int_digits: int) -> int:
    return 1 + int_digits + (1 + decimals if decimals else 0)


def fixed_decimal(
    values: np.ndarray, decimals: int, int_digits: int, out: np.ndarray | None = None
) -> np.ndarray:
    """(E,) floats -> (E, 1 + int_digits + [1 + decimals]) bytes, PAD-padded on the left.

    Values must satisfy |v| < 10**int_digits after rounding (callers clip to the contract).
    Writes into `out` (a column slice of a line matrix) when given.
    """
    v = np.asarray(values, dtype=np.float64)
    e = v.shape[0]
    width = fixed_decimal_width(decimals, int_digits)
    nd = int_digits + decimals
    itype = np.int32 if nd <= 9 else np.int64
    scaled: np.ndarray = np.rint(v * 10.0**decimals).astype(itype)
    neg = scaled < 0
    q = np.abs(scaled)
    mag = q.copy()
    t = np.empty((width, e), dtype=np.uint8)  # column-major while filling: contiguous rows
    # digit columns right to left: decimals, then the integer part
    cols = list(range(width - 1, width - 1 - decimals, -1)) + list(range(int_digits, 0, -1))
    digit = np.empty(e, dtype=itype)
    for col in cols:
        np.remainder(q, 10, out=digit)
        np.add(digit, 48, out=t[col], casting="unsafe")
        q //= 10
    if decimals:
        t[1 + int_digits] = ord(".")
    t[0] = PAD
    n_lead = np.zeros(e, dtype=np.int8)
    for j in range(int_digits - 1):  # never blank the last integer digit
        lead = mag < 10 ** (nd - 1 - j)
        t[1 + j][lead] = PAD
        n_lead += lead
    if out is None:
        out = np.empty((e, width), dtype=np.uint8)
    out[...] = t.T
    rows = np.flatnonzero(neg)
    if rows.size:
        out[rows, n_lead[rows]] = ord("-")
    return out


def text_table(strings: list[str]) -> np.ndarray:
    """N strings -> (N, max_len) bytes, PAD-padded on the right."""
    enc = [s.encode("ascii") for s in strings]
    width = max((len(b) for b in enc), default=0) or 1
    out = np.zeros((len(enc), width), dtype=np.uint8)
    for i, b in enumerate(enc):
        out[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    return out


class Decimal:
    """A number column to be formatted straight into the line matrix."""

    __slots__ = ("decimals", "int_digits", "values")

    def __init__(self, values: np.ndarray, decimals: int, int_digits: int):
        self.values, self.decimals, self.int_digits = values, decimals, int_digits

    @property
    def width(self) -> int:
        return fixed_decimal_width(self.decimals, self.int_digits)


def assemble(parts: list[bytes | str | np.ndarray | Decimal], n: int) -> bytes:
    """Lay the parts side by side into n lines and drop the padding; returns bytes."""
    return assemble_array(parts, n).tobytes()


def assemble_array(parts: list[bytes | str | np.ndarray | Decimal], n: int) -> np.ndarray:
    """Like `assemble`, returning a 1-D uint8 array (writable to a file without a copy).

    A part is a constant (str/bytes, the same on every line), an (n, w) byte array, or a
    Decimal column.
    """
    norm: list[tuple[np.ndarray | Decimal, int]] = []
    for p in parts:
        if isinstance(p, str):
            p = p.encode()
        if isinstance(p, bytes):
            norm.append((np.frombuffer(p, dtype=np.uint8), len(p)))
        elif isinstance(p, Decimal):
            norm.append((p, p.width))
        else:
            norm.append((p, p.shape[1]))
    mat = np.empty((n, sum(w for _, w in norm)), dtype=np.uint8)
    col = 0
    for p, w in norm:
        view = mat[:, col : col + w]
        if isinstance(p, Decimal):
            view[...] = fixed_decimal(p.values, p.decimals, p.int_digits)  # contiguous, then one copy
        else:
            view[...] = p
        col += w
    flat = mat.reshape(-1)
    return flat[flat != PAD]
