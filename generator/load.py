"""Process load and the induction-motor electrical model.

Load (fraction of rated output) follows the plant's three shifts in local time
(default IST 06-14, 14-22, 22-06) with per-asset shift loads, a changeover idle at each
shift start and a meal break four hours in (machines idle-run at `idle_load`), random idle
spells of 10-60 min (waiting for material or an operator; `idle_spells_per_week`), the weekly
off day (stop, reduced or run, per asset type; the off day runs 06:00 to 06:00 so the
night shift before it finishes), random unplanned stops of 1-8 h, an OU fluctuation of a
few per cent, and for compressors load/unload cycling (loaded ~8 min, unloaded ~4 min).

Electrical model (per-unit of rated current, phasor sum of an active and a reactive part):
    I_active   = (a0 + (pf_r - a0) x) / v          constant shaft power: sags raise current
    I_reactive = q0 v + (sin(phi_r) - q0) x^2      magnetising + leakage reactive current
    PF = I_active / |I|
(a fault adds active and reactive current on top: generator/energy.py, generator/faults.py)
which reproduces the usual induction-motor behaviour: PF ~0.85 at rated load, ~0.7 at
half load and ~0.2 at no load, with current never below the magnetising current.
A start-up sample averages the locked-rotor inrush (6.5x rated for the start time) into
the sample interval. Speed follows the slip law: rpm = 60 f / p (1 - s_r x / v^2).
"""

from __future__ import annotations

import math

import numpy as np

from .grid import ou_process
from .scenario import AssetSpec
from .scenario_schema import WEEKDAYS, ScheduleModel

LOCKED_ROTOR_RATIO = 6.5


def local_clock(t_rel: np.ndarray, start_epoch: float, utc_offset_h: float) -> tuple[np.ndarray, np.ndarray]:
    """(local hour of day, weekday 0=Monday of the local calendar) for each sample."""
    local = start_epoch + t_rel + utc_offset_h * 3600.0
    hour = np.mod(local, 86_400.0) / 3600.0
    weekday = ((np.floor_divide(local, 86_400.0) + 3) % 7).astype(np.int8)  # 1970-01-01 was a Thursday
    return hour, weekday


def load_profile(
    asset: AssetSpec,
    schedule: ScheduleModel,
    t_rel: np.ndarray,
    start_epoch: float,
    utc_offset_h: float,
    dt: float,
    rng: np.random.Generator,
    shift_offset_min: float,
    load_factor: float,
    rng_idle: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(load fraction, running mask, start-up mask), each shape (T,). `rng_idle` (its own stream,
    so that the other draws do not depend on it) places the idle spells."""
    n = t_rel.shape[0]
    hour, _ = local_clock(t_rel + shift_offset_min * 60.0, start_epoch, utc_offset_h)
    s0, s1, s2 = schedule.shift_starts_h
    shift = np.where((hour >= s0) & (hour < s1), 0, np.where((hour >= s1) & (hour < s2), 1, 2))
    shift_start = np.array([s0, s1, s2])[shift]
    since = np.mod(hour - shift_start, 24.0)
    loads = np.array(asset.shift_loads) * load_factor
    base = loads[shift]
    # production day: local time shifted back to the first shift start
    _, prod_day = local_clock(t_rel + shift_offset_min * 60.0 - s0 * 3600.0, start_epoch, utc_offset_h)
    running = np.ones(n, dtype=bool)
    if schedule.weekly_off is not None:
        off = prod_day == WEEKDAYS.index(schedule.weekly_off)
        if asset.weekly_off_action == "stop":
            running &= ~off
        elif asset.weekly_off_action == "reduced":
            base = np.where(off, 0.5 * base, base)
    idle = since < schedule.changeover_minutes / 60.0
    idle |= (since >= 4.0) & (since < 4.0 + schedule.break_minutes / 60.0)
    if rng_idle is not None:
        idle |= _spells(rng_idle, t_rel, dt, schedule.idle_spells_per_week, 600.0, 3600.0)
    # unplanned stops
    weeks = (n * dt) / (7 * 86_400)
    count = rng.poisson(schedule.unplanned_stops_per_week * weeks)
    starts = rng.uniform(0, n * dt, count)
    durs = rng.uniform(3600.0, 8 * 3600.0, count)
    for s, d in zip(starts, durs, strict=True):
        lo, hi = np.searchsorted(t_rel, [s, s + d])
        running[lo:hi] = False
    fluct = ou_process(rng, n, dt, tau=600.0, sigma=0.04)
    if asset.asset_type == "compressor":
        loaded = _telegraph(rng, t_rel, mean_on=480.0, mean_off=240.0)
        base = np.where(loaded, np.minimum(base * 1.15, 1.1), 0.3)
    load = np.clip(base + fluct, 0.1, 1.15)
    idle_load = schedule.idle_load * (1.0 + 0.1 * rng.standard_normal(n))
    load = np.where(idle, np.clip(idle_load, 0.02, 0.5), load)
    load = np.where(running, load, 0.0)
    startup = running.copy()
    startup[1:] &= ~running[:-1]
    startup[0] = False
    return load, running, startup


def _spells(
    rng: np.random.Generator, t_rel: np.ndarray, dt: float, per_week: float, lo_s: float, hi_s: float
) -> np.ndarray:
    """Mask of Poisson-placed spells (count ~ Poisson(per_week x weeks), length U(lo_s, hi_s))."""
    n = t_rel.shape[0]
    mask = np.zeros(n, dtype=bool)
    count = rng.poisson(per_week * (n * dt) / (7 * 86_400))
    starts = rng.uniform(0, n * dt, count)
    durs = rng.uniform(lo_s, hi_s, count)
    for s, d in zip(starts, durs, strict=True):
        lo, hi = np.searchsorted(t_rel, [s, s + d])
        mask[lo:hi] = True
    return mask


def _telegraph(rng: np.random.Generator, t_rel: np.ndarray, mean_on: float, mean_off: float) -> np.ndarray:
    horizon = float(t_rel[-1]) + 1.0 if t_rel.size else 1.0
    est = int(horizon / (mean_on + mean_off) * 1.5) + 8
    durs = np.empty(2 * est)
    durs[0::2] = rng.exponential(mean_on, est)
    durs[1::2] = rng.exponential(mean_off, est)
    edges = np.cumsum(durs) - rng.uniform(0, mean_on + mean_off)
    while edges[-1] < horizon:  # pragma: no cover - est is generous
        edges = np.concatenate([edges, edges[-1] + np.cumsum(rng.exponential(mean_on, 64))])
    seg = np.searchsorted(edges, t_rel, side="right")
    return seg % 2 == 0


def magnetising_pu(asset: AssetSpec) -> float:
    return 0.45 if asset.phase == "single" else 0.32


def motor_electrical(
    asset: AssetSpec,
    load: np.ndarray,
    v_pu: np.ndarray,
    running: np.ndarray,
    startup: np.ndarray,
    start_fraction: float,
    extra_reactive_pu: np.ndarray | float = 0.0,
    extra_active_pu: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """(line current A, power factor) from load fraction and per-unit terminal voltage; a fault's
    extra reactive current (per unit of rated current) and extra input power (per unit of the rated
    apparent input power S_r = k V_r I_r, so its active current is extra_active_pu / v)."""
    pf_r = asset.rated_pf
    sin_r = math.sqrt(1 - pf_r * pf_r)
    a0 = 0.06
    q0 = magnetising_pu(asset)
    v = np.maximum(v_pu, 0.3)
    i_a = (a0 + (pf_r - a0) * load + extra_active_pu) / v
    i_q = q0 * v + (sin_r - q0) * load * load + extra_reactive_pu
    mag = np.hypot(i_a, i_q)
    pf = i_a / mag
    boost = 1.0 + (LOCKED_ROTOR_RATIO - 1.0) * start_fraction * startup
    pf = np.where(startup, pf * (1 - start_fraction) + 0.35 * start_fraction, pf)
    current = mag * asset.rated_current_a * boost
    return np.where(running, current, 0.0), np.where(running, pf, 0.0)


def shaft_speed_rpm(
    asset: AssetSpec, load: np.ndarray, v_pu: np.ndarray, freq_hz: np.ndarray, running: np.ndarray
) -> np.ndarray:
    sync_rated = 3000.0 / asset.pole_pairs
    slip_r = max(0.002, (sync_rated - asset.rated_rpm) / sync_rated)
    slip = slip_r * load / np.maximum(v_pu, 0.3) ** 2
    rpm = 60.0 * freq_hz / asset.pole_pairs * (1.0 - slip)
    return np.where(running, rpm, 0.0)
