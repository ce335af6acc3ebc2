"""Energy truth: the labelled extra energy of a fault is the input power above its healthy twin's, the
idle labels are the running readings below the idle load factor, and the losses follow their law.

Power is computed here from the event fields as docs/CONTRACTS.md §4 defines it (P = sqrt 3 V I PF for
three-phase machines); the healthy twin is the same scenario and seed without the faults.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pytest

from generator.output import write_simulation
from generator.scenario import build_fleet, validate_scenario
from tests.generator.helpers import FAULT_PLAN, documented_severity, epoch, life, parse_jsonl

RATED_KW = {"MTR": 15.0, "PMP": 7.5, "CMP": 37.0}  # the types' default rated output (docs/generator.md)
LOSSY = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "electrical")
DT = 60.0


def _run(doc: dict) -> tuple[list[dict], list[dict]]:
    ev, lab = io.BytesIO(), io.BytesIO()
    write_simulation(build_fleet(validate_scenario(doc)), ev, lab, labels_format="intervals")
    return parse_jsonl(ev.getvalue()), parse_jsonl(lab.getvalue())


def _doc(**over) -> dict:
    doc = {
        "seed": 21,
        "start": "2025-09-01T00:00:00Z",
        "duration_days": 8,
        "interval_s": int(DT),
        "assets": [
            {"type": "motor", "count": 3},
            {"type": "pump", "count": 2},
            {"type": "compressor", "count": 2},
        ],
        "faults": [
            {"asset": i, "mode": m, "onset_days": 1.5, "time_to_failure_days": 5.5}
            for i, m in enumerate(FAULT_PLAN)
        ],
    }
    return {**doc, **over}


@pytest.fixture(scope="module")
def runs():
    return _run(_doc()), _run(_doc(faults=[]))


def power_kw(e: dict) -> float:
    return math.sqrt(3) * e["voltage_v"] * e["current_a"] * e["power_factor"] / 1000.0


def _by_asset(events):
    out: dict[str, dict[str, dict]] = {}
    for e in events:
        out.setdefault(e["asset_id"], {})[e["timestamp"]] = e
    return out


def _assets(labels):
    return {a["asset_id"]: a for a in labels if a["type"] == "asset"}


def test_the_labelled_extra_energy_is_the_input_power_above_the_healthy_twin(runs):
    (events, labels), (twin, _) = runs
    faulty, healthy = _by_asset(events), _by_asset(twin)
    checked = 0
    for aid, a in _assets(labels).items():
        rows = faulty[aid]
        diff = {t: power_kw(e) - power_kw(healthy[aid][t]) for t, e in rows.items()}
        whole = sum(diff.values()) * DT / 3600
        if a["mode"] in LOSSY:
            assert a["energy"]["extra_kwh"] > 1.0, a
            assert whole == pytest.approx(a["energy"]["extra_kwh"], rel=0.01), a["mode"]
            deg = sum(d for t, d in diff.items() if a["degrading_start"] <= t < a["failure_time"]) * DT / 3600
            assert deg == pytest.approx(a["energy"]["extra_kwh_degrading"], rel=0.01), a["mode"]
            assert a["energy"]["extra_kwh_degrading"] > 0.5 * a["energy"]["extra_kwh"]  # most of it late
            checked += 1
        else:  # a cooling loss and a healthy machine draw exactly the twin's power
            assert a["energy"]["extra_kwh"] == 0.0
            assert all(abs(d) < 1e-9 for d in diff.values())
        hourly = [r for r in labels if r["type"] == "extra_energy" and r["asset_id"] == aid]
        if a["mode"] is None:
            assert not hourly
            continue
        assert sum(r["energy_kwh"] for r in hourly) == pytest.approx(a["energy"]["extra_kwh"], abs=1e-4)
        assert hourly[0]["start"] <= a["onset"] < hourly[0]["end"]
        assert hourly[-1]["end"] >= a["events_end"]
        for r in hourly:  # each hour against the readings of that hour
            got = sum(d for t, d in diff.items() if r["start"] <= t < r["end"]) * DT / 3600
            assert got == pytest.approx(r["energy_kwh"], rel=0.03, abs=2e-3)
    assert checked == len(LOSSY)


def test_consumption_is_the_integral_of_the_readings_power(runs):
    (events, labels), _ = runs
    faulty = _by_asset(events)
    for aid, a in _assets(labels).items():
        got = sum(power_kw(e) for e in faulty[aid].values()) * DT / 3600
        assert got == pytest.approx(a["energy"]["consumption_kwh"], rel=0.003)


def test_mechanical_losses_enter_as_shaft_power_growing_with_the_law(runs):
    """Extra input power = extra shaft power s x extra_loss_pct % of rated output over the motor's
    marginal efficiency (0.97-1.0 of it in the twin's motor model), while running."""
    (events, labels), (twin, _) = runs
    faulty, healthy = _by_asset(events), _by_asset(twin)
    for aid, a in _assets(labels).items():
        if a["mode"] not in LOSSY[:4]:
            continue
        t = np.array([epoch(x) for x in faulty[aid]])
        s = documented_severity(a["law"], life(a, t))
        extra = np.array([power_kw(e) - power_kw(healthy[aid][ts]) for ts, e in faulty[aid].items()])
        run = np.array([e["rpm"] > 0 for e in faulty[aid].values()])
        sel = run & (s > 0.3)
        ratio = extra[sel] / (s[sel] * a["energy"]["extra_loss_pct"] / 100 * RATED_KW[aid[:3]])
        assert 1.0 < np.median(ratio) < 1.06, (a["mode"], np.median(ratio))
        assert np.all(np.abs(extra[~run]) < 1e-9)  # a stopped machine loses nothing


def test_an_electrical_fault_draws_its_losses_with_more_current_and_a_lower_power_factor(runs):
    (events, labels), (twin, _) = runs
    faulty, healthy = _by_asset(events), _by_asset(twin)
    a = next(x for x in _assets(labels).values() if x["mode"] == "electrical")
    late = [t for t in faulty[a["asset_id"]] if a["degrading_start"] <= t < a["failure_time"]]
    late = [t for t in late if faulty[a["asset_id"]][t]["rpm"] > 0]
    f = [faulty[a["asset_id"]][t] for t in late]
    h = [healthy[a["asset_id"]][t] for t in late]
    assert np.median([x["current_a"] / y["current_a"] for x, y in zip(f, h, strict=True)]) > 1.03
    assert np.median([y["power_factor"] - x["power_factor"] for x, y in zip(f, h, strict=True)]) > 0.01
    assert np.median([power_kw(x) - power_kw(y) for x, y in zip(f, h, strict=True)]) > 0
    # its losses heat the frame
    assert np.median([x["temperature_c"] - y["temperature_c"] for x, y in zip(f, h, strict=True)]) > 0.5


def test_idle_labels_are_the_running_readings_below_the_idle_load_factor(runs):
    (events, labels), _ = runs
    faulty = _by_asset(events)
    rated_kw = {aid: RATED_KW[aid[:3]] for aid in faulty}
    for aid, a in _assets(labels).items():
        share = a["energy"]["idle_load_factor"]
        assert share == 0.30
        spans = [r for r in labels if r["type"] == "idle" and r["asset_id"] == aid]
        assert sum(r["energy_kwh"] for r in spans) == pytest.approx(a["energy"]["idle_kwh"], abs=1e-4)
        inside = set()
        for r in spans:
            ts = [t for t in faulty[aid] if r["start"] <= t < r["end"]]
            assert len(ts) == round((epoch(r["end"]) - epoch(r["start"])) / DT)
            inside.update(ts)
            got = sum(power_kw(faulty[aid][t]) for t in ts) * DT / 3600
            assert got == pytest.approx(r["energy_kwh"], rel=0.03)
        for t, e in faulty[aid].items():
            lf = power_kw(e) / rated_kw[aid]  # CONTRACTS §6.3 load_factor
            running = e["current_a"] > 0
            if t in inside:
                assert running and lf < share * 1.04, (aid, t, lf)
            elif running:
                assert lf >= share * 0.96, (aid, t, lf)
        hours = a["energy"]["idle_hours"]
        assert hours == pytest.approx(len(inside) * DT / 3600)
        assert hours > 8  # changeovers, meal breaks and idle spells over 8 days


def test_idle_spells_and_the_idle_threshold_are_configurable():
    base = _doc(faults=[], assets=[{"type": "motor", "count": 2}], duration_days=7)
    _, default = _run(base)
    _, no_spells = _run({**base, "schedule": {"idle_spells_per_week": 0}})
    _, many = _run({**base, "schedule": {"idle_spells_per_week": 10}})
    _, wider = _run({**base, "energy": {"idle_load_factor": 0.7}})
    _, none = _run({**base, "energy": {"idle_load_factor": 0.05}})

    def hours(labels):
        return [a["energy"]["idle_hours"] for a in _assets(labels).values()]

    assert all(x > y for x, y in zip(hours(many), hours(no_spells), strict=True))
    assert all(x >= y for x, y in zip(hours(default), hours(no_spells), strict=True))
    assert all(x > y for x, y in zip(hours(wider), hours(default), strict=True))
    assert hours(none) == [0.0, 0.0]
