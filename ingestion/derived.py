"""Derived electrical signals (docs/CONTRACTS.md, "Derived signals"). No Django: pure math.

Single-phase: S = V x I. Three-phase (balanced, V line-to-line): S = sqrt(3) x V x I.
P = S x PF, Q = S x sqrt(1 - PF^2). All in kVA / kW / kvar.
"""

from __future__ import annotations

import math

SQRT3 = math.sqrt(3.0)
# The stored field names, in the order `derived_values` returns them.
DERIVED_FIELDS = ("apparent_power_kva", "power_kw", "reactive_power_kvar")


def derived_values(
    voltage_v: float, current_a: float, power_factor: float, three_phase: bool
) -> tuple[float, float, float]:
    """(apparent_power_kva, power_kw, reactive_power_kvar): the formula, positional and
    without a dict, because ingest calls it once per event."""
    apparent_kva = (SQRT3 if three_phase else 1.0) * voltage_v * current_a / 1000.0
    return (
        apparent_kva,
        apparent_kva * power_factor,
        apparent_kva * math.sqrt(max(0.0, 1.0 - power_factor * power_factor)),
    )


def derived_signals(
    *, voltage_v: float, current_a: float, power_factor: float, three_phase: bool
) -> dict[str, float]:
    return dict(
        zip(DERIVED_FIELDS, derived_values(voltage_v, current_a, power_factor, three_phase), strict=True)
    )
