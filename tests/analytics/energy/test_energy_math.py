"""Energy math against hand-computed numbers (docs/CONTRACTS.md §18, 1e-9 relative)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from analytics.energy.blocks import IntervalInput, blocks_from_hours, hour_fields, integrate
from analytics.energy.calendar import SiteCalendar, block_of
from analytics.energy.ledger import billing_range, ledger_build
from analytics.energy.summary import summarize
from analytics.energy.tariff import TariffVersion, pf_adjustment, pf_billed
from ingestion.site_rules import DEFAULT_SHIFTS
from tests.analytics.energy import worked_example as wx

CAL = SiteCalendar.build(timezone="Asia/Kolkata", shifts=list(DEFAULT_SHIFTS), weekly_off_days=["sunday"])
DAY = date(2025, 1, 15)


def approx(x: float):
    return pytest.approx(x, rel=wx.REL, abs=1e-12)


def series_input(points: list[tuple[datetime, float, float]], gaps: set[int] = frozenset()) -> IntervalInput:
    """Events (time, S kVA, PF) of a single-phase machine rated 20 kW; ``gaps``: rows whose
    closing interval the features marked as a gap."""
    t = np.array([int(p[0].timestamp()) * 10**9 for p in points], dtype=np.int64)
    s = np.array([p[1] for p in points])
    pf = np.array([p[2] for p in points])
    p = s * pf
    q = s * np.sqrt(1 - pf * pf)
    n = len(points)
    gap = np.array([i in gaps for i in range(n)])
    running = np.ones(n, dtype=bool)
    return IntervalInput(t, p, s, q, gap, running, p < 6.0, np.full(n, np.nan))


def example_input() -> IntervalInput:
    return series_input([(wx.local(DAY, m), 250 * amps / 1000, 0.8) for m, amps in wx.SERIES])


def site_ledger(
    data: IntervalInput, versions: list[TariffVersion], *, stand_alone: bool = False, contract=40.0
):
    first = block_of(wx.local(DAY, 0))
    lo, hi = billing_range(CAL, first, first + 1)
    blocks = integrate(data, lo, hi - lo)
    return ledger_build(
        site="main",
        calendar=CAL,
        grid_factor_t_per_mwh=0.727,
        blocks=blocks,
        versions=versions,
        contract_demand_kva=contract,
        stand_alone=stand_alone,
    )


def month_summary(ledger, bucket: str = "month") -> dict:
    lo, hi = wx.month_bounds(DAY)
    return summarize(
        ledgers=[ledger], calendar=CAL, first=block_of(lo), end=block_of(hi), bucket=bucket, n_assets=1
    )


TARIFF = TariffVersion.from_mapping(wx.TARIFF)


def test_worked_example_blocks_match_the_hand_computed_kvah_per_block():
    first = block_of(wx.local(DAY, 0))
    blocks = integrate(example_input(), first, 4)
    assert blocks.values["kvah"].tolist() == [approx(x) for x in wx.BLOCK_KVAH]
    assert blocks.values["kwh"].tolist() == [approx(0.8 * x) for x in wx.BLOCK_KVAH]
    assert blocks.values["kvarh"].tolist() == [approx(0.6 * x) for x in wx.BLOCK_KVAH]
    assert blocks.values["covered_s"].tolist() == [1800.0] * 4
    assert blocks.values["running_s"].tolist() == [1800.0] * 4
    assert blocks.values["idle_s"].tolist() == [0.0] * 4


def test_worked_example_site_month_totals_and_cost():
    result = month_summary(site_ledger(example_input(), [TARIFF]))
    totals = result["totals"]
    assert totals["energy_kwh"] == approx(wx.TOTAL_KWH)
    assert totals["apparent_energy_kvah"] == approx(wx.TOTAL_KVAH)
    assert totals["reactive_energy_kvarh"] == approx(wx.TOTAL_KVARH)
    assert totals["power_factor"] == approx(0.8)
    assert totals["max_demand_kva"] == approx(wx.MAX_DEMAND_KVA)
    assert totals["max_demand_at"] == datetime(2025, 1, 15, 12, 30, tzinfo=UTC)  # 18:00 IST: peak slot
    assert totals["load_factor"] == approx(wx.LOAD_FACTOR)
    assert totals["running_h"] == approx(2.0)
    assert totals["co2_t"] == approx(wx.CO2_T)
    cost = totals["cost"]
    assert cost["energy"] == approx(wx.ENERGY_CHARGE)
    assert cost["time_of_day"] == approx(wx.TOD_CHARGE)
    assert cost["pf_adjustment"] == approx(wx.PF_ADJUSTMENT)
    assert cost["demand"] == approx(wx.SITE_DEMAND_CHARGE)
    assert cost["fixed"] == approx(wx.FIXED_CHARGE)
    assert cost["total"] == approx(wx.SITE_MONTH_TOTAL)
    assert totals["coverage"] == {
        "period_h": 744.0,
        "assets": 1,
        "asset_hours": 744.0,
        "covered_h": approx(2.0),
        "gap_h": approx(742.0),
    }
    (month,) = result["billing_months"]
    assert (month["month"], month["pf_billed"], month["pf_adjustment_pct"]) == ("2025-01", 0.8, 12.5)
    assert month["billing_demand_kva"] == approx(30.0)
    assert month["pf_slabs"] == ["5 step(s) below 0.95: +0.5 % each", "10 step(s) below 0.90: +1 % each"]


def test_worked_example_by_hour_carries_each_hour_its_share():
    hours = [
        b for b in month_summary(site_ledger(example_input(), [TARIFF]), "hour")["series"] if b["energy_kwh"]
    ]
    assert [h["label"] for h in hours] == ["2025-01-15 17:00", "2025-01-15 18:00"]
    assert [h["apparent_energy_kvah"] for h in hours] == [approx(12.5), approx(85 / 6)]
    assert [h["cost"]["energy"] for h in hours] == [approx(100.0), approx(340 / 3)]
    assert [h["cost"]["time_of_day"] for h in hours] == [approx(0.0), approx(170 / 3)]
    assert [h["cost"]["pf_adjustment"] for h in hours] == [approx(12.5), approx(21.25)]
    assert [h["cost"]["demand"] for h in hours] == [approx(10_500 / 744)] * 2
    assert [h["cost"]["fixed"] for h in hours] == [approx(2000 / 744)] * 2
    assert [h["max_demand_kva"] for h in hours] == [approx(15.0), approx(55 / 3)]


def test_asset_cost_is_metered_alone_own_demand_no_contract_minimum_no_fixed():
    cost = month_summary(site_ledger(example_input(), [TARIFF], stand_alone=True))["totals"]["cost"]
    assert cost["demand"] == approx(wx.ASSET_DEMAND_CHARGE)
    assert cost["fixed"] is None
    assert cost["total"] == approx(270.0 + 33.75 + wx.ASSET_DEMAND_CHARGE)


def test_kwh_billing_charges_active_energy():
    kwh_tariff = replace(TARIFF, billing_basis="kwh")
    cost = month_summary(site_ledger(example_input(), [kwh_tariff]))["totals"]["cost"]
    assert cost["energy"] == approx(512 / 3)  # 8 x 64/3
    assert cost["time_of_day"] == approx(136 / 3)  # 8 x 0.5 x (22/3 + 4)
    assert cost["pf_adjustment"] == approx(27.0)  # 12.5 % of 216
    assert cost["total"] == approx(512 / 3 + 136 / 3 + 27.0 + 10_500 + 2000)


def test_pf_incentive_above_the_reference_is_credited():
    one_hour = [(wx.local(DAY, m) - timedelta(hours=4), 10.0, 0.98) for m in range(0, 61, 10)]
    tariff = TariffVersion.from_mapping(
        {
            "effective_from": "2020-01-01",
            "energy_rate": 7.0,
            "pf_reference": 0.95,
            "pf_incentive_pct_per_step": 0.5,
        }
    )
    cost = month_summary(site_ledger(series_input(one_hour), [tariff], contract=None))["totals"]["cost"]
    assert cost["energy"] == approx(68.6)  # 7 x 9.8 kWh
    assert cost["pf_adjustment"] == approx(-1.029)  # 3 steps above 0.95 x 0.5 % = -1.5 %
    assert cost["total"] == approx(68.6 - 1.029)


@pytest.mark.parametrize(
    ("pf", "billed", "pct"),
    [
        (0.98, 0.98, -1.5),  # incentive: 3 steps x 0.5
        (0.95, 0.95, 0.0),
        (0.93, 0.93, 1.0),  # 2 steps x 0.5
        (0.90, 0.90, 2.5),
        (0.88, 0.88, 4.5),  # 5 x 0.5 + 2 x 1.0: below the second threshold
        (0.80, 0.80, 12.5),
        (0.9449, 0.94, 0.5),
        (0.945, 0.95, 0.0),  # halves round up
        (1.0, 1.0, -2.5),
    ],
)
def test_pf_slabs_by_hand(pf, billed, pct):
    adjustment = pf_adjustment(TARIFF, pf * 100.0, 100.0)
    assert adjustment.pf_billed == billed
    assert adjustment.pct == approx(pct)


def test_pf_without_second_threshold_keeps_the_normal_rate_all_the_way_down():
    tariff = replace(TARIFF, pf_penalty_threshold=None, pf_steep_penalty_pct_per_step=0.0)
    assert pf_adjustment(tariff, 80.0, 100.0).pct == approx(7.5)  # 15 steps x 0.5


def test_pf_billed_rounds_half_up_from_the_shortest_decimal():
    assert pf_billed(0.945) == 0.95 and pf_billed(0.9449999) == 0.94 and pf_billed(0.955) == 0.96


def test_month_with_a_data_gap_integrates_only_the_data_and_charges_the_month():
    """10:00-11:00 IST and 14:00-15:00 IST; the 3 h between is a gap (longer than max_gap)."""
    morning = [(wx.local(DAY, m) - timedelta(hours=7), 10.0, 0.8) for m in range(0, 61, 10)]
    afternoon = [(wx.local(DAY, m) - timedelta(hours=3), 10.0, 0.8) for m in range(0, 61, 10)]
    data = series_input(morning + afternoon, gaps={len(morning)})
    totals = month_summary(site_ledger(data, [TARIFF]))["totals"]
    assert totals["energy_kwh"] == approx(16.0)
    assert totals["coverage"]["covered_h"] == approx(2.0)
    assert totals["coverage"]["gap_h"] == approx(742.0)
    assert totals["load_factor"] == approx(1.0)
    cost = totals["cost"]
    assert cost["energy"] == approx(160.0)  # 8 x 20 kVAh, only where measured
    assert cost["time_of_day"] == approx(0.0)
    assert cost["demand"] == approx(10_500.0) and cost["fixed"] == approx(2000.0)


def test_tod_slot_across_midnight_in_site_time():
    """23:00-01:00 IST lies in the night slot (22:00-06:00, 0.75x) and spans two site days."""
    night = [
        (datetime(2025, 1, 15, 23, tzinfo=wx.IST) + timedelta(minutes=m), 10.0, 0.8)
        for m in range(0, 121, 10)
    ]
    tariff = replace(TARIFF, billing_basis="kwh", pf_reference=None)
    result = month_summary(site_ledger(series_input(night), [tariff]), "day")
    cost = result["totals"]["cost"]
    assert cost["energy"] == approx(128.0)  # 8 x 16 kWh
    assert cost["time_of_day"] == approx(-32.0)  # -0.25 x 128
    days = [(d["label"], d["energy_kwh"]) for d in result["series"] if d["energy_kwh"]]
    assert days == [("2025-01-15", approx(8.0)), ("2025-01-16", approx(8.0))]
    # 05:00-07:00 IST: the night slot ends at 06:00 site time (00:30Z)
    dawn = [
        (datetime(2025, 1, 16, 5, tzinfo=wx.IST) + timedelta(minutes=m), 10.0, 0.8) for m in range(0, 121, 10)
    ]
    cost = month_summary(site_ledger(series_input(dawn), [tariff]))["totals"]["cost"]
    assert cost["time_of_day"] == approx(-16.0)  # 8 kWh before 06:00 at -0.25 x 8


def test_shift_buckets_follow_site_shifts_and_a_night_shift_belongs_to_its_start_day():
    around = [
        (datetime(2025, 1, 15, 21, tzinfo=wx.IST) + timedelta(minutes=m), 10.0, 0.8)
        for m in range(0, 601, 10)
    ]
    result = month_summary(site_ledger(series_input(around), [TARIFF]), "shift")
    shifts = [(b["label"], b["energy_kwh"], b["start_local"]) for b in result["series"] if b["energy_kwh"]]
    assert shifts == [
        ("2025-01-15 B", approx(8.0), "2025-01-15T14:00:00+05:30"),
        ("2025-01-15 C", approx(64.0), "2025-01-15T22:00:00+05:30"),
        ("2025-01-16 A", approx(8.0), "2025-01-16T06:00:00+05:30"),
    ]


def test_interval_crossing_a_block_boundary_is_split_on_its_straight_line():
    t0 = datetime(2025, 1, 15, 11, 20, tzinfo=UTC)
    data = series_input([(t0, 10.0, 1.0), (t0 + timedelta(minutes=20), 30.0, 1.0)])  # 10 -> 30 kW over 20 min
    blocks = integrate(data, block_of(t0), 2)
    # 11:20-11:30: 10 -> 20 kW over 1/6 h = 2.5 kWh; 11:30-11:40: 20 -> 30 kW = 25/6 kWh
    assert blocks.values["kwh"].tolist() == [approx(2.5), approx(25 / 6)]
    assert blocks.values["kvah"].tolist() == blocks.values["kwh"].tolist()  # PF 1
    assert blocks.values["covered_s"].tolist() == [600.0, 600.0]


def test_idle_running_is_running_below_the_site_share_of_rated_power():
    t0 = datetime(2025, 1, 15, 11, 30, tzinfo=UTC)
    data = series_input([(t0 + timedelta(minutes=m), 10.0 if m < 30 else 5.0, 1.0) for m in range(0, 61, 10)])
    blocks = integrate(data, block_of(t0), 2)
    # rated 20 kW, idle below 6 kW: an interval takes the state of its closing reading, so the
    # first block's last interval (10 -> 5 kW, closing at 12:00Z) is idle, and the second block
    assert blocks.values["idle_s"].tolist() == [600.0, 1800.0]
    assert blocks.values["idle_kwh"].tolist() == [approx(7.5 / 6), approx(2.5)]


def test_rollup_fields_round_trip_through_hourly_points():
    first = block_of(wx.local(DAY, 0))
    blocks = integrate(example_input(), first - first % 2, 6)
    hours = [(int((first - first % 2) // 2 + h), hour_fields(blocks, 2 * h)) for h in range(3)]
    back = blocks_from_hours(blocks.first, 6, hours)
    for name, values in blocks.values.items():
        assert back.values[name].tolist() == values.tolist(), name


def test_period_without_data_gives_null_energy_not_zero():
    first = block_of(wx.local(DAY, 0))
    ledger = site_ledger(example_input(), [TARIFF])
    day_before = summarize(
        ledgers=[ledger], calendar=CAL, first=first - 48, end=first - 46, bucket="hour", n_assets=1
    )["totals"]
    assert day_before["energy_kwh"] is None and day_before["power_factor"] is None
    assert day_before["coverage"]["gap_h"] == 1.0
    assert day_before["cost"]["energy"] is None and day_before["cost"]["demand"] == approx(10_500 / 744)
