"""Supply-quality and power-factor alert conditions (docs/CONTRACTS.md §15.1, §15.6). Pure: no Django.

Why this module exists: voltage and frequency are properties of the shared supply, not of one
machine. A sag or a frequency excursion seen at once on most assets of a site is one site supply
event; a machine whose own voltage deviates while its peers' does not has a local (feeder,
terminal, cable) problem and gets its own alert. Power factor is judged the way Indian tariffs judge
it (energy basis, kWh / kVAh) and only while the machine runs steadily, against the machine's own
healthy PF: an induction motor at light load has a PF well below 0.9 without any fault.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MEAN_WINDOW_US = 15 * 60 * 1_000_000  # the 15-min mean of §6.1: events in (t - 15 min, t]
MEAN_MIN_EVENTS = 2  # fewer events in the window: the asset does not report at t
FREQUENCY_ALERT_BAND_PCT = 2.0  # IEC 60034-1 zone A: rated frequency +-2 % (49.0-51.0 Hz at 50 Hz)
SITE_MIN_REPORTING = 2  # one asset alone cannot tell its own problem from the supply's
SITE_SHARE = 0.5  # more than this share of reporting assets out of band: a site supply event
PF_WINDOW_US = 24 * 3600 * 1_000_000  # energy-basis PF over the trailing 24 h of steady running
PF_STEADY_AFTER_US = 3600 * 1_000_000  # the hour after a start is not steady (§6.7)
PF_MIN_STEADY_US = 3600 * 1_000_000  # at least 1 h of steady running in the window
PF_BASELINE_MARGIN = 0.05  # alert only this far below the machine's own healthy PF
PF_SIMILAR_LOAD = 0.9  # judge PF only at a load (current) of at least this share of the healthy mean


def _window_mean(
    times_us: np.ndarray,
    values: np.ndarray,
    use: np.ndarray | None,
    at_us: np.ndarray,
    window_us: int,
    min_n: int,
) -> np.ndarray:
    """Mean of the finite ``values`` (where ``use``) with time in ``(t - window, t]`` for each t
    of ``at_us``, by cumulative sums; NaN where fewer than ``min_n`` count. ``times_us`` ascending."""
    times_us = np.asarray(times_us, dtype=np.int64)
    vals = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(vals) if use is None else np.asarray(use, dtype=bool) & np.isfinite(vals)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, vals, 0.0))])
    cnt = np.concatenate([[0], np.cumsum(ok)])
    at = np.asarray(at_us, dtype=np.int64)
    hi = np.searchsorted(times_us, at, side="right")
    lo = np.searchsorted(times_us, at - window_us, side="right")
    n = cnt[hi] - cnt[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (csum[hi] - csum[lo]) / np.maximum(n, 1)
    return np.where(n >= max(min_n, 1), mean, np.nan)


def window_means(
    times_us: np.ndarray, values: np.ndarray, at_us: np.ndarray, window_us: int = MEAN_WINDOW_US
) -> np.ndarray:
    """Mean of the finite ``values`` with time in ``(t - window, t]`` for each t of ``at_us``;
    NaN where fewer than ``MEAN_MIN_EVENTS`` such values exist. ``times_us`` ascending."""
    return _window_mean(times_us, values, None, at_us, window_us, MEAN_MIN_EVENTS)


def frequency_alert_band(
    nominal_hz: float, band_pct: float = FREQUENCY_ALERT_BAND_PCT
) -> tuple[float, float]:
    """The frequency band outside which machines are affected (IEC 60034-1 zone A by default)."""
    return nominal_hz * (1.0 - band_pct / 100.0), nominal_hz * (1.0 + band_pct / 100.0)


@dataclass(frozen=True)
class SiteReading:
    """One asset's 15-min mean of a supply signal at one grid point and whether it is out of band."""

    asset_id: str
    value: float
    deviation: float  # % from rated for voltage, Hz from nominal for frequency
    out_of_band: bool


def site_event(readings: list[SiteReading]) -> bool:
    """A site supply event: at least ``SITE_MIN_REPORTING`` assets report and more than
    ``SITE_SHARE`` of them are out of band."""
    if len(readings) < SITE_MIN_REPORTING:
        return False
    out = sum(r.out_of_band for r in readings)
    return out > SITE_SHARE * len(readings)


LOCAL_MARGIN = {"voltage": 2.0, "frequency": 0.1}  # own deviation beyond the site median: pp of rated, Hz


def local_deviation(own: SiteReading, readings: list[SiteReading], margin: float) -> bool:
    """Whether the asset's deviation is its own: it differs from the median deviation of the site's
    reporting assets by more than ``margin``, or too few assets report to tell. A machine whose
    feeder adds its usual drop to a low (but in-band) bus is not a local fault."""
    if len(readings) < SITE_MIN_REPORTING:
        return True
    median = float(np.median([r.deviation for r in readings]))
    return abs(own.deviation - median) > margin


def steady_mask(times_us: np.ndarray, running: np.ndarray, after_us: int = PF_STEADY_AFTER_US) -> np.ndarray:
    """Running events at least ``after_us`` after the newest non-running event. A machine running at
    the first given event is taken as running before it (callers load history before the window)."""
    times_us = np.asarray(times_us, dtype=np.int64)
    running = np.asarray(running, dtype=bool)
    if times_us.size == 0:
        return np.zeros(0, dtype=bool)
    never = np.iinfo(np.int64).min // 2
    last_stop = np.maximum.accumulate(np.where(~running, times_us, never))
    return running & (times_us - last_stop >= after_us)


def energy_power_factor(
    times_us: np.ndarray,
    voltage_v: np.ndarray,
    current_a: np.ndarray,
    power_factor: np.ndarray,
    steady: np.ndarray,
    at_us: np.ndarray,
    window_us: int = PF_WINDOW_US,
    min_steady_us: int = PF_MIN_STEADY_US,
) -> np.ndarray:
    """kWh / kVAh over the steady-running events in ``(t - window, t]`` for each t of ``at_us``:
    sum(V I PF) / sum(V I) (the sqrt(3) and the interval cancel for equally spaced samples).
    NaN when the steady events in the window span less than ``min_steady_us``."""
    times_us = np.asarray(times_us, dtype=np.int64)
    v = np.asarray(voltage_v, dtype=np.float64)
    i = np.asarray(current_a, dtype=np.float64)
    pf = np.asarray(power_factor, dtype=np.float64)
    use = np.asarray(steady, dtype=bool) & np.isfinite(v) & np.isfinite(i) & np.isfinite(pf)
    s = np.where(use, v * i, 0.0)
    p = np.where(use, v * i * pf, 0.0)
    cs = np.concatenate([[0.0], np.cumsum(s)])
    cp = np.concatenate([[0.0], np.cumsum(p)])
    at = np.asarray(at_us, dtype=np.int64)
    hi = np.searchsorted(times_us, at, side="right")
    lo = np.searchsorted(times_us, at - window_us, side="right")
    # span of the steady events in the window: first and last steady index
    idx = np.where(use, np.arange(times_us.size), -1)
    last_use = np.maximum.accumulate(idx) if idx.size else idx
    rev = np.where(use, np.arange(times_us.size), times_us.size)
    next_use = np.minimum.accumulate(rev[::-1])[::-1] if rev.size else rev
    out = np.full(at.shape, np.nan)
    for k in range(at.size):
        if hi[k] <= lo[k]:
            continue
        last, first = last_use[hi[k] - 1], next_use[lo[k]]
        if last < 0 or first >= hi[k] or times_us[last] - times_us[first] < min_steady_us:
            continue
        total = cs[hi[k]] - cs[lo[k]]
        if total > 0:
            out[k] = (cp[hi[k]] - cp[lo[k]]) / total
    return out


def window_steady_mean(
    times_us: np.ndarray,
    values: np.ndarray,
    steady: np.ndarray,
    at_us: np.ndarray,
    window_us: int = PF_WINDOW_US,
) -> np.ndarray:
    """Mean of ``values`` over the steady events in ``(t - window, t]`` (NaN without any)."""
    return _window_mean(times_us, values, steady, at_us, window_us, 1)


def at_similar_load(
    window_current_a: float, baseline_current_a: float | None, share: float = PF_SIMILAR_LOAD
) -> bool:
    """Whether the window's steady-running mean current is at least ``share`` of the healthy mean.
    An induction motor's PF falls with its load; below the healthy load a lower PF is expected, so
    only a PF drop at a similar or higher load says something about the machine."""
    if baseline_current_a is None or not np.isfinite(baseline_current_a) or not np.isfinite(window_current_a):
        return False
    return window_current_a >= share * baseline_current_a


def low_pf_limit(
    tariff_limit: float, baseline_pf: float | None, margin: float = PF_BASELINE_MARGIN
) -> float | None:
    """The PF below which ``rule:low_pf`` is present: below the tariff limit **and** ``margin`` below
    the machine's healthy PF (its baseline mean). None without a baseline: what is normal for this
    machine at its load is not known yet, and a motor whose nameplate PF is 0.85 is not faulty."""
    if baseline_pf is None or not np.isfinite(baseline_pf):
        return None
    return min(tariff_limit, baseline_pf - margin)
