"""The healthy power model's operating point (docs/CONTRACTS.md §18.8): a loss that lifts idle
running over the idle share is still compared with idle running."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from analytics.energy.blocks import IntervalInput, integrate
from analytics.energy.calendar import SiteCalendar
from analytics.energy.healthy import HealthyPowerModel, cell_keys
from ingestion.site_rules import DEFAULT_SHIFTS

CAL = SiteCalendar.build(timezone="Asia/Kolkata", shifts=list(DEFAULT_SHIFTS), weekly_off_days=[])
RATED_KW = 10.0
IDLE_BELOW_KW = 3.0  # 30 % of rated
T0 = int(datetime(2025, 1, 6, tzinfo=UTC).timestamp()) * 10**9
MINUTE = 60 * 10**9


def machine(days: int, extra_after_kw: float, window_days: int = 3) -> tuple[IntervalInput, np.ndarray, int]:
    """One reading a minute: 40 minutes loaded at 8 kW, 20 idle at 2.5 kW, every hour; after the
    window a fault adds ``extra_after_kw`` at every operating point."""
    n = days * 24 * 60
    t = T0 + np.arange(n, dtype=np.int64) * MINUTE
    minute = np.arange(n) % 60
    power = np.where(minute < 40, 8.0, 2.5)
    window_end = T0 + window_days * 86400 * 10**9
    power = power + np.where(t >= window_end, extra_after_kw, 0.0)
    running = np.ones(n, dtype=bool)
    idle = power < IDLE_BELOW_KW
    data = IntervalInput(
        t, power, power / 0.85, power * 0.6, np.zeros(n, bool), running, idle, np.full(n, np.nan)
    )
    return data, cell_keys(CAL, t, idle), window_end


def loss_after_window(extra_kw: float) -> tuple[float, float]:
    data, keys, window_end = machine(6, extra_kw)
    model = HealthyPowerModel.fit(data, keys, (T0, window_end))
    healthy = model.predict(keys, data.power_kw)
    healthy[data.t_ns < window_end] = np.nan
    from dataclasses import replace

    first = T0 // (1800 * 10**9)
    blocks = integrate(replace(data, healthy_kw=healthy), first, 6 * 48)
    lo = (window_end - T0) // (1800 * 10**9)
    loss = float((blocks.values["model_kwh"][lo:] - blocks.values["healthy_kwh"][lo:]).sum())
    hours = float(blocks.values["model_s"][lo:].sum()) / 3600.0
    return loss, hours


def test_a_healthy_machine_reads_no_loss():
    loss, hours = loss_after_window(0.0)
    assert hours > 70
    assert loss == pytest.approx(0.0, abs=1e-9)


def test_a_fixed_loss_that_lifts_idle_over_the_idle_share_reads_as_that_loss():
    """Idle at 2.5 kW + 0.7 kW = 3.2 kW is over the 3 kW idle share, so the idle rule calls it
    loaded; compared with the loaded mean (8 kW) it would read 4.8 kW of gain per idle hour.
    Its nearest healthy level is idle: every hour reads the 0.7 kW it lost."""
    loss, hours = loss_after_window(0.7)
    # the intervals that close on the first faulty reading straddle the step (half of it)
    assert loss == pytest.approx(0.7 * hours, rel=0.01)


def test_a_loaded_interval_in_a_cell_the_window_never_saw_is_not_estimated():
    data, keys, window_end = machine(4, 0.0)
    model = HealthyPowerModel.fit(data, keys, (T0, window_end))
    unseen = keys.copy()
    unseen[:] = 1000 * 1 + 0  # a weekly off day, loaded: never in the window
    assert np.isnan(model.predict(unseen, data.power_kw)).all()
