"""Helpers shared by the generator tests. Expected values are written out here from the
standards and textbooks (ISO 10816-3 zones, grid bands), never imported from generator/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np

from generator.fleet import AssetSeries, simulate_asset, simulate_site
from generator.scenario import Fleet, build_fleet, validate_scenario

# ISO 10816-3 velocity RMS zone boundaries (mm/s): (A/B, B/C, C/D), from the standard.
ISO_10816_3 = {
    (1, "rigid"): (2.3, 4.5, 7.1),
    (1, "flexible"): (3.5, 7.1, 11.0),
    (2, "rigid"): (1.4, 2.8, 4.5),
    (2, "flexible"): (2.3, 4.5, 7.1),
}

FAULT_PLAN = ["bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical"]
FAULT_DAYS = 20.0
FAULT_ONSET_DAYS = 2.0
FAULT_TTF_DAYS = 16.0


def fault_scenario(with_faults: bool = True) -> dict:
    """The failure-mode fleet. Its faults follow the exponential law of rate 5 (the IMS-like shape the
    signature tests describe); tests/generator/test_laws.py covers the other families."""
    return {
        "seed": 11,
        "start": "2025-03-03T00:00:00Z",
        "duration_days": FAULT_DAYS,
        "interval_s": 600,
        "assets": [{"type": "motor", "count": len(FAULT_PLAN) + 1}],
        "faults": [
            {
                "asset": i,
                "mode": m,
                "onset_days": FAULT_ONSET_DAYS,
                "time_to_failure_days": FAULT_TTF_DAYS,
                "law": {"family": "exponential", "rate": 5},
            }
            for i, m in enumerate(FAULT_PLAN)
        ]
        if with_faults
        else [],
    }


@dataclass
class FleetRun:
    fleet: Fleet
    series: list[AssetSeries]

    def by_mode(self, mode: str) -> AssetSeries:
        return next(s for s in self.series if s.timing is not None and s.timing.mode == mode)


def run_fleet(doc: dict) -> FleetRun:
    fleet = build_fleet(validate_scenario(doc))
    site = simulate_site(fleet)
    return FleetRun(fleet, [simulate_asset(fleet, a, site) for a in fleet.assets])


def parse_jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode().splitlines() if line]


def daily_medians(t_s: np.ndarray, values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    day = np.floor(t_s / 86_400.0).astype(int)
    days, meds = [], []
    for d in np.unique(day[mask]):
        sel = mask & (day == d)
        if sel.sum() >= 12:
            days.append(d)
            meds.append(float(np.median(values[sel])))
    return np.array(days), np.array(meds)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def documented_severity(law: dict, u) -> np.ndarray:
    """s(u) of a labelled law, written from the formulas of docs/generator.md ("Degradation laws"),
    independently of generator/laws.py."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.25)
    f = law["family"]
    if f == "exponential":
        r = law["rate"]
        s = (np.exp(r * u) - 1) / (np.exp(r) - 1)
    elif f == "power_law":
        s = u ** law["exponent"]
    elif f == "logistic":
        k, m = law["steepness"], law["midpoint"]
        s = (_sigmoid(k * (u - m)) - _sigmoid(-k * m)) / (_sigmoid(k * (1 - m)) - _sigmoid(-k * m))
    elif f == "linear_accelerating":
        r, knee, q = law["linear_share"], law["knee"], law["exponent"]
        s = r * u + (1 - r) * (np.maximum(0.0, u - knee) / (1 - knee)) ** q
    elif f == "step_ramp":
        a, h = law["step_at"], law["step_height"]
        s = np.where(u < a, 0.0, h + (1 - h) * (u - a) / (1 - a))
    elif f == "intermittent":
        inside = np.zeros(u.shape, dtype=bool)
        for lo, hi in law["bursts"]:
            inside |= (u >= lo) & (u < hi)
        s = u ** law["exponent"] * np.where(inside, 1.0, law["quiet_level"])
    else:
        raise AssertionError(f)
    return np.where(u > 0, s, 0.0)


def life(label: dict, t_s) -> np.ndarray:
    """u = (t - onset) / (failure - onset) from an asset label (t in epoch seconds)."""
    onset, failure = epoch(label["onset"]), epoch(label["failure_time"])
    return (np.asarray(t_s, dtype=float) - onset) / (failure - onset)


def epoch(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
