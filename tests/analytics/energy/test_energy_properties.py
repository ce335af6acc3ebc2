"""Properties of the energy math (hypothesis): scaling, unity PF, splitting, arrival order."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.energy.blocks import BLOCK_NS, QUANTITIES, IntervalInput, integrate
from analytics.energy.calendar import SiteCalendar
from analytics.energy.ledger import billing_range, ledger_build
from analytics.energy.summary import summarize
from analytics.energy.tariff import TariffVersion
from ingestion.site_rules import DEFAULT_SHIFTS

CAL = SiteCalendar.build(timezone="Asia/Kolkata", shifts=list(DEFAULT_SHIFTS), weekly_off_days=["sunday"])
T0 = 1_736_942_400 * 10**9  # 2025-01-15T12:00:00Z, a block boundary
FIRST = T0 // BLOCK_NS
VARIABLE = TariffVersion.from_mapping(
    {
        "effective_from": "2020-01-01",
        "billing_basis": "kvah",
        "energy_rate": 7.5,
        "tod_slots": [{"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.4}],
        "pf_reference": 0.95,
        "pf_incentive_pct_per_step": 0.5,
        "pf_penalty_pct_per_step": 0.5,
        "pf_penalty_threshold": 0.9,
        "pf_steep_penalty_pct_per_step": 1.0,
        "demand_rate_per_kva": 300.0,
    }
)


@st.composite
def series(draw, max_events: int = 40):
    n = draw(st.integers(2, max_events))
    steps = draw(st.lists(st.integers(1, 1500), min_size=n - 1, max_size=n - 1))  # seconds apart
    t = (
        T0
        + np.concatenate([[0], np.cumsum(steps)]).astype(np.int64) * 10**9
        + draw(st.integers(0, 3600)) * 10**9
    )
    s = np.array(draw(st.lists(st.floats(0.0, 500.0), min_size=n, max_size=n)))
    pf = np.array(draw(st.lists(st.floats(0.05, 1.0), min_size=n, max_size=n)))
    gap = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    running = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return IntervalInput(
        t, s * pf, s, s * np.sqrt(1 - pf * pf), gap, running, running & (s < 50), np.full(n, np.nan)
    )


def scaled(data: IntervalInput, k: float) -> IntervalInput:
    return IntervalInput(
        data.t_ns, data.power_kw * k, data.apparent_kva * k, data.reactive_kvar * k,
        data.gap, data.running, data.idle, data.healthy_kw,
    )  # fmt: skip


def month_cost(data: IntervalInput) -> dict:
    lo, hi = billing_range(CAL, FIRST, FIRST + 1)
    ledger = ledger_build(
        site="s",
        calendar=CAL,
        grid_factor_t_per_mwh=0.727,
        blocks=integrate(data, lo, hi - lo),
        versions=[VARIABLE],
        contract_demand_kva=None,
        stand_alone=False,
    )
    return summarize(ledgers=[ledger], calendar=CAL, first=lo, end=hi, bucket="day", n_assets=1)["totals"]


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-9


@settings(max_examples=60, deadline=None)
@given(series(), st.floats(0.01, 100.0))
def test_scaling_power_by_k_scales_energy_and_variable_cost_by_k(data, k):
    one, many = month_cost(data), month_cost(scaled(data, k))
    for key in ("energy_kwh", "apparent_energy_kvah", "reactive_energy_kvarh", "max_demand_kva"):
        assert close(many[key], None if one[key] is None else k * one[key]), key
    for key in ("energy", "time_of_day", "pf_adjustment", "demand", "total"):
        assert close(many["cost"][key], None if one["cost"][key] is None else k * one["cost"][key]), key


@settings(max_examples=60, deadline=None)
@given(series())
def test_unity_power_factor_gives_kvah_equal_to_kwh(data):
    unity = IntervalInput(
        data.t_ns, data.apparent_kva, data.apparent_kva, np.zeros(len(data.t_ns)),
        data.gap, data.running, data.idle, data.healthy_kw,
    )  # fmt: skip
    blocks = integrate(unity, FIRST - 2, 10)
    assert blocks.values["kvah"].tolist() == blocks.values["kwh"].tolist()
    assert not blocks.values["kvarh"].any()


@settings(max_examples=40, deadline=None)
@given(series(), st.integers(1, 5))
def test_splitting_a_period_never_changes_its_totals(data, cut):
    lo, hi = billing_range(CAL, FIRST, FIRST + 1)
    ledger = ledger_build(
        site="s",
        calendar=CAL,
        grid_factor_t_per_mwh=0.727,
        blocks=integrate(data, lo, hi - lo),
        versions=[VARIABLE],
        contract_demand_kva=40.0,
        stand_alone=False,
    )
    a, b, c = FIRST - 2, FIRST + cut, FIRST + 8

    def totals(x, y):
        return summarize(ledgers=[ledger], calendar=CAL, first=x, end=y, bucket="hour", n_assets=1)["totals"]

    whole, left, right = totals(a, c), totals(a, b), totals(b, c)
    for key in ("energy_kwh", "apparent_energy_kvah", "running_h", "idle_energy_kwh", "co2_t"):
        assert close(whole[key] or 0.0, (left[key] or 0.0) + (right[key] or 0.0)), key
    for key in ("energy", "time_of_day", "pf_adjustment", "demand", "fixed", "total"):
        assert close(whole["cost"][key] or 0.0, (left["cost"][key] or 0.0) + (right["cost"][key] or 0.0)), key
    assert close(whole["coverage"]["gap_h"], left["coverage"]["gap_h"] + right["coverage"]["gap_h"])


def window_input(data: IntervalInput, w0: int, w1: int) -> IntervalInput:
    """What the rollup service reads for a window: its events plus the one before and after."""
    t = data.t_ns
    lo = max(int(np.searchsorted(t, w0, side="left")) - 1, 0)
    hi = min(int(np.searchsorted(t, w1, side="left")) + 1, len(t))
    cut = slice(lo, hi)
    return IntervalInput(*(getattr(data, f)[cut] for f in data.__dataclass_fields__))


@settings(max_examples=60, deadline=None)
@given(series(), st.lists(st.integers(1, 4), min_size=1, max_size=8), st.randoms())
def test_the_order_batches_arrive_in_never_changes_rollups(data, widths, rnd):
    """Hours recomputed window by window, in any order, equal one pass over everything, bit for bit."""
    n_blocks = 2 * sum(widths)
    first = FIRST - 2
    whole = integrate(data, first, n_blocks)
    windows = []
    start = first
    for w in widths:
        windows.append((start, start + 2 * w))
        start += 2 * w
    rnd.shuffle(windows)
    pieces = {}
    for b0, b1 in windows:
        part = integrate(window_input(data, b0 * BLOCK_NS, b1 * BLOCK_NS), b0, b1 - b0)
        pieces[b0] = part
    for name in QUANTITIES:
        joined = np.concatenate([pieces[b0].values[name] for b0 in sorted(pieces)])
        assert joined.tolist() == whole.values[name].tolist(), name
