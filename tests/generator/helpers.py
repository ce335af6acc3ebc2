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
