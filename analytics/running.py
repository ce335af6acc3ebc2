"""Whether a machine is running at a reading: one pure rule for every consumer (no Django).

A reading is *running* when the machine draws at least ``RUNNING_CURRENT_FRACTION`` (10 %) of its
rated current and, when the optional ``rpm`` is reported, the shaft turns (``rpm > 0``).  Why
current: it is a required field of every event (docs/CONTRACTS.md §1.1), while ``rpm`` is optional.
An energised induction motor draws at least its magnetising current even unloaded, typically
20-50 % of rated (the digital twin: 32 % three-phase, 45 % single-phase); a stopped one draws none.
10 % sits well below the no-load current and well above a current transformer's zero offset.  A
coasting shaft (rpm > 0, no current) is not running: it is not driven, and its vibration is not the
machine's operating signature.  Used by the RUL's hourly vibration medians (docs/CONTRACTS.md §11.1).
"""

from __future__ import annotations

import math

import numpy as np

RUNNING_CURRENT_FRACTION = 0.10
_REL_EPS = 1e-12  # the limit itself counts as running despite binary rounding (0.1 x 28 A)


def _limit(rated_current_a: float) -> float:
    return RUNNING_CURRENT_FRACTION * rated_current_a * (1.0 - _REL_EPS)


def is_running(*, current_a: float | None, rated_current_a: float, rpm: float | None = None) -> bool:
    """One reading; a missing or non-finite current is not running (nothing says it is)."""
    if current_a is None or not math.isfinite(current_a) or not rated_current_a > 0:
        return False
    if rpm is not None and math.isfinite(rpm) and not rpm > 0:
        return False
    return current_a >= _limit(rated_current_a)


def running_mask(current_a: np.ndarray, rated_current_a: float, rpm: np.ndarray | None = None) -> np.ndarray:
    """Vectorised ``is_running``: ``current_a`` and ``rpm`` are float arrays with NaN for missing
    (a NaN rpm means "not reported" and does not decide)."""
    cur = np.asarray(current_a, dtype=np.float64)
    if not rated_current_a > 0:
        return np.zeros(cur.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        run = np.isfinite(cur) & (cur >= _limit(rated_current_a))
        if rpm is not None:
            r = np.asarray(rpm, dtype=np.float64)
            run &= ~(np.isfinite(r) & ~(r > 0))
    return run
