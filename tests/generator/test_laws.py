"""Degradation-law families: each has its documented shape, in the law and in the generated signals.

The expected curves come from the formulas of docs/generator.md, written out in
tests/generator/helpers.py (`documented_severity`), and are applied to the parameters the labels
carry; the signal checks compare a faulty fleet with its healthy twin (same seed, no faults).
"""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest

from generator.laws import FAMILIES, draw_law
from generator.output import write_simulation
from generator.scenario import build_fleet, stream_rng, validate_scenario
from tests.generator.helpers import documented_severity, epoch, life, parse_jsonl

U = np.linspace(-0.2, 1.25, 2901)
# the documented draw ranges (docs/generator.md, "Degradation laws")
DRAW_RANGES = {
    "exponential": {"rate": (3, 7)},
    "power_law": {"exponent": (1.5, 4)},
    "logistic": {"steepness": (8, 16), "midpoint": (0.45, 0.70)},
    "linear_accelerating": {"linear_share": (0.15, 0.35), "knee": (0.5, 0.75), "exponent": (2, 3)},
    "step_ramp": {"step_at": (0.15, 0.45), "step_height": (0.2, 0.45)},
    "intermittent": {
        "exponent": (1.2, 2),
        "quiet_level": (0.25, 0.5),
        "bursts_per_life": (15, 30),
        "burst_duration": (0.005, 0.02),
    },
}


def drawn(family: str, n: int = 25) -> list:
    return [draw_law(stream_rng(k, 7, 91), family=family) for k in range(n)]


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_follows_its_documented_formula_within_its_documented_ranges(family):
    for law in drawn(family):
        label = law.as_label()
        for name, (lo, hi) in DRAW_RANGES[family].items():
            assert lo <= label[name] <= hi, (name, label)
        np.testing.assert_allclose(law.severity(U), documented_severity(label, U), atol=1e-12)
        assert float(law.severity(0.0)) == 0.0
        assert float(law.severity(1.0)) == pytest.approx(1.0, abs=1e-12)  # failure: s = 1 in every law
        assert np.all(law.severity(U[U < 0]) == 0.0)  # healthy before onset


@pytest.mark.parametrize(
    "family", ["exponential", "power_law", "logistic", "linear_accelerating", "step_ramp"]
)
def test_the_smooth_and_stepped_families_never_recover(family):
    for law in drawn(family):
        assert np.all(np.diff(law.severity(U)) >= -1e-12)


@pytest.mark.parametrize("family", ["exponential", "power_law"])
def test_exponential_and_power_laws_accelerate_all_along(family):
    for law in drawn(family):
        s = law.severity(np.linspace(0, 1, 1001))
        assert np.all(np.diff(s, 2) >= -1e-12)  # convex
        assert s[500] < 0.36  # half-way through the life, at most ~a third of the way in severity


def test_a_logistic_law_is_steepest_at_its_midpoint_and_saturates_before_failure():
    for law in drawn("logistic"):
        m = law.as_label()["midpoint"]
        u = np.linspace(0, 1, 10_001)
        slope = np.gradient(law.severity(u), u)
        assert abs(u[np.argmax(slope)] - m) < 0.002
        assert slope[-1] < 0.5 * slope.max()  # flattening out before the trip


def test_a_linear_then_accelerating_law_is_straight_until_its_knee_then_bends_up():
    for law in drawn("linear_accelerating"):
        p = law.as_label()
        below = np.linspace(0.01, p["knee"] - 0.01, 50)
        np.testing.assert_allclose(law.severity(below), p["linear_share"] * below, rtol=1e-12)
        above = np.linspace(p["knee"] + 0.05, 1.0, 50)
        assert np.all(np.diff(law.severity(above), 2) > 0)


def test_a_step_ramp_law_jumps_by_its_height_at_its_step_then_grows_linearly():
    for law in drawn("step_ramp"):
        p = law.as_label()
        a, h = p["step_at"], p["step_height"]
        assert float(law.severity(a - 1e-9)) == 0.0
        assert float(law.severity(a)) == pytest.approx(h)
        ramp = np.linspace(a + 0.01, 1.0, 40)
        assert np.allclose(np.diff(law.severity(ramp), 2), 0.0, atol=1e-12)


def test_an_intermittent_law_bursts_more_often_toward_failure_and_fails_in_a_burst():
    early = late = 0
    for law in drawn("intermittent", 60):
        p = law.as_label()
        bursts = p["bursts"]
        assert bursts == sorted(bursts) and all(a < b for a, b in bursts)
        assert all(b0[1] < b1[0] for b0, b1 in itertools.pairwise(bursts))  # merged
        assert bursts[-1][0] <= 1 - p["burst_duration"] + 1e-9 and bursts[-1][1] == 1.25
        inside = np.array([a + 1e-6 for a, _ in bursts[:-1]])
        quiet = np.array([b + 1e-6 for _, b in bursts[:-1]])
        np.testing.assert_allclose(law.severity(inside), inside ** p["exponent"], rtol=1e-6)
        np.testing.assert_allclose(law.severity(quiet), p["quiet_level"] * quiet ** p["exponent"], rtol=1e-6)
        early += sum(a < 0.5 for a, _ in bursts)
        late += sum(0.5 <= a < 1.0 for a, _ in bursts)
    assert late > 1.5 * early  # intensity 1 + 3u: 1.86 x as many in the second half (before merging)


def test_the_family_is_drawn_from_the_seed_and_every_family_occurs():
    doc = {
        "seed": 0,
        "start": "2025-01-06T00:00:00Z",
        "duration_days": 10,
        "assets": [{"type": "motor", "count": 6}],
        "faults": [{"asset": i, "mode": "imbalance"} for i in range(6)],
    }
    seen = {}
    for seed in range(30):
        fleet = build_fleet(validate_scenario({**doc, "seed": seed}))
        again = build_fleet(validate_scenario({**doc, "seed": seed}))
        assert [f.law for f in fleet.faults.values()] == [f.law for f in again.faults.values()]
        for f in fleet.faults.values():
            seen[f.law.family] = seen.get(f.law.family, 0) + 1
    assert set(seen) == set(FAMILIES)
    assert min(seen.values()) >= 10  # 180 draws, 30 expected per family


def test_a_scenario_fixes_a_family_its_parameters_or_the_families_drawn_from():
    base = {
        "seed": 4,
        "start": "2025-01-06T00:00:00Z",
        "duration_days": 10,
        "assets": [{"type": "motor", "count": 3}],
    }
    fleet = build_fleet(
        validate_scenario(
            {
                **base,
                "faults": [
                    {"asset": 0, "mode": "imbalance", "law": "logistic"},
                    {"asset": 1, "mode": "electrical", "law": {"family": "step_ramp", "step_at": 0.3}},
                    {"asset": 2, "mode": "overheating"},
                ],
            }
        )
    )
    assert fleet.faults[0].law.family == "logistic"
    assert fleet.faults[1].law.as_label()["step_at"] == 0.3
    drawn_height = fleet.faults[1].law.as_label()["step_height"]
    assert 0.2 <= drawn_height <= 0.45
    unfixed = build_fleet(
        validate_scenario({**base, "faults": [{"asset": 1, "mode": "electrical", "law": "step_ramp"}]})
    )
    assert unfixed.faults[1].law.as_label()["step_height"] == drawn_height  # fixing one changes no other
    only = build_fleet(
        validate_scenario(
            {
                **base,
                "degradation": {"families": ["intermittent", "power_law"]},
                "faults": [{"asset": i, "mode": "misalignment"} for i in range(3)],
            }
        )
    )
    assert {f.law.family for f in only.faults.values()} <= {"intermittent", "power_law"}


# ----------------------------------------------------------------- the laws in the generated signals

SIGNAL_DAYS = 12.0


def _signal_fleets(mode: str, families: tuple[str, ...]) -> tuple[list[dict], list[dict], list[dict]]:
    doc = {
        "seed": 31,
        "start": "2025-02-03T00:00:00Z",
        "duration_days": SIGNAL_DAYS,
        "interval_s": 300,
        "assets": [{"type": "motor", "count": len(families)}],
        "faults": [
            {"asset": i, "mode": mode, "law": fam, "onset_days": 2.0, "time_to_failure_days": 8.0}
            for i, fam in enumerate(families)
        ],
    }
    out = []
    for d in (doc, {**doc, "faults": []}):
        ev, lab = io.BytesIO(), io.BytesIO()
        write_simulation(build_fleet(validate_scenario(d)), ev, lab, labels_format="intervals")
        out.append((parse_jsonl(ev.getvalue()), parse_jsonl(lab.getvalue())))
    (faulty, labels), (twin, _) = out
    return faulty, twin, [r for r in labels if r["type"] == "asset"]


def _paired(faulty, twin, aid):
    f = [e for e in faulty if e["asset_id"] == aid]
    t = {e["timestamp"]: e for e in twin if e["asset_id"] == aid}
    return f, [t[e["timestamp"]] for e in f]


def _compare_shape(label, times, estimate):
    """The estimate normalised by its level just before failure against the documented s(u)."""
    u = life(label, times)
    expected = documented_severity(label["law"], u)
    ref = np.median(estimate[(u > 0.96) & (u < 1.0)])
    got = estimate / ref
    sel = (u > 0.05) & (u < 1.0)
    err = np.abs(got[sel] - expected[sel])
    return float(np.median(err)), float(np.corrcoef(got[sel], expected[sel])[0, 1])


@pytest.fixture(scope="module")
def imbalance_fleets():
    return _signal_fleets("imbalance", FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_the_1x_vibration_of_an_imbalance_follows_its_law(imbalance_fleets, family):
    """1x grows in quadrature with s: (1x_faulty / 1x_healthy twin)^2 - 1 is proportional to s^2."""
    faulty, twin, labels = imbalance_fleets
    label = next(a for a in labels if a["law"]["family"] == family)
    f, h = _paired(faulty, twin, label["asset_id"])
    run = np.array([e["rpm"] > 0 for e in f])
    times = np.array([epoch(e["timestamp"]) for e in f])[run]
    r = np.array([a["vibration_1x_mm_s"] / b["vibration_1x_mm_s"] for a, b in zip(f, h, strict=True)])[run]
    estimate = np.sqrt(np.maximum(r * r - 1.0, 0.0))
    med_err, corr = _compare_shape(label, times, estimate)
    assert med_err < 0.03, (family, med_err)  # another law's curve is 0.035-0.4 away
    assert corr > 0.98, (family, corr)


@pytest.fixture(scope="module")
def electrical_fleets():
    return _signal_fleets("electrical", ("logistic", "step_ramp", "intermittent"))


@pytest.mark.parametrize("family", ["logistic", "step_ramp", "intermittent"])
def test_the_extra_reactive_current_of_an_electrical_fault_follows_its_law(electrical_fleets, family):
    """The fault's reactive current I sin(phi), over the healthy twin's, grows with s."""
    faulty, twin, labels = electrical_fleets
    label = next(a for a in labels if a["law"]["family"] == family)
    f, h = _paired(faulty, twin, label["asset_id"])
    prev = [False] + [e["rpm"] > 0 for e in f[:-1]]
    steady = np.array([e["rpm"] > 0 and p for e, p in zip(f, prev, strict=True)])  # no start-up sample

    def iq(e):
        return e["current_a"] * np.sqrt(1.0 - e["power_factor"] ** 2)

    times = np.array([epoch(e["timestamp"]) for e in f])[steady]
    estimate = np.array([iq(a) - iq(b) for a, b in zip(f, h, strict=True)])[steady]
    med_err, corr = _compare_shape(label, times, estimate)
    assert med_err < 0.02, (family, med_err)  # another law's curve is 0.07-0.34 away
    assert corr > 0.995, (family, corr)
