"""The labelled threshold crossings are where the generated signals cross the platform's limits.

Limits are the platform's defaults written out here from docs/CONTRACTS.md (ISO 10816-3 zones §9.2,
temperature warn 80 / limit 95 °C §3.3, temperature-rise excess 10 / 30 K §9.1, current limit 120 %
§3.3), never imported from generator/.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from generator.output import write_simulation
from generator.scenario import build_fleet, validate_scenario
from tests.generator.helpers import ISO_10816_3, epoch, parse_jsonl

STEADY = {"shift_loads": [0.8, 0.8, 0.8], "weekly_off_action": "run"}
NO_BREAKS = {
    "changeover_minutes": 0,
    "break_minutes": 0,
    "unplanned_stops_per_week": 0,
    "idle_spells_per_week": 0,
}


def _run(doc: dict) -> tuple[list[dict], list[dict]]:
    ev, lab = io.BytesIO(), io.BytesIO()
    write_simulation(build_fleet(validate_scenario(doc)), ev, lab, labels_format="intervals")
    return parse_jsonl(ev.getvalue()), parse_jsonl(lab.getvalue())


@pytest.fixture(scope="module")
def vibration_run():
    """Four vibration faults with different laws on machines at a steady load, one waveform per reading."""
    plan = [
        ("imbalance", "logistic"),
        ("misalignment", "step_ramp"),
        ("bearing_outer", "power_law"),
        ("imbalance", "intermittent"),
    ]
    return _run(
        {
            "seed": 8,
            "start": "2025-04-07T00:00:00Z",
            "duration_days": 9,
            "interval_s": 300,
            "waveform": {"anchor_interval_s": 0},
            "schedule": NO_BREAKS,
            "assets": [{"type": "motor", "count": 4, **STEADY}],
            "faults": [
                {"asset": i, "mode": m, "law": law, "onset_days": 1.5, "time_to_failure_days": 6.5}
                for i, (m, law) in enumerate(plan)
            ],
        }
    )


def test_zone_crossings_are_where_the_generated_rms_crosses_the_iso_boundaries(vibration_run):
    events, labels = vibration_run
    checked = 0
    for a in (r for r in labels if r["type"] == "asset"):
        ab, bc, cd = ISO_10816_3[(2, "rigid")]
        th = a["thresholds"]
        assert [th[k]["level"] for k in ("zone_b", "zone_c", "zone_d")] == [ab, bc, cd]
        assert a["threshold_time"] == th["zone_d"]["time"]
        rows = [
            (epoch(e["timestamp"]), e["vibration_rms_mm_s"]) for e in events if e["asset_id"] == a["asset_id"]
        ]
        t = np.array([r[0] for r in rows])
        v = np.array([r[1] for r in rows])
        # a reading scatters around the design RMS (a bearing window with its impacts by ~8 %, 0-3 % above)
        tol = 0.08 if a["mode"].startswith("bearing") else 0.05
        for key, level in (("zone_c", bc), ("zone_d", cd)):
            when = epoch(th[key]["time"])
            after = v[(t >= when)][:12]
            before = v[(t < when)][-12:]
            assert np.median(after) >= (1 - tol) * level, (a["law"]["family"], key)
            assert np.median(before) < (1 + tol) * level, (a["law"]["family"], key)
            # the first crossing: every clock hour that ended an hour before it stays below the boundary
            hours = np.floor(t / 3600)
            meds = [np.median(v[hours == h]) for h in np.unique(hours) if (h + 2) * 3600 <= when]
            assert max(meds) < (1 + tol) * level, (a["law"]["family"], key)
            checked += 1
    assert checked == 8


@pytest.fixture(scope="module")
def thermal_runs():
    """A cooling loss and a full-load electrical fault, and their healthy twins."""
    doc = {
        "seed": 12,
        "start": "2025-05-05T00:00:00Z",
        "duration_days": 10,
        "interval_s": 120,
        "assets": [
            {"type": "motor", "count": 1},
            {"type": "motor", "count": 1, "shift_loads": [1.05, 1.05, 1.05]},
        ],
        "faults": [
            {
                "asset": 0,
                "mode": "overheating",
                "law": "power_law",
                "onset_days": 2,
                "time_to_failure_days": 7,
            },
            {
                "asset": 1,
                "mode": "electrical",
                "law": "linear_accelerating",
                "onset_days": 2,
                "time_to_failure_days": 7,
            },
        ],
    }
    return _run(doc), _run({**doc, "faults": []})


def _series(events, aid, field):
    rows = [(epoch(e["timestamp"]), e[field]) for e in events if e["asset_id"] == aid]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


def _first(t, mask, start):
    hit = np.flatnonzero(mask & (t >= start))
    return t[hit[0]] if hit.size else None


def test_temperature_and_current_crossings_are_those_of_the_generated_readings(thermal_runs):
    (events, labels), (twin, _) = thermal_runs
    assets = {a["mode"]: a for a in labels if a["type"] == "asset"}
    crossed = 0
    for mode, a in assets.items():
        th, onset = a["thresholds"], epoch(a["onset"])
        assert (th["temperature_warn"]["level"], th["temperature_limit"]["level"]) == (80.0, 95.0)
        t, temp = _series(events, a["asset_id"], "temperature_c")
        _, temp_h = _series(twin, a["asset_id"], "temperature_c")
        temp_h = temp_h[: t.size]
        dt = t[1] - t[0]
        for key, level in (("temperature_warn", 80.0), ("temperature_limit", 95.0)):
            seen = _first(t, temp >= level, onset)  # the readings carry 0.15 °C of sensor noise
            if th[key]["time"] is None:
                assert seen is None or np.max(temp[t >= onset]) < level + 0.6
                continue
            crossed += 1
            assert abs(epoch(th[key]["time"]) - seen) <= 3 * dt, (mode, key)
        for key, level in (("temperature_rise_excess_onset", 10.0), ("temperature_rise_excess_limit", 30.0)):
            seen = _first(t, temp - temp_h >= level, onset)  # same sensor noise in both: it cancels
            if th[key]["time"] is None:
                assert seen is None or np.max((temp - temp_h)[t >= onset]) < level + 0.02
                continue
            crossed += 1
            assert abs(epoch(th[key]["time"]) - seen) <= dt, (mode, key)
        # overcurrent: the 15-minute trailing mean of the current above 120 % of rated
        rated = next(x for x in labels if x["type"] == "asset" and x["asset_id"] == a["asset_id"])
        t_i, cur = _series(events, a["asset_id"], "current_a")
        mean15 = np.array([cur[(t_i > x - 900) & (t_i <= x)].mean() for x in t_i])
        limit = 1.2 * RATED_CURRENT_A
        seen = _first(t_i, mean15 > limit, onset)
        if mode == "electrical":
            assert th["overcurrent"]["time"] is not None, rated
            crossed += 1
            assert abs(epoch(th["overcurrent"]["time"]) - seen) <= 3 * dt
        else:
            assert th["overcurrent"]["time"] is None and seen is None
    assert crossed >= 4
    assert assets["overheating"]["thresholds"]["temperature_rise_excess_limit"]["time"] is not None


# 15 kW, 415 V, PF 0.85, efficiency 0.91 (the motor type's defaults): P / (sqrt(3) V pf eta)
RATED_CURRENT_A = round(15_000 / (3**0.5 * 415 * 0.85 * 0.91), 2)
