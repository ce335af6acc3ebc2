"""The hourly rollups' condition sums give the report's §16.1 figures the feature points give.

A generator fleet goes through the real ingest and pipeline on both time-series stores, with one
asset's 40 minutes held back and sent after later data has closed their hour. The period asked for
starts and ends inside an hour. The figures of `asset_period_conditions` are compared with the
§16.1 formulas applied here, point by point, to the stored features.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from analytics.selectors import asset_period_conditions
from ingestion import services as ingest_services
from ingestion.models import Tenant
from ingestion.timeseries import Point, get_store
from tests.reporting.fleet import report_fleet

LATE_ASSET = "PMP-002"
EXACT = ("points", "pf_min")
SUMS = (
    "energy_gap_h",
    "pf_mean",
    "hours_pf_below_limit",
    "voltage_out_of_band_min",
    "frequency_out_of_band_min",
)


def _features_16_1(asset_id: str, start: datetime, end: datetime) -> dict:
    """§16.1 applied to the stored feature points of [start, end), one by one."""
    points = get_store().read(measurement="features", asset_id=asset_id, start=start, end=end)
    gap = low = volt = freq = 0.0
    pfs = []
    for p in points:
        x = p.fields
        dur = (x.get("interval_s") or 0.0) - (x.get("energy_gap_s") or 0.0)
        gap += x.get("energy_gap_s") or 0.0
        low += dur if x.get("low_pf") == 1 else 0.0
        volt += dur if x.get("voltage_out_of_band") == 1 else 0.0
        freq += dur if x.get("frequency_out_of_band") == 1 else 0.0
        if x.get("power_factor") is not None:
            pfs.append(x["power_factor"])
    return {
        "points": len(points),
        "energy_gap_h": gap / 3600,
        "pf_mean": sum(pfs) / len(pfs),
        "pf_min": min(pfs),
        "hours_pf_below_limit": low / 3600,
        "voltage_out_of_band_min": volt / 60,
        "frequency_out_of_band_min": freq / 60,
    }


def _assert_equal(got: dict, expected: dict) -> None:
    for key in EXACT:
        assert got[key] == expected[key], key
    for key in SUMS:
        assert got[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-9), key


def _ingest(tenant: Tenant, events: list[dict]) -> None:
    for i in range(0, len(events), 3000):
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(events[i : i + 3000]))


def test_condition_sums_from_rollups_equal_the_feature_points_after_a_late_batch(energy_store):
    events, manifest, fleet_t0 = report_fleet()
    t = lambda e: datetime.fromisoformat(e["timestamp"])  # noqa: E731
    events = [e for e in events if t(e) < fleet_t0 + timedelta(days=2)]
    late_from = fleet_t0 + timedelta(hours=30, minutes=10)
    late_to = late_from + timedelta(minutes=40)
    is_late = lambda e: e["asset_id"] == LATE_ASSET and late_from <= t(e) < late_to  # noqa: E731
    late = [e for e in events if is_late(e)]
    assert len(late) >= 15
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    _ingest(tenant, [e for e in events if not is_late(e)])

    # a period that starts and ends inside an hour: its edge hours are partly covered
    start = fleet_t0 + timedelta(hours=6, minutes=17)
    end = fleet_t0 + timedelta(hours=44, minutes=37)
    before = asset_period_conditions(asset_id=LATE_ASSET, start=start, end=end)
    _assert_equal(before, _features_16_1(LATE_ASSET, start, end))
    assert before["energy_gap_h"] > 0  # the held-back 40 minutes are a gap

    _ingest(tenant, late)  # into an hour that later data already closed
    assert get_store().count(measurement="events", asset_id=LATE_ASSET, start=late_to, end=end) > 0
    after = asset_period_conditions(asset_id=LATE_ASSET, start=start, end=end)
    _assert_equal(after, _features_16_1(LATE_ASSET, start, end))
    assert after["points"] == before["points"] + len(late)
    assert after["energy_gap_h"] < before["energy_gap_h"]

    flagged = {key: 0.0 for key in SUMS[2:]}
    for asset in manifest["assets"]:
        got = asset_period_conditions(asset_id=asset["asset_id"], start=start, end=end)
        _assert_equal(got, _features_16_1(asset["asset_id"], start, end))
        for key in flagged:
            flagged[key] += got[key]
    assert flagged["hours_pf_below_limit"] + flagged["voltage_out_of_band_min"] > 0


def test_whole_hours_are_read_from_the_rollups_and_edges_from_the_features(energy_store):
    events, manifest, fleet_t0 = report_fleet()
    asset_id = manifest["assets"][0]["asset_id"]
    t = lambda e: datetime.fromisoformat(e["timestamp"])  # noqa: E731
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"][:1])
    _ingest(
        tenant, [e for e in events if e["asset_id"] == asset_id and t(e) < fleet_t0 + timedelta(hours=12)]
    )
    start = fleet_t0 + timedelta(hours=2, minutes=40)
    end = fleet_t0 + timedelta(hours=9, minutes=20)
    whole = (fleet_t0 + timedelta(hours=3), fleet_t0 + timedelta(hours=9))
    expected = _features_16_1(asset_id, start, end)
    edges_only = (
        _features_16_1(asset_id, start, whole[0])["points"]
        + _features_16_1(asset_id, whole[1], end)["points"]
    )
    assert 0 < edges_only < expected["points"]

    # without the whole hours' feature points the figures stay: they come from the rollups
    store = get_store()
    store.delete(measurement="features", asset_id=asset_id, start=whole[0], end=whole[1])
    _assert_equal(asset_period_conditions(asset_id=asset_id, start=start, end=end), expected)

    # and the edges come from the feature points: without them, only the whole hours remain
    store.delete(measurement="features", asset_id=asset_id, start=start, end=whole[0])
    store.delete(measurement="features", asset_id=asset_id, start=whole[1], end=end)
    assert asset_period_conditions(asset_id=asset_id, start=start, end=end)["points"] == (
        expected["points"] - edges_only
    )


def test_rollups_written_before_they_carried_the_sums_are_summed_from_the_features(energy_store):
    events, manifest, fleet_t0 = report_fleet()
    asset_id = manifest["assets"][0]["asset_id"]
    t = lambda e: datetime.fromisoformat(e["timestamp"])  # noqa: E731
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"][:1])
    _ingest(
        tenant, [e for e in events if e["asset_id"] == asset_id and t(e) < fleet_t0 + timedelta(hours=12)]
    )
    start, end = fleet_t0 + timedelta(hours=2), fleet_t0 + timedelta(hours=10)
    expected = _features_16_1(asset_id, start, end)
    # one hour's rollup as it was stored before it carried the condition sums
    hour = fleet_t0 + timedelta(hours=5)
    store = get_store()
    store.delete(measurement="energy", asset_id=asset_id, start=hour, end=hour + timedelta(hours=1))
    store.write([Point("energy", asset_id, hour, {"kwh_m00": 0.0, "kwh_m30": 0.0, "baseline_version": 0})])
    _assert_equal(asset_period_conditions(asset_id=asset_id, start=start, end=end), expected)
