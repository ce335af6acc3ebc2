"""Display formats of report numbers (docs/CONTRACTS.md §14.2). Pure: imports no Django.

The PDF prints every number through `fmt`; the Excel file keeps full precision and uses the same
decimals as its number formats, so both show what the dashboard shows.
"""

from __future__ import annotations

from datetime import UTC, datetime

# decimals per quantity (§14.2; money, CO2 and hours as added in §16.3)
DECIMALS = {
    "kwh": 1,
    "kvah": 1,
    "kvarh": 1,
    "kw": 2,
    "kva": 2,
    "kvar": 2,
    "pf": 3,
    "score": 3,
    "health": 0,
    "days": 1,
    "min": 1,
    "h": 1,
    "pct": 1,
    "inr": 2,
    "t": 3,
    "mm_s": 2,
    "c": 1,
    "v": 1,
    "a": 1,
    "hz": 3,
    "count": 0,
}
UNITS = {
    "kwh": "kWh",
    "kvah": "kVAh",
    "kvarh": "kvarh",
    "kw": "kW",
    "kva": "kVA",
    "kvar": "kvar",
    "pf": "",
    "score": "",
    "health": "",
    "days": "days",
    "min": "min",
    "h": "h",
    "pct": "%",
    "inr": "INR",
    "t": "t",
    "mm_s": "mm/s",
    "c": "°C",
    "v": "V",
    "a": "A",
    "hz": "Hz",
    "count": "",
}
# units of the factors' `unit` field (§13.3) to their quantity
FACTOR_UNITS = {
    "score": "score",
    "mm/s": "mm_s",
    "°C": "c",
    "V": "v",
    "Hz": "hz",
    "1": "pf",
    "A": "a",
    "K": "c",
}


def fmt(value: float | int | None, kind: str, *, signed: bool = False) -> str:
    """`format(value, ".Nf")` with N of the quantity; "" for None (no data is an empty cell)."""
    if value is None:
        return ""
    n = DECIMALS[kind]
    text = format(float(value), f"{'+' if signed else ''}.{n}f")
    if text in ("-0", "+0", "-0.0", "-0.00", "-0.000") or (text.startswith("-") and float(text) == 0):
        text = text.replace("-", "+" if signed else "", 1)
    return text


def excel_format(kind: str) -> str:
    """The Excel number format showing the same decimals as `fmt` (the cell keeps full precision)."""
    n = DECIMALS[kind]
    return "0" if n == 0 else "0." + "0" * n


def change_pct(current: float | None, previous: float | None) -> float | None:
    """Change against the previous period in % (None when either is missing or previous is 0)."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100.0


def rfc3339(t: datetime | None) -> str:
    """UTC RFC 3339 with `Z`; the fraction only when non-zero (CONTRACTS conventions)."""
    if t is None:
        return ""
    t = t.astimezone(UTC)
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        text += f".{t.microsecond:06d}"
    return text + "Z"
