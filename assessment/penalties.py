"""The per-factor health penalties at weight 1 (docs/CONTRACTS.md §9.1), pure math, no Django.

Each penalty is a non-decreasing function of its input's "badness", piecewise linear between the
limits of ``Limits`` (the table in ``assessment.health``); missing inputs never reach these
functions (they raise a ``<input>_missing`` flag instead).
"""

from __future__ import annotations

import math


def present(x: float | None) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def valid_rating(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _ramp(x: float, x0: float, x1: float, y0: float, y1: float) -> float:
    """Linear from (x0, y0) to (x1, y1), clipped to the segment (x0 < x1)."""
    if x <= x0:
        return y0
    if x >= x1:
        return y1
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


def iso_zone(v: float, boundaries: tuple[float, float, float]) -> str:
    """ISO 10816-3 zone of an RMS velocity; a value on a boundary belongs to the higher zone."""
    ab, bc, cd = boundaries
    if v >= cd:
        return "D"
    if v >= bc:
        return "C"
    if v >= ab:
        return "B"
    return "A"


# --- per-factor penalties (weight 1) ----------------------------------------------------------


def anomaly_penalty(score: float, onset: float = 0.5) -> float:
    return 40.0 * _ramp(score, onset, 1.0, 0.0, 1.0)


def vibration_penalty(v: float, boundaries: tuple[float, float, float]) -> float:
    ab, bc, cd = boundaries
    zone = iso_zone(v, boundaries)
    if zone == "A":
        return 0.0
    if zone == "B":
        return _ramp(v, ab, bc, 0.0, 10.0)
    if zone == "C":
        return _ramp(v, bc, cd, 15.0, 35.0)
    return 60.0


def temperature_penalty(t: float, warn: float = 80.0, limit: float = 95.0) -> float:
    if t >= limit:
        return 30.0
    if t < warn:
        return 0.0
    return _ramp(t, warn, limit, 0.0, 20.0)


def voltage_penalty(dev_pct: float, band_pct: float = 6.0, full_pct: float = 10.0) -> float:
    d = abs(dev_pct)
    if d <= band_pct:
        return 0.0
    return _ramp(d, band_pct, full_pct, 0.0, 10.0)


def frequency_excursion_hz(f: float, low: float = 49.90, high: float = 50.05) -> float:
    """Distance outside [low, high] (0 inside)."""
    return max(low - f, f - high, 0.0)


def frequency_penalty(f: float, low: float = 49.90, high: float = 50.05, ramp_hz: float = 0.5) -> float:
    return _ramp(frequency_excursion_hz(f, low, high), 0.0, ramp_hz, 0.0, 5.0)


def power_factor_penalty(pf: float, limit: float = 0.90, floor: float = 0.70) -> float:
    # decreasing PF is worse: ramp on (limit - pf)
    return _ramp(limit - pf, 0.0, limit - floor, 0.0, 10.0)


def current_penalty(ratio_pct: float, start_pct: float = 100.0, limit_pct: float = 120.0) -> float:
    if ratio_pct > limit_pct:
        return 25.0
    if ratio_pct <= start_pct:
        return 0.0
    return _ramp(ratio_pct, start_pct, limit_pct, 0.0, 20.0)


def temperature_rise_excess(rise_c: float | None, expected_c: float | None) -> float | None:
    """Rise over ambient minus the rise expected at this load (K); None when either is missing."""
    if not (present(rise_c) and present(expected_c)):
        return None
    e = rise_c - expected_c  # type: ignore[operator]
    return None if math.isnan(e) else e


def temperature_rise_penalty(excess_k: float, onset_k: float = 10.0, limit_k: float = 30.0) -> float:
    if excess_k >= limit_k:
        return 25.0
    return _ramp(excess_k, onset_k, limit_k, 0.0, 20.0)


def expected_temperature_rise(
    *, healthy_rise_c: float | None, load_a: float | None, healthy_load_a: float | None
) -> float | None:
    """The rise over ambient this machine shows healthy at this load (K), or None.

    ``healthy_rise_c`` is the baseline median rise at the baseline median load
    ``healthy_load_a``.  Losses are a0 + b I^2 with a0 >= 0, so above the healthy load the rise
    grows at most as (I / I_healthy)^2: scaling by that square is an upper bound and a load
    increase alone never shows as an excess; below the healthy load the healthy rise is kept
    (a lighter load runs cooler).  ``load_a`` should be the larger of the 15-min and 1-h current
    means, so a machine still hot from a heavier hour is compared with that hour.
    """
    if not (present(healthy_rise_c) and math.isfinite(healthy_rise_c)):  # type: ignore[arg-type]
        return None
    scale = 1.0
    if present(load_a) and valid_rating(healthy_load_a) and math.isfinite(load_a):  # type: ignore[arg-type]
        scale = max(1.0, (load_a / healthy_load_a) ** 2)  # type: ignore[operator]
    return healthy_rise_c * scale  # type: ignore[operator]
