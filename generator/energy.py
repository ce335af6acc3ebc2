"""Energy truth: the losses a fault adds, input power, idle running, and their labelled integrals.

Loss laws (docs/generator.md, "Energy"). A fault of severity s (its degradation law, `laws.py`)
dissipates extra power while the machine runs, proportional to s and reaching `extra_loss_pct` of the
rated output at failure (drawn per fault from `LOSS_RANGES_PCT`, or fixed by the scenario):

* mechanical faults (bearing friction, imbalance, misalignment): the loss is extra *shaft* power, so the
  motor is simply more loaded, x_eff = x + s * extra_loss_pct / 100 (per unit of rated output); the
  electrical model turns that into current, power factor and slip exactly as it does process load;
* electrical fault: the fault's own dissipation (shorted turns, leakage; s * extra_loss_pct of the rated
  output) plus the copper losses of its extra current, (1 - CORE_LOSS_FRACTION) x rated losses x
  (i_fault^2 - i_healthy^2), enter as extra active current; with the fault's extra reactive current
  and terminal voltage drop this gives current up, PF down and P = k V I PF consistent (CONTRACTS §4);
* overheating (cooling loss) adds no loss: the same losses, removed less well.

Where the heat goes: the thermal model's loss fraction gets `HEAT_SHARE[mode]` x the extra loss over
the rated losses P_r (1/eta - 1); the electrical fault's copper losses are already in its I^2 term.

Truth, from the noise-free signals of the twin (P = k V I PF / 1000, k = sqrt 3 or 1, with the
start-up inrush), each sample's power held over its own interval [t_k, t_k + dt):

* extra energy of a fault = sum over emitted samples of (P_faulty - P_healthy) dt, P_healthy being the
  same machine at the same process load and supply without the fault (its healthy twin);
* idle running = running (CONTRACTS §6.7) with load factor P / rated_power_kw (CONTRACTS §6.3) below
  the scenario's `energy.idle_load_factor`; a period is a maximal run of such samples.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MECHANICAL_LOSS_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment")
LOSSY_MODES = (*MECHANICAL_LOSS_MODES, "electrical")
# Extra loss at failure (s = 1), % of the rated output power, drawn uniformly per fault.
LOSS_RANGES_PCT: dict[str, tuple[float, float]] = {
    "bearing_outer": (1.0, 2.5),  # damaged races and contaminated grease: friction torque x3-x8
    "bearing_inner": (1.0, 2.5),
    "imbalance": (1.0, 2.5),  # the rotating load works the bearings and the structure
    "misalignment": (1.5, 4.0),  # coupling and bearing reaction forces
    "electrical": (0.5, 1.5),  # own dissipation of shorted turns / leakage (+ copper losses of its current)
}
# Share of the extra loss dissipated where the temperature sensor sits (bearing housing / frame).
HEAT_SHARE = {
    "bearing_outer": 1.0,
    "bearing_inner": 1.0,
    "imbalance": 0.5,
    "misalignment": 0.5,
    "electrical": 1.0,
}
DEFAULT_IDLE_LOAD_FACTOR = 0.30
KWH_DECIMALS = 6


def draw_extra_loss_pct(rng: np.random.Generator, mode: str, fixed: float | None = None) -> float:
    """The fault's extra loss at failure, % of rated output (0 for modes that add none). One draw is
    always consumed so that fixing it changes nothing else."""
    lo, hi = LOSS_RANGES_PCT.get(mode, (0.0, 0.0))
    value = float(rng.uniform(lo, hi)) if hi > 0 else float(rng.uniform())
    if fixed is not None:
        return float(fixed)
    return round(value, 4) if mode in LOSSY_MODES else 0.0


def power_kw(phase: str, voltage_v: np.ndarray, current_a: np.ndarray, pf: np.ndarray) -> np.ndarray:
    """Input power from the event quantities, CONTRACTS §4: P = k V I PF / 1000."""
    k = math.sqrt(3.0) if phase == "three" else 1.0
    return k * voltage_v * current_a * pf / 1000.0


def rated_losses_pu(efficiency: float) -> float:
    """Rated losses in units of rated output: 1/eta - 1."""
    return 1.0 / efficiency - 1.0


def idle_mask(p_kw: np.ndarray, running: np.ndarray, rated_kw: float, share: float) -> np.ndarray:
    return running & (p_kw < share * rated_kw)


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Maximal runs of True as (first index, end index exclusive)."""
    m = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    d = np.flatnonzero(np.diff(m.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(d[0::2], d[1::2], strict=True)]


def kwh(p_kw: np.ndarray, dt: float) -> float:
    return float(np.sum(p_kw)) * dt / 3600.0


@dataclass(frozen=True, slots=True)
class EnergyTruth:
    """Per-sample noise-free input power of the machine and of its healthy twin (kW), and idleness."""

    power_kw: np.ndarray
    healthy_power_kw: np.ndarray
    idle: np.ndarray

    @property
    def extra_kw(self) -> np.ndarray:
        return self.power_kw - self.healthy_power_kw


def hourly_sums(t_rel: np.ndarray, start_epoch: float, values_kwh: np.ndarray) -> list[tuple[float, float]]:
    """(UTC hour start epoch, sum) of per-sample kWh over the clock hours the samples fall in."""
    epoch = start_epoch + t_rel
    hour = np.floor(epoch / 3600.0).astype(np.int64)
    if not hour.size:
        return []
    keys, first = np.unique(hour, return_index=True)
    sums = np.add.reduceat(values_kwh, first)
    return [(float(k) * 3600.0, float(v)) for k, v in zip(keys, sums, strict=True)]
