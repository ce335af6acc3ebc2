"""RUL through assessments_run: the vibration channel uses only the hours in which the machine runs
(docs/CONTRACTS.md §11.1), over both store backends."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest

from assessment.models import Assessment
from assessment.services import assessments_run
from assessment.services.grid.clock import from_us
from assessment.services.grid.rul import HourlyMedians
from tests.assessment.synth import T0, Scenario, make_baseline, write_scenario

H = timedelta(hours=1)
HOUR_US = 3_600_000_000
C_PER_H = 0.05  # growth rate of the defect amplitude, 1/h
B = math.sqrt(4.5**2 - 1.0) * math.exp(-C_PER_H * 100.0)  # reaches C/D (4.5 mm/s) at 100 h


def stopped(h: float) -> bool:
    """Off from 10:00 to 18:00 every day."""
    return 10.0 <= h % 24.0 < 18.0


def degrading_with_daily_stops() -> Scenario:
    return Scenario(
        # a defect added in quadrature to the healthy 1.0 mm/s; a stopped machine shows background
        vibration=lambda h: 0.1 if stopped(h) else math.hypot(1.0, B * math.exp(C_PER_H * h)),
        current=lambda h: 0.0 if stopped(h) else 20.0,  # rated 28 A
        noise=0.02,
    )


def test_rul_fits_only_running_hours(store, pump):
    make_baseline(pump, T0 - 12 * H, T0)
    write_scenario(store, pump.asset_id, T0, T0 + 80 * H, degrading_with_daily_stops(), scored_from=T0)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 80 * H)
    latest = Assessment.objects.filter(asset=pump).order_by("as_of").last()
    assert latest.evaluated_at == T0 + 79 * H + timedelta(minutes=50)
    truth = (100.0 - 79.0) / 24.0  # from the whole hour 79:00, days
    assert (latest.rul_channel, latest.rul_method, latest.rul_reason) == ("vibration", "exponential", None)
    assert latest.rul_days == pytest.approx(truth, rel=0.2)
    assert latest.rul_low_days <= latest.rul_days <= latest.rul_high_days
    detail = latest.inputs["rul"]
    assert detail["computed_at"].startswith((T0 + 79 * H).strftime("%Y-%m-%dT%H"))
    # hours 0..78 completed before 79:00, minus the 24 stopped hours (10-18 h of days 0, 1, 2)
    assert detail["vibration"]["n_points"] == 79 - 24
    # the health channel is still in the Low-risk band: no prognosis from it
    assert latest.health_score >= 80
    assert detail["health"]["reason"] == "no_degrading_trend"


def test_hourly_medians_keep_hours_that_mostly_run():
    # hour 0: all running; hour 1: 2 of 4 running (kept, median of the running ones);
    # hour 2: 1 of 4 running (dropped); hour 3: none running (dropped)
    t = np.array([0, 15, 30, 45, 60, 75, 90, 105, 120, 135, 150, 165, 180, 195], dtype=np.int64) * 60_000_000
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 0.1, 7.0, 0.1, 0.1, 9.0, 0.1, 0.1, 0.1, 0.1])
    run = np.array([1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0], dtype=bool)
    hm = HourlyMedians(t, v, run)
    times, meds = hm.series(from_us(-1), from_us(4 * HOUR_US))
    assert meds.tolist() == [2.5, 6.0]
    assert times.tolist() == pytest.approx([0.5 / 24, 1.5 / 24])
    # without a running mask every point counts
    times, meds = HourlyMedians(t, v).series(from_us(-1), from_us(4 * HOUR_US))
    assert meds.tolist() == [2.5, 2.55, 0.1, 0.1]


RATED_A = 28.0  # the pump fixture's rated current
LOAD_K = 0.6  # d ln v / d load (per unit), the machine's vibration sensitivity to load


def load_current(h: float) -> float:
    """20 A (the baseline's median) except 02:00-06:00 each night and the last 14 hours: 11 A."""
    return 11.0 if (2.0 <= h % 24.0 < 6.0 or h >= 66.0) else 20.0


def degrading_with_load_changes() -> Scenario:
    def vibration(h: float) -> float:
        at_ref = math.hypot(1.0, B * math.exp(C_PER_H * h))
        return at_ref * math.exp(LOAD_K * (load_current(h) - 20.0) / RATED_A)

    return Scenario(vibration=vibration, current=load_current, noise=0.02)


def test_rul_is_at_the_reference_load_when_the_machine_runs_at_reduced_load(store, pump):
    """The last 14 hours run at 11 A instead of the baseline's 20 A, and the vibration is 17 % lower
    for it: the crossing of the machine at its usual load is still found (§11.2 step 5)."""
    assert pump.rated_current_a == RATED_A
    make_baseline(pump, T0 - 12 * H, T0)
    write_scenario(store, pump.asset_id, T0, T0 + 80 * H, degrading_with_load_changes(), scored_from=T0)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 80 * H)
    latest = Assessment.objects.filter(asset=pump).order_by("as_of").last()
    truth = (100.0 - 79.0) / 24.0
    assert (latest.rul_channel, latest.rul_method) == ("vibration", "exponential")
    assert latest.rul_days == pytest.approx(truth, rel=0.1)
    detail = latest.inputs["rul"]
    assert detail["rul_version"] == 5
    assert detail["load_ref_pu"] == pytest.approx(20.0 / RATED_A, rel=0.02)


def degrading_then_stopped() -> Scenario:
    """Degrading as above until hour 60, then stopped (no current, background vibration)."""
    return Scenario(
        vibration=lambda h: 0.1 if h >= 60.0 else math.hypot(1.0, B * math.exp(C_PER_H * h)),
        current=lambda h: 0.0 if h >= 60.0 else 20.0,
        noise=0.02,
    )


def test_rul_runs_on_through_a_standstill(store, pump):
    """§11.2, "Across a standstill": the calendar-time extrapolation from the last running hour is
    reported through the stop (from each whole hour, so it shrinks with the clock), not withdrawn."""
    make_baseline(pump, T0 - 12 * H, T0)
    write_scenario(store, pump.asset_id, T0, T0 + 80 * H, degrading_then_stopped(), scored_from=T0)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 80 * H)
    rows = Assessment.objects.filter(asset=pump)
    # the last running hour is [59, 60); at 79:00 it ended 19 h ago
    at60 = rows.filter(as_of__gte=T0 + 60 * H, as_of__lt=T0 + 61 * H).order_by("as_of").first()
    latest = rows.order_by("as_of").last()
    assert latest.inputs["rul"]["computed_at"].startswith((T0 + 79 * H).strftime("%Y-%m-%dT%H"))
    for a, h in ((at60, 60.0), (latest, 79.0)):
        assert (a.rul_channel, a.rul_method, a.rul_reason) == ("vibration", "exponential", None)
        assert a.rul_days == pytest.approx((100.0 - h) / 24.0, rel=0.2)
        assert a.inputs["rul"]["vibration"]["n_points"] == 60  # hours 0..59
    # the same fit, read 19 h later
    assert at60.rul_days - latest.rul_days == pytest.approx(19.0 / 24.0, abs=1e-6)
