"""Derived electrical signals (docs/CONTRACTS.md, "Derived signals"). No Django: pure math.

Single-phase: S = V x I. Three-phase (balanced, V line-to-line): S = sqrt(3) x V x I.
P = S x PF, Q = S x sqrt(1 - PF^2). All in kVA / kW / kvar.
"""

from __future__ import annotations

import math

SQRT3 = math.sqrt(3.0)


def derived_signals(
    *, voltage_v: float, current_a: float, power_factor: float, three_phase: bool
) -> dict[str, float]:
    apparent_kva = (SQRT3 if three_phase else 1.0) * voltage_v * current_a / 1000.0
    return {
        "apparent_power_kva": apparent_kva,
        "power_kw": apparent_kva * power_factor,
        "reactive_power_kvar": apparent_kva * math.sqrt(max(0.0, 1.0 - power_factor * power_factor)),
    }
