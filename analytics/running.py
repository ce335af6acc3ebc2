"""Whether a machine is running at a reading: one pure rule for every consumer (no Django).

A reading is *running* when the machine draws at least ``RUNNING_MIN_FRACTION`` (10 %) of its rated
current and, when the optional ``rpm`` is reported, turns at least 10 % of its rated speed.  Why
current: it is a required field of every event (docs/CONTRACTS.md §1.1), while ``rpm`` is optional.
An energised induction motor draws at least its magnetising current even unloaded, typically
20-50 % of rated (the digital twin: 32 % three-phase, 45 % single-phase); a stopped one draws none.
10 % sits well below the no-load current and well above a current transformer's zero offset.  A
shaft that is stopped or merely creeping (rpm below 10 % of rated) is not running, whatever the
current (a stalled rotor is not an operating state either).  Used by the RUL's hourly medians
(docs/CONTRACTS.md §11.1); the features' ``running`` column states the same rule.
"""

from __future__ import annotations

import math

import numpy as np

RUNNING_MIN_FRACTION = 0.10
_REL_EPS = 1e-12  # a limit itself counts as running despite binary rounding (0.1 x 28 A)


def _limit(rated: float) -> float:
    return RUNNING_MIN_FRACTION * rated * (1.0 - _REL_EPS)


def is_running(
    *,
    current_a: float | None,
    rated_current_a: float,
    rpm: float | None = None,
    rated_rpm: float | None = None,
) -> bool:
    """One reading; a missing or non-finite current is not running (nothing says it is).  A missing
    (None or NaN) rpm, or no rated speed, does not decide."""
    if current_a is None or not math.isfinite(current_a) or not rated_current_a > 0:
        return False
    if (
        rpm is not None
        and math.isfinite(rpm)
        and rated_rpm is not None
        and rated_rpm > 0
        and rpm < _limit(rated_rpm)
    ):
        return False
    return current_a >= _limit(rated_current_a)


def running_mask(
    current_a: np.ndarray,
    rated_current_a: float,
    rpm: np.ndarray | None = None,
    rated_rpm: float | None = None,
) -> np.ndarray:
    """Vectorised ``is_running``: ``current_a`` and ``rpm`` are float arrays with NaN for missing."""
    cur = np.asarray(current_a, dtype=np.float64)
    if not rated_current_a > 0:
        return np.zeros(cur.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        run = np.isfinite(cur) & (cur >= _limit(rated_current_a))
        if rpm is not None and rated_rpm is not None and rated_rpm > 0:
            r = np.asarray(rpm, dtype=np.float64)
            run &= ~(np.isfinite(r) & (r < _limit(rated_rpm)))
    return run
