"""Chart reads with a point budget (`points`, CONTRACTS §5.3): one min/max envelope bucket per
chart pixel over long ranges, raw readings once the range holds no more than the budget.

The expected envelopes are computed here from the generated readings, not from the store."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.timeseries import Point, get_store, reset_store
from tests.ingestion.events import T0


@pytest.fixture(params=["sql", "influxdb"])
def store(request, settings, db):
    if request.param == "influxdb":
        yield request.getfixturevalue("influx_settings")
    else:
        settings.INFLUXDB_URL = ""
        reset_store()
        yield get_store()
        reset_store()


STEP = timedelta(seconds=10)
N = 6 * 60 * 6  # six hours of 10-second readings


def z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def readings(store, asset):
    rng = random.Random(20)
    rows = []
    for i in range(N):
        t = T0 + i * STEP
        rows.append((t, round(rng.uniform(0.5, 9.0), 4), round(rng.uniform(380.0, 440.0), 3)))
    # one spike that a mean would hide: the envelope must still show it
    t_spike, _, v = rows[1234]
    rows[1234] = (t_spike, 42.5, v)
    get_store().write(
        Point("events", asset.asset_id, t, {"vibration_rms_mm_s": vib, "voltage_v": volt})
        for t, vib, volt in rows
    )
    return rows


def expected_envelope(rows, start: datetime, end: datetime, step_s: int):
    out: dict[datetime, dict[str, tuple[float, float, int]]] = {}
    for t, vib, volt in rows:
        if not (start <= t < end):
            continue
        k = int(t.timestamp()) // step_s * step_s
        key = datetime.fromtimestamp(k, UTC)
        b = out.setdefault(key, {})
        for name, v in (("vibration_rms_mm_s", vib), ("voltage_v", volt)):
            lo, hi, n = b.get(name, (v, v, 0))
            b[name] = (min(lo, v), max(hi, v), n + 1)
    return out


def test_long_range_with_a_point_budget_returns_the_min_max_envelope_per_bucket(api, asset, readings):
    start, end = T0, T0 + N * STEP
    resp = api.get(
        f"/api/v1/assets/{asset.asset_id}/signals",
        {"start": z(start), "end": z(end), "fields": "vibration_rms_mm_s,voltage_v", "points": 100},
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    # 6 h / 100 points = 216 s: the smallest ladder step at or above it is 5 minutes
    assert body["resolution"] == "300s"
    expected = expected_envelope(readings, start, end, 300)
    assert len(body["series"]) == len(expected) == 72 <= 100
    for point in body["series"]:
        t = datetime.fromisoformat(point["time"].replace("Z", "+00:00"))
        for name in ("vibration_rms_mm_s", "voltage_v"):
            lo, hi, n = expected[t][name]
            got = point["values"][name]
            assert got["min"] == pytest.approx(lo) and got["max"] == pytest.approx(hi), (t, name)
            assert got["count"] == n
    assert max(p["values"]["vibration_rms_mm_s"]["max"] for p in body["series"]) == 42.5


def test_zoomed_in_range_within_the_budget_returns_raw_readings(api, asset, readings):
    start, end = T0 + timedelta(minutes=30), T0 + timedelta(minutes=40)  # 60 readings
    resp = api.get(
        f"/api/v1/assets/{asset.asset_id}/signals",
        {"start": z(start), "end": z(end), "fields": "vibration_rms_mm_s", "points": 100},
    )
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["resolution"] == "raw"
    expected = [(z(t), vib) for t, vib, _ in readings if start <= t < end]
    assert [(p["time"], p["values"]["vibration_rms_mm_s"]) for p in body["series"]] == expected


def test_a_budget_smaller_than_the_raw_readings_gets_buckets_even_on_a_short_range(api, asset, readings):
    start, end = T0, T0 + timedelta(minutes=30)  # 180 readings, budget 100
    body = api.get(
        f"/api/v1/assets/{asset.asset_id}/signals",
        {"start": z(start), "end": z(end), "fields": "voltage_v", "points": 100},
    ).json()
    assert body["resolution"] == "30s"  # 1800 s / 100 = 18 s -> 30 s
    expected = expected_envelope(readings, start, end, 30)
    assert len(body["series"]) == 60
    for point in body["series"]:
        t = datetime.fromisoformat(point["time"].replace("Z", "+00:00"))
        lo, hi, _ = expected[t]["voltage_v"]
        assert point["values"]["voltage_v"]["min"] == pytest.approx(lo)
        assert point["values"]["voltage_v"]["max"] == pytest.approx(hi)


def test_explicit_resolution_wins_over_the_budget(api, asset, readings):
    body = api.get(
        f"/api/v1/assets/{asset.asset_id}/signals",
        {
            "start": z(T0),
            "end": z(T0 + timedelta(hours=1)),
            "fields": "voltage_v",
            "points": 1000,
            "resolution": "10m",
        },
    ).json()
    assert body["resolution"] == "600s" and len(body["series"]) == 6


@pytest.mark.parametrize("bad", ["0", "9", "10001", "wide"])
def test_points_outside_10_to_10000_is_400_naming_points(api, asset, db, bad):
    resp = api.get(f"/api/v1/assets/{asset.asset_id}/signals", {"points": bad})
    assert resp.status_code == 400
    assert any(e["field"] == "points" for e in resp.json()["errors"]), resp.content


def test_a_repeated_read_with_its_etag_is_304_until_new_data_arrives(api, asset, readings):
    q = {"start": z(T0), "end": z(T0 + N * STEP + timedelta(hours=1)), "fields": "voltage_v", "points": 100}
    url = f"/api/v1/assets/{asset.asset_id}/signals"
    first = api.get(url, q)
    etag = first["ETag"]
    assert first.status_code == 200 and etag
    again = api.get(url, q, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    get_store().write([Point("events", asset.asset_id, T0 + N * STEP, {"voltage_v": 999.0})])
    changed = api.get(url, q, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["series"][-1]["values"]["voltage_v"]["max"] == 999.0
