"""Session-scoped simulations shared by the generator tests (no database, no Django)."""

from __future__ import annotations

import io

import pytest

from generator.output import write_simulation
from generator.scenario import build_fleet, validate_scenario
from tests.generator.helpers import FleetRun, fault_scenario, run_fleet


@pytest.fixture(scope="session")
def faulty_run() -> FleetRun:
    """Seven 15 kW motors; the first six each get one failure mode (onset day 2, fails day 18)."""
    return run_fleet(fault_scenario(True))


@pytest.fixture(scope="session")
def twin_run() -> FleetRun:
    """The same fleet and seed with no faults: the healthy twins of faulty_run."""
    return run_fleet(fault_scenario(False))


@pytest.fixture(scope="session")
def mixed_files() -> dict[str, bytes]:
    """A 10-asset mixed fleet (all types, 1- and 3-phase, every failure mode), 3 days at 60 s,
    written through the real writer."""
    doc = {
        "seed": 5,
        "start": "2025-06-02T00:00:00Z",
        "duration_days": 3,
        "interval_s": 60,
        "site": {"sag_rate_per_week": 14, "swell_rate_per_week": 7, "freq_excursion_rate_per_week": 7},
        "assets": [
            {"type": "motor", "count": 2},
            {"type": "pump", "count": 2},
            {"type": "fan", "count": 2},
            {"type": "fan", "phase": "single", "count": 2},
            {"type": "compressor", "count": 2},
        ],
        "faults": [
            {"asset": 0, "mode": "bearing_outer", "onset_days": 0.5, "time_to_failure_days": 2.0},
            {"asset": 2, "mode": "bearing_inner", "onset_days": 0.5, "time_to_failure_days": 2.0},
            {"asset": 4, "mode": "imbalance", "onset_days": 0.5, "time_to_failure_days": 2.0},
            {"asset": 6, "mode": "misalignment", "onset_days": 0.5, "time_to_failure_days": 2.0},
            {"asset": 8, "mode": "overheating", "onset_days": 0.5, "time_to_failure_days": 2.0},
            {"asset": 9, "mode": "electrical", "onset_days": 0.5, "time_to_failure_days": 2.0},
        ],
    }
    fleet = build_fleet(validate_scenario(doc))
    ev, lab, man = io.BytesIO(), io.BytesIO(), io.BytesIO()
    write_simulation(fleet, ev, lab, man)
    return {"events": ev.getvalue(), "labels": lab.getvalue(), "manifest": man.getvalue()}


@pytest.fixture(scope="session")
def healthy_grid_run() -> FleetRun:
    """25 healthy assets of every type over 14 days at 5 min, with frequent grid events."""
    doc = {
        "seed": 23,
        "start": "2025-05-05T00:00:00Z",
        "duration_days": 14,
        "interval_s": 300,
        "site": {"sag_rate_per_week": 10, "swell_rate_per_week": 5, "freq_excursion_rate_per_week": 4},
        "assets": [
            {"type": "motor", "count": 5},
            {"type": "pump", "count": 5},
            {"type": "fan", "count": 5},
            {"type": "fan", "phase": "single", "count": 5},
            {"type": "compressor", "count": 5},
        ],
    }
    return run_fleet(doc)
