"""Daily rollups give the same day and month figures as the hourly rollups (docs/CONTRACTS.md
§18.3a, 1e-9 relative): on the worked example and the hand-computed cases, across a
daylight-saving change, and through the pipeline on a generator fleet on both stores."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.test import override_settings

from analytics.energy.blocks import QUANTITIES, Blocks, IntervalInput, integrate
from analytics.energy.calendar import SiteCalendar, block_of
from analytics.energy.days import day_edges, day_packed, days_from_packed
from analytics.energy.ledger import billing_range, ledger_build
from analytics.energy.rollups import rollup_blocks
from analytics.energy.selectors import energy_summary
from analytics.energy.services import energy_rollups_rebuild
from analytics.energy.summary import summarize
from analytics.energy.tariff import TariffVersion
from ingestion import services as ingest_services
from ingestion.models import Asset, Tenant
from ingestion.site_rules import DEFAULT_SHIFTS
from ingestion.timeseries import get_store
from tests.analytics.energy import worked_example as wx
from tests.analytics.energy.test_energy_math import CAL, DAY, TARIFF, example_input, series_input
from tests.analytics.fleet import healthy_fleet

EPOCH = datetime(2000, 1, 2, tzinfo=UTC)
FAR = datetime(2262, 1, 1, tzinfo=UTC)


def assert_same(a, b, path: str = "") -> None:
    """Equal structure; numbers equal to 1e-9 relative (sums taken in another order)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-9), path
    else:
        assert a == b, path


def both_summaries(data: IntervalInput, versions, calendar: SiteCalendar, lo: datetime, hi: datetime, **kw):
    """(from blocks, from packed days) summaries of [lo, hi) by day and by month."""
    first, end = block_of(lo), block_of(hi)
    b0, b1 = billing_range(calendar, first, end)
    blocks = integrate(data, b0, b1 - b0)
    edges = day_edges(calendar, b0, b1)
    packed = [day_packed(blocks, int(a), int(b), 24) for a, b in itertools.pairwise(edges)]
    days, hours = days_from_packed(edges, edges[:-1].tolist(), packed)
    assert hours == 24 * (len(edges) - 1)
    common = dict(
        site="main", calendar=calendar, grid_factor_t_per_mwh=0.727, versions=versions,
        contract_demand_kva=kw.get("contract", 40.0), stand_alone=kw.get("stand_alone", False),
    )  # fmt: skip
    by_block = ledger_build(blocks=blocks, **common)
    by_day = ledger_build(blocks=days.blocks(), days=days, **common)
    out = []
    for bucket in ("day", "month"):
        args = dict(calendar=calendar, first=first, end=end, bucket=bucket, n_assets=1)
        out.append((summarize(ledgers=[by_block], **args), summarize(ledgers=[by_day], **args)))
    return out


MONTH = wx.month_bounds(DAY)


def test_worked_example_from_daily_rollups_matches_the_hand_computation():
    for hourly, daily in both_summaries(example_input(), [TARIFF], CAL, *MONTH):
        assert_same(daily, hourly)
    (_, daily) = both_summaries(example_input(), [TARIFF], CAL, *MONTH)[1]
    totals = daily["totals"]
    assert totals["energy_kwh"] == pytest.approx(wx.TOTAL_KWH, rel=wx.REL)
    assert totals["max_demand_kva"] == pytest.approx(wx.MAX_DEMAND_KVA, rel=wx.REL)
    assert totals["max_demand_at"] == datetime(2025, 1, 15, 12, 30, tzinfo=UTC)
    assert totals["load_factor"] == pytest.approx(wx.LOAD_FACTOR, rel=wx.REL)
    assert totals["cost"]["time_of_day"] == pytest.approx(wx.TOD_CHARGE, rel=wx.REL)
    assert totals["cost"]["total"] == pytest.approx(wx.SITE_MONTH_TOTAL, rel=wx.REL)


def hand_cases():
    gap_morning = [(wx.local(DAY, m) - timedelta(hours=7), 10.0, 0.8) for m in range(0, 61, 10)]
    gap_afternoon = [(wx.local(DAY, m) - timedelta(hours=3), 10.0, 0.8) for m in range(0, 61, 10)]
    night = [
        (datetime(2025, 1, 15, 23, tzinfo=wx.IST) + timedelta(minutes=m), 10.0, 0.8)
        for m in range(0, 121, 10)
    ]
    incentive = [(wx.local(DAY, m) - timedelta(hours=4), 10.0, 0.98) for m in range(0, 61, 10)]
    pf_tariff = TariffVersion.from_mapping(
        {
            "effective_from": "2020-01-01",
            "energy_rate": 7.0,
            "pf_reference": 0.95,
            "pf_incentive_pct_per_step": 0.5,
        }
    )
    return {
        "asset metered alone": (example_input(), [TARIFF], {"stand_alone": True}),
        "kwh billing": (example_input(), [replace(TARIFF, billing_basis="kwh")], {}),
        "pf incentive": (series_input(incentive), [pf_tariff], {"contract": None}),
        "month with a gap": (
            series_input(gap_morning + gap_afternoon, gaps={len(gap_morning)}),
            [TARIFF],
            {},
        ),
        "night slot across midnight": (
            series_input(night),
            [replace(TARIFF, billing_basis="kwh", pf_reference=None)],
            {},
        ),
        "no tariff": (example_input(), [], {}),
    }


@pytest.mark.parametrize("case", list(hand_cases()))
def test_hand_computed_cases_match_by_day_and_month(case):
    data, versions, kw = hand_cases()[case]
    for hourly, daily in both_summaries(data, versions, CAL, *MONTH, **kw):
        assert_same(daily, hourly)


def test_days_across_a_daylight_saving_change_hold_their_own_number_of_blocks():
    """Europe/London, March 2025: the 30th has 46 blocks; a machine running all month."""
    london = SiteCalendar.build(timezone="Europe/London", shifts=list(DEFAULT_SHIFTS), weekly_off_days=[])
    zone = london.zone
    lo, hi = datetime(2025, 3, 1, tzinfo=zone), datetime(2025, 4, 1, tzinfo=zone)
    rng = np.random.default_rng(3)
    t = np.arange(int(lo.timestamp()), int(hi.timestamp()), 97, dtype=np.int64) * 10**9
    s = 20 + 5 * rng.standard_normal(t.size)
    pf = np.clip(0.85 + 0.05 * rng.standard_normal(t.size), 0.5, 1.0)
    n = t.size
    gap = rng.random(n) < 0.01
    data = IntervalInput(t, s * pf, s, s * np.sqrt(1 - pf * pf), gap, s > 12, s < 16, np.full(n, np.nan))
    edges = day_edges(london, block_of(lo), block_of(hi))
    assert sorted(set(np.diff(edges).tolist())) == [46, 48]
    for hourly, daily in both_summaries(data, [TARIFF], london, lo, hi):
        assert_same(daily, hourly)


def test_a_day_point_that_does_not_fit_its_day_is_refused():
    blocks = Blocks(0, {q: np.ones(96) for q in QUANTITIES})
    edges = np.array([0, 48, 96])
    good = day_packed(blocks, 0, 48, 24)
    with pytest.raises(ValueError, match="does not start"):
        days_from_packed(edges, [1], [good])
    with pytest.raises(ValueError, match="must hold"):
        days_from_packed(edges, [0], [good[:-12]])


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@override_settings(BASELINE_DEFAULT_HOURS=72, BASELINE_MIN_EVENTS=500)
def test_generator_fleet_by_day_and_month_from_daily_rollups_equals_the_hours(energy_store):
    """A late batch (a day of events sent last) recomputes its days; every asset, the site and
    the fleet read the same from the days as from the hours, and a rebuild rewrites the days
    bit for bit."""
    events, manifest = healthy_fleet(assets=2, days=5)
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    chunks = [events[i : i + 3000] for i in range(0, len(events), 3000)]
    for chunk in chunks[:2] + chunks[3:] + chunks[2:3]:
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(chunk))
    store = get_store()
    ids = [a["asset_id"] for a in manifest["assets"]]
    site = Asset.objects.get(tenant=tenant, asset_id=ids[0]).supply_site
    cal = SiteCalendar.build(timezone="Asia/Kolkata", shifts=list(DEFAULT_SHIFTS), weekly_off_days=["sunday"])
    first_event = datetime.fromisoformat(events[0]["timestamp"].replace("Z", "+00:00"))
    start = datetime.combine(first_event.astimezone(wx.IST).date(), datetime.min.time(), tzinfo=wx.IST)
    end = start + timedelta(days=7)
    packed_before = {}
    for asset_id in ids:
        days = store.read(measurement="energy_daily", asset_id=asset_id, start=EPOCH, end=FAR)
        assert len(days) >= 5
        assert all(p.time.astimezone(wx.IST).time() == datetime.min.time() for p in days)
        packed_before[asset_id] = [p.fields["day_b64"] for p in days]
    for scope, scope_id in [("asset", ids[0]), ("asset", ids[1]), ("site", site), ("fleet", None)]:
        for bucket in ("day", "month"):
            args = dict(tenant=tenant, scope=scope, scope_id=scope_id, start=start, end=end, bucket=bucket)
            daily = energy_summary(**args)
            hourly = energy_summary(**args, daily_rollups=False)
            assert daily["totals"]["energy_kwh"] > 0
            assert_same(daily, hourly)
    # the days must have been read from the daily points, not rebuilt from the hours
    edges = day_edges(cal, block_of(start), block_of(end))
    hours = store.read(
        measurement="energy", asset_id=ids[0], start=start, end=end, fields=["baseline_version"]
    )
    from analytics.energy.days import days_from_packed as unpack
    from analytics.energy.rollups import DAILY_MEASUREMENT

    times, texts = store.read_column(
        measurement=DAILY_MEASUREMENT, asset_id=ids[0], start=start, end=end, field="day_b64"
    )
    days, counted = unpack(edges, [t // 1_800_000_000 for t in times], texts)
    assert counted == len(hours)
    assert (
        days.kvah.tobytes()
        == rollup_blocks(asset_id=ids[0], first=int(edges[0]), end=int(edges[-1])).values["kvah"].tobytes()
    )
    energy_rollups_rebuild(asset=Asset.objects.get(tenant=tenant, asset_id=ids[0]))
    again = store.read(measurement="energy_daily", asset_id=ids[0], start=EPOCH, end=FAR)
    assert [p.fields["day_b64"] for p in again] == packed_before[ids[0]]
