"""Derived electrical signals (docs/CONTRACTS.md, "Derived signals"). No Django: pure math.

Single-phase: S = V x I. Three-phase (balanced, V line-to-line): S = sqrt(3) x V x I.
P = S x PF, Q = S x sqrt(1 - PF^2). All in kVA / kW / kvar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

SQRT3 = math.sqrt(3.0)


def derived_columns(
    *,
    voltage_v: Sequence[float],
    current_a: Sequence[float],
    power_factor: Sequence[float],
    three_phase: Sequence[bool],
) -> tuple[list[float], list[float], list[float]]:
    """(apparent_power_kva, power_kw, reactive_power_kvar) of many readings at once: the
    columns of `pdm_project.contract.DERIVED_SIGNALS`, in its order.

    Vectorised because ingest derives every event of a batch (a Python call per event was a
    tenth of a batch's CPU); numpy's float64 products, quotient and square root round exactly
    as Python's floats do, in the same order, so each value is the one the formula gives for
    that reading alone.
    """
    v = np.asarray(voltage_v, dtype=np.float64)
    i = np.asarray(current_a, dtype=np.float64)
    pf = np.asarray(power_factor, dtype=np.float64)
    apparent = np.where(np.asarray(three_phase, dtype=bool), SQRT3, 1.0) * v * i / 1000.0
    active = apparent * pf
    reactive = apparent * np.sqrt(np.maximum(0.0, 1.0 - pf * pf))
    return apparent.tolist(), active.tolist(), reactive.tolist()
