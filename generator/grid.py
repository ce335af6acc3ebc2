"""Supply model of an Indian LT industrial bus: voltage, frequency, sags, swells, excursions.

* Voltage: nominal 230 V (single-phase, line-to-neutral) or 400-415 V (three-phase,
  line-to-line). A diurnal profile (low at the evening peak, high before dawn), a Sunday
  lift, and a slow Ornstein-Uhlenbeck wander make the bus deviation; each asset adds its
  tap/cable bias, a load-dependent feeder drop and meter noise. The utility's regulation
  (tap changers) is modelled by a soft limit, so the steady-state deviation stays within
  +-5.7 % (the CEA supply regulations allow +-6 % on LT).
* Frequency: one value for the whole synchronous grid: an OU process around 49.975 Hz,
  softly held inside the IEGC operating band 49.90-50.05 Hz, plus rare labelled
  excursions (mostly under-frequency, 49.6-49.85 Hz; some over-frequency up to 50.2 Hz).
* Sags (to 70-90 %) and swells (to 108-114 %) are Poisson events at the site bus with
  log-normal durations (median 90 s); every sample that falls inside one is labelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

VOLTAGE_BAND = 0.06
VOLTAGE_SOFT_LIMIT = 0.057
FREQ_NOMINAL = 50.0
FREQ_BAND = (49.90, 50.05)
_FREQ_CENTRE = 49.975
_FREQ_HALF = 0.073

GRID_SAG = 1
GRID_SWELL = 2
GRID_FREQ = 4
GRID_LABELS = {GRID_SAG: "sag", GRID_SWELL: "swell", GRID_FREQ: "freq_excursion"}


@dataclass(frozen=True, slots=True)
class GridEvent:
    kind: str  # "sag" | "swell" | "freq_excursion"
    start_s: float  # seconds from the scenario start
    end_s: float
    magnitude: float  # per-unit voltage factor, or frequency deviation in Hz


def ou_process(rng: np.random.Generator, n: int, dt: float, tau: float, sigma: float) -> np.ndarray:
    """Stationary Ornstein-Uhlenbeck samples (exact discretisation), mean 0, sd sigma."""
    phi = math.exp(-dt / tau)
    eps = rng.standard_normal(n)
    x0 = eps[0] * sigma
    eps[0] = 0.0
    out, _ = lfilter([sigma * math.sqrt(1 - phi * phi)], [1.0, -phi], eps, zi=[phi * x0])
    out[0] = x0
    return out


def soft_limit(x: np.ndarray, limit: float) -> np.ndarray:
    return limit * np.tanh(x / limit)


def grid_events(
    rng: np.random.Generator,
    duration_s: float,
    sag_rate_per_week: float,
    swell_rate_per_week: float,
    freq_rate_per_week: float,
) -> list[GridEvent]:
    weeks = duration_s / (7 * 86_400)
    events: list[GridEvent] = []
    for kind, rate in (("sag", sag_rate_per_week), ("swell", swell_rate_per_week)):
        count = rng.poisson(rate * weeks)
        starts = np.sort(rng.uniform(0, duration_s, count))
        durs = np.clip(rng.lognormal(math.log(90.0), 1.0, count), 1.0, 1800.0)
        if kind == "sag":
            mags = rng.uniform(0.70, 0.90, count)
        else:
            mags = rng.uniform(1.08, 1.14, count)
        events += [
            GridEvent(kind, float(s), float(s + d), float(m))
            for s, d, m in zip(starts, durs, mags, strict=True)
        ]
    count = rng.poisson(freq_rate_per_week * weeks)
    starts = np.sort(rng.uniform(0, duration_s, count))
    durs = rng.uniform(120.0, 900.0, count)
    low = rng.random(count) < 0.75
    dev = np.where(low, -rng.uniform(0.15, 0.35, count), rng.uniform(0.08, 0.20, count))
    events += [
        GridEvent("freq_excursion", float(s), float(s + d), float(m))
        for s, d, m in zip(starts, durs, dev, strict=True)
    ]
    events.sort(key=lambda e: (e.start_s, e.kind))
    return events


def event_mask(t_rel: np.ndarray, events: list[GridEvent], kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(boolean mask of samples inside events of `kind`, magnitude per sample or nan)."""
    mask = np.zeros(t_rel.shape, dtype=bool)
    mag = np.full(t_rel.shape, np.nan)
    for ev in events:
        if ev.kind != kind:
            continue
        lo = np.searchsorted(t_rel, ev.start_s, side="left")
        hi = np.searchsorted(t_rel, ev.end_s, side="left")
        mask[lo:hi] = True
        mag[lo:hi] = ev.magnitude
    return mask, mag


def bus_voltage_raw(
    rng: np.random.Generator, hour_local: np.ndarray, weekday_prod: np.ndarray, dt: float
) -> np.ndarray:
    """Per-unit deviation of the site bus before regulation (soft limit applied per asset)."""
    h = hour_local
    diurnal = 0.022 * np.cos(2 * np.pi * (h - 3.0) / 24.0) + 0.010 * np.cos(4 * np.pi * (h - 2.0) / 24.0)
    sunday_lift = np.where(weekday_prod == 6, 0.01, 0.0)
    wander = ou_process(rng, h.shape[0], dt, tau=3 * 3600.0, sigma=0.012)
    return diurnal + sunday_lift + wander


def frequency_series(
    rng: np.random.Generator, t_rel: np.ndarray, dt: float, events: list[GridEvent]
) -> tuple[np.ndarray, np.ndarray]:
    """(grid frequency Hz, excursion mask). Outside excursions it stays in 49.90-50.05 Hz."""
    raw = _FREQ_CENTRE + ou_process(rng, t_rel.shape[0], dt, tau=900.0, sigma=0.03)
    raw += rng.normal(0.0, 0.002, t_rel.shape[0])
    f = _FREQ_CENTRE + soft_limit(raw - _FREQ_CENTRE, _FREQ_HALF)
    mask, dev = event_mask(t_rel, events, "freq_excursion")
    f = np.where(mask, f + np.nan_to_num(dev), f)
    return f, mask
