"""Degradation laws: how a fault's severity grows from onset to failure.

A fault's life is normalised, u = (t - onset) / (failure - onset): 0 at onset, 1 at failure. Its
severity s(u) is 0 before onset and exactly 1 at failure whatever the law, so the effect each failure
mode has at s = 1 (zone D vibration, the cooling loss, the extra current, the extra losses) does not
depend on the law; the law decides only *when* on the way there each level is reached. Every channel a
fault touches follows the same s(u) (docs/generator.md, "Degradation laws").

Families (parameters drawn per fault from the seed within the ranges of `RANGES`, or fixed by the
scenario; docs/generator.md gives the physical reading of each):

* exponential          s = (exp(rate u) - 1) / (exp(rate) - 1)
* power_law            s = u ** exponent
* logistic             s = (sig(k (u - m)) - sig(-k m)) / (sig(k (1 - m)) - sig(-k m)),
                       k = steepness, m = midpoint, sig(x) = 1 / (1 + exp(-x))
* linear_accelerating  s = r u + (1 - r) (max(0, u - knee) / (1 - knee)) ** exponent,  r = linear_share
* step_ramp            s = 0 for u < step_at, then h + (1 - h) (u - step_at) / (1 - step_at),
                       h = step_height
* intermittent         s = u ** exponent x (q + (1 - q) B(u)), q = quiet_level, B = 1 inside a burst;
                       bursts are drawn (about `bursts_per_life`, more of them late in life, each about
                       `burst_duration` of the life long) and the last one runs through failure

Beyond failure (the post-failure readings, u up to MAX_LIFE) each law simply continues.

A bearing defect also has an *initiation* signature (its first impacts make the kurtosis and the
envelope lines rise while the RMS is still flat): `initiation(u)` steps from 0 to 1 over the first
INITIATION_RAMP of the life after the defect appears (u = 0, or `step_at` for step_ramp), gated by
the bursts of an intermittent law.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .scenario_laws import FamilyName

FAMILIES: tuple[FamilyName, ...] = (
    "exponential",
    "power_law",
    "logistic",
    "linear_accelerating",
    "step_ramp",
    "intermittent",
)
MAX_LIFE = 1.25  # severity stops growing this far past failure
INITIATION_RAMP = 0.10
PARAM_DECIMALS = 4
BURST_DECIMALS = 5

# Parameter ranges drawn from (uniform), in drawing order; a scenario may fix any of them.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "exponential": {"rate": (3.0, 7.0)},
    "power_law": {"exponent": (1.5, 4.0)},
    "logistic": {"steepness": (8.0, 16.0), "midpoint": (0.45, 0.70)},
    "linear_accelerating": {"linear_share": (0.15, 0.35), "knee": (0.50, 0.75), "exponent": (2.0, 3.0)},
    "step_ramp": {"step_at": (0.15, 0.45), "step_height": (0.20, 0.45)},
    "intermittent": {
        "exponent": (1.2, 2.0),
        "quiet_level": (0.25, 0.50),
        "bursts_per_life": (15.0, 30.0),
        "burst_duration": (0.005, 0.020),
    },
}
# The law every fault followed before the families existed (and the reference of acceleration_window).
REFERENCE_RATE = 5.0


def _sig(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


@dataclass(frozen=True)
class Law:
    """One fault's degradation law: a family, its parameters and (intermittent) its bursts."""

    family: str
    params: tuple[tuple[str, float], ...]
    bursts: tuple[tuple[float, float], ...] = field(default=())

    def p(self, name: str) -> float:
        return dict(self.params)[name]

    @classmethod
    def reference(cls) -> Law:
        return REFERENCE_LAW

    # ------------------------------------------------------------------ shape

    def severity(self, u: np.ndarray | float) -> np.ndarray:
        """s(u): 0 before onset (u <= 0), 1 at failure (u = 1); u is clipped to MAX_LIFE."""
        raw = np.asarray(u, dtype=np.float64)
        x = np.clip(raw, 0.0, MAX_LIFE)
        f = self.family
        if f == "exponential":
            r = self.p("rate")
            s = np.expm1(r * x) / math.expm1(r)
        elif f == "power_law":
            s = x ** self.p("exponent")
        elif f == "logistic":
            k, m = self.p("steepness"), self.p("midpoint")
            lo, hi = float(_sig(-k * m)), float(_sig(k * (1.0 - m)))
            s = (_sig(k * (x - m)) - lo) / (hi - lo)
        elif f == "linear_accelerating":
            r, knee, q = self.p("linear_share"), self.p("knee"), self.p("exponent")
            s = r * x + (1.0 - r) * (np.maximum(x - knee, 0.0) / (1.0 - knee)) ** q
        elif f == "step_ramp":
            at, h = self.p("step_at"), self.p("step_height")
            s = np.where(x >= at, h + (1.0 - h) * (x - at) / (1.0 - at), 0.0)
        elif f == "intermittent":
            s = x ** self.p("exponent") * self.gate(x)
        else:  # pragma: no cover - validated on construction
            raise ValueError(f"unknown law family {f!r}")
        return np.where(raw > 0.0, s, 0.0)

    def in_burst(self, u: np.ndarray | float) -> np.ndarray:
        """B(u): True inside a burst (intermittent law only)."""
        x = np.asarray(u, dtype=np.float64)
        if not self.bursts:
            return np.zeros(x.shape, dtype=bool)
        starts = np.array([b[0] for b in self.bursts])
        ends = np.array([b[1] for b in self.bursts])
        k = np.searchsorted(starts, x, side="right") - 1
        return (k >= 0) & (x < ends[np.maximum(k, 0)])

    def gate(self, u: np.ndarray | float) -> np.ndarray:
        """q + (1 - q) B(u) for the intermittent law, 1 otherwise."""
        x = np.asarray(u, dtype=np.float64)
        if self.family != "intermittent":
            return np.ones(x.shape)
        q = self.p("quiet_level")
        return np.where(self.in_burst(x), 1.0, q)

    def breakpoints(self) -> tuple[float, ...]:
        """Life fractions where s(u) jumps: the step, the burst edges."""
        if self.family == "step_ramp":
            return (self.p("step_at"),)
        return tuple(x for b in self.bursts for x in b if x < MAX_LIFE)

    def start(self) -> float:
        """Life fraction at which the defect appears (its severity leaves 0)."""
        return self.p("step_at") if self.family == "step_ramp" else 0.0

    def initiation(self, u: np.ndarray | float) -> np.ndarray:
        """Smooth step 0 -> 1 over INITIATION_RAMP of the life after `start()`, times the gate."""
        x = np.asarray(u, dtype=np.float64)
        y = np.clip((x - self.start()) / INITIATION_RAMP, 0.0, 1.0)
        return y * y * (3 - 2 * y) * self.gate(x)

    def first_crossing(self, level: float, resolution: int = 20_000) -> float | None:
        """The smallest u in (0, MAX_LIFE] with s(u) >= level (bisection inside the first bracketing
        cell of a dense grid, so the steps and burst edges are found exactly); None if never."""
        if level <= 0.0:
            return 0.0
        grid = np.linspace(0.0, MAX_LIFE, resolution + 1)
        hit = np.flatnonzero(self.severity(grid) >= level)
        if not hit.size:
            return None
        k = int(hit[0])
        if k == 0:
            return 0.0
        lo, hi = float(grid[k - 1]), float(grid[k])
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if float(self.severity(mid)) >= level:
                hi = mid
            else:
                lo = mid
        return hi

    def as_label(self) -> dict[str, Any]:
        out: dict[str, Any] = {"family": self.family, **dict(self.params)}
        if self.family == "intermittent":
            out["bursts"] = [list(b) for b in self.bursts]
        return out


def _draw_bursts(
    rng: np.random.Generator, per_life: float, duration: float
) -> tuple[tuple[float, float], ...]:
    """Burst intervals in life fractions. Intensity grows as (1 + 3u) over the life (more and more
    frequent toward failure): a count ~ Poisson(per_life), positions by the inverse of the cumulative
    intensity F(u) = (u + 1.5 u^2) / 2.5, lengths duration x U(0.5, 1.5). The last burst covers
    [1 - duration, MAX_LIFE]: the machine fails during one."""
    count = int(rng.poisson(per_life))
    c = rng.random(count)
    starts = (np.sqrt(1.0 + 15.0 * c) - 1.0) / 3.0
    lengths = duration * rng.uniform(0.5, 1.5, count)
    spans = sorted(
        [(float(a), float(a + d)) for a, d in zip(starts, lengths, strict=True)]
        + [(1.0 - duration, MAX_LIFE)]
    )
    merged: list[list[float]] = []
    for a, b in spans:
        a, b = round(a, BURST_DECIMALS), round(min(b, MAX_LIFE), BURST_DECIMALS)
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return tuple((a, b) for a, b in merged)


def draw_law(
    rng: np.random.Generator,
    *,
    families: tuple[str, ...] = FAMILIES,
    family: str | None = None,
    fixed: dict[str, float] | None = None,
    exponential_rate: float | None = None,
) -> Law:
    """A law drawn from `rng`: the family (unless given) uniformly from `families`, then every
    parameter of its range in order (drawn even when fixed, so fixing one changes no other), rounded
    to PARAM_DECIMALS so that the label reproduces the law exactly."""
    chosen = family if family is not None else str(families[int(rng.integers(len(families)))])
    if chosen not in RANGES:
        raise ValueError(f"unknown law family {chosen!r}")
    fixed = dict(fixed or {})
    if chosen == "exponential" and exponential_rate is not None:
        fixed.setdefault("rate", exponential_rate)
    params = []
    for name, (lo, hi) in RANGES[chosen].items():
        value = float(rng.uniform(lo, hi))
        params.append((name, round(float(fixed.get(name, value)), PARAM_DECIMALS)))
    bursts: tuple[tuple[float, float], ...] = ()
    if chosen == "intermittent":
        d = dict(params)
        bursts = _draw_bursts(rng, d["bursts_per_life"], d["burst_duration"])
    return Law(chosen, tuple(params), bursts)


REFERENCE_LAW = Law("exponential", (("rate", REFERENCE_RATE),))
