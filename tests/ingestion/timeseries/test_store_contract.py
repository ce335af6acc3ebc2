"""The time-series store contract (ingestion/timeseries/base.py), run against both backends.

Every test takes `store`, parametrized over the SQL store (SQLite or PostgreSQL, whichever
DATABASE_URL selects) and InfluxStore on a throwaway influxd with a fresh database. A test
that passes on one backend and not the other is a contract bug in that backend.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ingestion.timeseries import Point, PointRows, TimeSeriesError
from ingestion.timeseries.validation import check_asset_id

US = timedelta(microseconds=1)
# Recent enough for the 90-day `raw` retention of InfluxDB (older points are dropped on write).
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=3)
FAR = timedelta(days=30)


# The mark makes pytest-django set up the test database even when only [sql] tests run.
@pytest.fixture(params=[pytest.param("sql", marks=pytest.mark.django_db), "influxdb"])
def store(request):
    return request.getfixturevalue("sql_store" if request.param == "sql" else "influx_store")


def pt(asset_id: str, time: datetime, measurement: str = "events", **fields) -> Point:
    return Point(measurement=measurement, asset_id=asset_id, time=time, fields=fields)


def read_all(store, asset_id: str, measurement: str = "events", **kwargs) -> list[Point]:
    return store.read(measurement=measurement, asset_id=asset_id, start=T0 - FAR, end=T0 + FAR, **kwargs)


# --- volume --------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_batch_of_100k_points_reads_back_exactly_and_counts_100k(store):
    rng = random.Random(7)
    assets = [f"M-{i:03d}" for i in range(100)]
    points = []
    for i in range(100_000):
        fields = {
            "voltage_v": rng.uniform(380, 440),
            "current_a": rng.uniform(0, 60),
            "temperature_c": round(rng.uniform(20, 90), 1),
            "vibration_rms_mm_s": rng.lognormvariate(0, 1),
            "rpm": float(rng.randrange(1400, 1500)),  # integral floats must stay floats
            "event_id": str(uuid.UUID(int=rng.getrandbits(128))),
        }
        # 100 assets, one point each per ~1.000003 s: microsecond fractions everywhere.
        points.append(
            Point("events", assets[i % 100], T0 + (i // 100) * timedelta(microseconds=1_000_003), fields)
        )

    assert store.write(points) == 100_000

    assert store.count(measurement="events") == 100_000
    expected: dict[str, list[Point]] = {a: [] for a in assets}
    for p in points:
        expected[p.asset_id].append(p)
    for asset_id in assets:
        got = read_all(store, asset_id)
        assert got == expected[asset_id], asset_id
    assert all(type(p.fields["rpm"]) is float for p in got)


# --- identity ------------------------------------------------------------------------------


def test_rewriting_a_point_replaces_it_instead_of_duplicating(store):
    store.write([pt("M-1", T0, voltage_v=400.0, current_a=10.0)])
    store.write([pt("M-1", T0, voltage_v=401.5, current_a=11.0)])

    assert store.count(measurement="events", asset_id="M-1") == 1
    assert read_all(store, "M-1") == [pt("M-1", T0, voltage_v=401.5, current_a=11.0)]


def test_rewriting_a_point_with_fewer_fields_drops_the_fields_it_no_longer_has(store):
    store.write([pt("M-1", T0, voltage_v=400.0, rpm=1480.0), pt("M-1", T0 + US, voltage_v=1.0, rpm=2.0)])
    store.write([pt("M-1", T0, voltage_v=402.0)])

    assert read_all(store, "M-1") == [
        pt("M-1", T0, voltage_v=402.0),
        pt("M-1", T0 + US, voltage_v=1.0, rpm=2.0),
    ]


def test_rows_write_the_same_points_as_point_writes_and_replace_them_alike(store):
    """write_rows (the ingest path: pre-checked rows, one field list) against write(points)."""
    names, kinds = ("v", "n", "s", "opt"), (float, int, str, float)
    t = [T0 + i * timedelta(seconds=1) for i in range(4)]
    us = [(x - datetime(1970, 1, 1, tzinfo=UTC)) // US for x in t]
    rows = [
        ("A-1", us[0], (1.5, 3, "x", 0.25)),
        ("A-1", us[1], (2.5, None, 'q"b\\', None)),
        ("A 2", us[2], (None, 7, None, 1.0)),
    ]

    assert store.write_rows(PointRows("events", names, kinds, rows)) == 3

    assert read_all(store, "A-1") == [
        pt("A-1", t[0], v=1.5, n=3, s="x", opt=0.25),
        pt("A-1", t[1], v=2.5, s='q"b\\'),
    ]
    assert read_all(store, "A 2") == [pt("A 2", t[2], n=7, opt=1.0)]
    # A rewrite with fewer fields replaces the point, as with write(points).
    store.write_rows(PointRows("events", names, kinds, [("A-1", us[0], (9.5, None, None, None))]))
    assert read_all(store, "A-1")[0] == pt("A-1", t[0], v=9.5)
    assert store.count(measurement="events") == 3


def test_rows_keep_every_float_bit_for_bit_and_leave_missing_fields_out(store):
    """Floats in every spelling a serialiser may choose (exponents, subnormals, 17 digits), and
    missing values in the first column too. (Not beyond 1e16: PostgreSQL's jsonb keeps numbers
    as `numeric` and gives an integral 1e16 back as the int 10000000000000000; -0.0 comes back
    as 0.0 from both stores.)"""
    names, kinds = ("a", "b", "n", "eid"), (float, float, int, str)
    floats = [
        5e-324,
        2.2250738585072014e-308,
        1.2345678901234567e15,
        -1e-300,
        1e15,
        1e-7,
        0.1 + 0.2,
        -123.456,
    ]
    values = [
        (floats[i], floats[-1 - i], i - 4, f"id-{i}") if i % 3 else (None, floats[i], None, "null")
        for i in range(len(floats))
    ]
    us0 = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // US
    rows = [("M-1", us0 + i, v) for i, v in enumerate(values)]

    store.write_rows(PointRows("events", names, kinds, rows))

    got = read_all(store, "M-1")
    assert [p.time for p in got] == [T0 + i * US for i in range(len(values))]
    for point, row in zip(got, values, strict=True):
        expected = {n: v for n, v in zip(names, row, strict=True) if v is not None}
        assert point.fields == expected
        assert all(type(point.fields[n]) is float for n in ("a", "b") if n in expected)


def test_the_same_identity_twice_in_one_write_keeps_the_last_occurrence(store):
    store.write([pt("M-1", T0, voltage_v=1.0, rpm=5.0), pt("M-1", T0, voltage_v=2.0)])

    assert read_all(store, "M-1") == [pt("M-1", T0, voltage_v=2.0)]


def test_measurements_and_assets_are_separate_identities(store):
    store.write(
        [
            pt("M-1", T0, voltage_v=1.0),
            pt("M-2", T0, voltage_v=2.0),
            pt("M-1", T0, "scores", anomaly_score=0.5),
        ]
    )

    assert read_all(store, "M-1") == [pt("M-1", T0, voltage_v=1.0)]
    assert read_all(store, "M-2") == [pt("M-2", T0, voltage_v=2.0)]
    assert read_all(store, "M-1", "scores") == [pt("M-1", T0, "scores", anomaly_score=0.5)]


def test_write_returns_how_many_points_it_was_given(store):
    assert store.write([pt("M-1", T0 + i * US, voltage_v=float(i)) for i in range(5)]) == 5
    assert store.write([]) == 0
    assert store.write(p for p in [pt("M-1", T0, voltage_v=9.0)]) == 1


# --- time ----------------------------------------------------------------------------------


def test_range_start_is_inclusive_and_end_exclusive_to_the_microsecond(store):
    start, end = T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)
    times = [start - US, start, start + US, end - US, end, end + US]
    store.write([pt("M-1", t, voltage_v=float(i)) for i, t in enumerate(times)])

    got = store.read(measurement="events", asset_id="M-1", start=start, end=end)

    assert [p.time for p in got] == [start, start + US, end - US]
    assert store.count(measurement="events", asset_id="M-1", start=start, end=end) == 3
    assert store.count(measurement="events", asset_id="M-1", start=start) == 5
    assert store.count(measurement="events", asset_id="M-1", end=end) == 4


def test_an_empty_or_inverted_range_returns_nothing(store):
    store.write([pt("M-1", T0, voltage_v=1.0)])

    assert store.read(measurement="events", asset_id="M-1", start=T0, end=T0) == []
    assert store.read(measurement="events", asset_id="M-1", start=T0 + US, end=T0) == []


def test_an_offset_time_comes_back_as_the_same_instant_in_utc(store):
    ist = timezone(timedelta(hours=5, minutes=30))
    local = (T0 + timedelta(hours=7)).astimezone(ist).replace(microsecond=123456)
    store.write([pt("M-1", local, voltage_v=1.0)])

    (got,) = read_all(store, "M-1")

    assert got.time == local
    assert got.time.utcoffset() == timedelta(0)
    assert got.time.tzinfo is not None
    assert got.time.isoformat() == local.astimezone(UTC).isoformat()
    assert got.time.microsecond == 123456


def test_naive_datetimes_are_refused_by_every_operation(store):
    naive = T0.replace(tzinfo=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.write([pt("M-1", naive, voltage_v=1.0)])
    with pytest.raises(ValueError, match="timezone-aware"):
        store.read(measurement="events", asset_id="M-1", start=naive, end=T0 + FAR)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.read(measurement="events", asset_id="M-1", start=T0, end=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.count(measurement="events", start=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.delete(measurement="events", asset_id="M-1", end=naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.aggregate(
            measurement="events",
            asset_id="M-1",
            start=naive,
            end=T0,
            every=timedelta(minutes=1),
            fields=["voltage_v"],
        )
    assert store.count(measurement="events") == 0


def test_a_batch_with_one_bad_point_writes_nothing(store):
    good = [pt("M-1", T0 + i * US, voltage_v=1.0) for i in range(3)]
    with pytest.raises(ValueError):
        store.write([*good, pt("M-1", T0.replace(tzinfo=None), voltage_v=1.0)])
    assert store.count(measurement="events") == 0


def test_descending_reads_with_a_limit_return_the_newest_first(store):
    store.write([pt("M-1", T0 + i * timedelta(seconds=1), n=i) for i in range(10)])

    newest = store.read(
        measurement="events", asset_id="M-1", start=T0, end=T0 + FAR, limit=3, descending=True
    )
    oldest = store.read(measurement="events", asset_id="M-1", start=T0, end=T0 + FAR, limit=2)

    assert [p.fields["n"] for p in newest] == [9, 8, 7]
    assert [p.fields["n"] for p in oldest] == [0, 1]


# --- read_assets ---------------------------------------------------------------------------


def test_read_assets_returns_each_assets_points_of_the_range_like_read(store):
    points = [
        pt(a, T0 + timedelta(minutes=k), n=k, **({"x": 1.0} if k % 2 else {}))
        for a in ("M-1", "a.b", "M-3")
        for k in range(6)
    ]
    store.write([*points, pt("aXb", T0, n=-1), pt("M-1", T0, "scores", n=-2)])
    start, end = T0 + timedelta(minutes=1), T0 + timedelta(minutes=5)

    got = store.read_assets(measurement="events", asset_ids=["M-1", "a.b", "M-404"], start=start, end=end)
    with_field = store.read_assets(
        measurement="events", asset_ids=["M-1", "M-3"], start=start, end=end, fields=["x"]
    )

    assert got == {
        a: store.read(measurement="events", asset_id=a, start=start, end=end) for a in ("M-1", "a.b")
    }
    assert [p.fields["n"] for p in got["a.b"]] == [1, 2, 3, 4]
    assert {a: [(p.time, p.fields) for p in ps] for a, ps in with_field.items()} == {
        a: [(T0 + timedelta(minutes=k), {"x": 1.0}) for k in (1, 3)] for a in ("M-1", "M-3")
    }
    assert store.read_assets(measurement="events", asset_ids=["M-1"], start=end, end=start) == {}


# --- latest --------------------------------------------------------------------------------


def test_latest_returns_the_newest_whole_point_of_each_asset_that_has_one(store):
    store.write(
        [
            pt("M-1", T0, voltage_v=1.0, current_a=1.0),
            pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0),  # newest of M-1 lacks current_a
            pt("M-2", T0 + timedelta(minutes=1), current_a=3.0),
            pt("M-2", T0 - timedelta(days=1), voltage_v=9.0, current_a=9.0),
            pt("M-3", T0 + timedelta(hours=1), voltage_v=4.0, current_a=4.0),
            pt("M-3", T0 + timedelta(hours=1), "scores", anomaly_score=1.0),
        ]
    )

    got = store.latest(measurement="events", asset_ids=["M-1", "M-2", "M-3", "M-404"])

    # Not LAST() per field: M-1's current_a of an older point must not leak into its newest.
    assert got == {
        "M-1": pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0),
        "M-2": pt("M-2", T0 + timedelta(minutes=1), current_a=3.0),
        "M-3": pt("M-3", T0 + timedelta(hours=1), voltage_v=4.0, current_a=4.0),
    }
    assert store.latest(measurement="events", asset_ids=[]) == {}


def test_latest_with_fields_returns_the_newest_point_carrying_one_of_them(store):
    store.write(
        [
            pt("M-1", T0, voltage_v=1.0, current_a=1.0),
            pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0),
        ]
    )

    got = store.latest(measurement="events", asset_ids=["M-1"], fields=["current_a"])

    assert got == {"M-1": pt("M-1", T0, current_a=1.0)}


def test_latest_within_a_range_returns_the_newest_point_of_start_to_end_exclusive(store):
    store.write(
        [
            pt("M-1", T0, voltage_v=1.0),
            pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0),
            pt("M-1", T0 + timedelta(minutes=10), voltage_v=3.0),  # at `end`: outside
            pt("M-2", T0 - timedelta(minutes=1), voltage_v=4.0),  # before `start`: outside
            pt("M-3", T0 + timedelta(minutes=1), current_a=5.0),
        ]
    )
    start, end = T0, T0 + timedelta(minutes=10)

    got = store.latest(measurement="events", asset_ids=["M-1", "M-2", "M-3"], start=start, end=end)
    with_field = store.latest(
        measurement="events", asset_ids=["M-1", "M-3"], fields=["voltage_v"], start=start, end=end
    )

    assert got == {
        "M-1": pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0),
        "M-3": pt("M-3", T0 + timedelta(minutes=1), current_a=5.0),
    }
    assert with_field == {"M-1": pt("M-1", T0 + timedelta(minutes=5), voltage_v=2.0)}
    assert store.latest(measurement="events", asset_ids=["M-1"], start=end, end=start) == {}


def test_latest_answers_for_many_assets_at_once(store):
    assets = [f"A-{i:04d}" for i in range(1200)]  # more than one query's worth on InfluxDB
    store.write([pt(a, T0 + timedelta(seconds=k), n=k) for a in assets for k in range(2)])

    got = store.latest(measurement="events", asset_ids=assets)

    assert sorted(got) == assets
    assert {p.fields["n"] for p in got.values()} == {1}


def test_latest_matches_asset_ids_literally_whatever_their_characters(store):
    # InfluxDB selects the assets with one regular expression: no id may act as a pattern
    odd = ["a.b", "x/y", "r|s", "star*", "(par)", "$d", "q'x", 'd"q', "back\\slash", "sp ace", "ü-1", "^c$"]
    store.write([pt(a, T0 + timedelta(seconds=k), n=k) for k, a in enumerate(odd)])
    store.write([pt("aXb", T0, n=-1), pt("starrr", T0, n=-1), pt("back\\\\slash", T0, n=-1)])

    got = store.latest(measurement="events", asset_ids=[*odd, "a", "s"])

    assert {a: p.fields["n"] for a, p in got.items()} == {a: k for k, a in enumerate(odd)}


# --- aggregate -----------------------------------------------------------------------------


def reference_buckets(points: list[Point], fields: list[str], every: timedelta, start, end):
    """mean/min/max/count per epoch-aligned bucket, straight from numpy."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    every_us = every // US
    result: dict[datetime, dict] = {}
    in_range = [p for p in points if start <= p.time < end]
    bucket_of = np.array([((p.time - epoch) // US) // every_us for p in in_range], dtype=np.int64)
    for b in np.unique(bucket_of):
        members = [p for p, k in zip(in_range, bucket_of, strict=True) if k == b]
        values = {}
        for f in fields:
            v = np.array([p.fields[f] for p in members if f in p.fields], dtype=float)
            values[f] = (
                {"mean": v.mean(), "min": v.min(), "max": v.max(), "count": len(v)}
                if len(v)
                else {"mean": None, "min": None, "max": None, "count": 0}
            )
        if any(values[f]["count"] for f in fields):
            result[epoch + int(b) * every] = values
    return result


def test_aggregate_matches_a_numpy_reference_per_epoch_aligned_bucket(store):
    rng = np.random.default_rng(3)
    points = []
    t = T0 - timedelta(minutes=3, microseconds=17)
    for _ in range(3000):
        t += timedelta(microseconds=int(rng.integers(1, 4_000_000)))
        fields = {"voltage_v": float(rng.normal(415, 5)), "n_starts": int(rng.integers(0, 50))}
        if rng.random() < 0.7:
            fields["temperature_c"] = float(rng.normal(60, 10))  # sparse
        points.append(pt("M-1", t, **fields))
    other_asset = pt("M-2", T0 + timedelta(minutes=1), voltage_v=1e9)  # must not be counted
    store.write([*points, other_asset])
    every = timedelta(minutes=7)  # does not divide an hour: alignment is to the epoch only
    start, end = T0 + timedelta(seconds=31, microseconds=5), T0 + timedelta(hours=1, seconds=3)
    fields = ["voltage_v", "temperature_c", "n_starts", "not_there"]

    got = store.aggregate(
        measurement="events", asset_id="M-1", start=start, end=end, every=every, fields=fields
    )

    expected = reference_buckets(points, fields, every, start, end)
    assert [b.time for b in got] == list(expected)
    assert got[0].time < start  # the first bucket starts at its epoch-aligned boundary
    for bucket in got:
        for f in fields:
            want, have = expected[bucket.time][f], bucket.values[f]
            assert have["count"] == want["count"], (bucket.time, f)
            for agg in ("mean", "min", "max"):
                if want[agg] is None:
                    assert have[agg] is None
                else:
                    assert have[agg] == pytest.approx(want[agg], rel=1e-12), (bucket.time, f, agg)
                    assert type(have[agg]) is float


def test_aggregate_omits_buckets_without_values(store):
    store.write([pt("M-1", T0 + timedelta(minutes=1), v=1.0), pt("M-1", T0 + timedelta(minutes=31), v=3.0)])

    got = store.aggregate(
        measurement="events",
        asset_id="M-1",
        start=T0,
        end=T0 + timedelta(hours=1),
        every=timedelta(minutes=10),
        fields=["v"],
    )

    assert [(b.time, b.values["v"]["mean"], b.values["v"]["count"]) for b in got] == [
        (T0, 1.0, 1),
        (T0 + timedelta(minutes=30), 3.0, 1),
    ]


def test_aggregating_a_string_field_is_refused(store):
    store.write([pt("M-1", T0, event_id="abc")])
    with pytest.raises(TimeSeriesError):
        store.aggregate(
            measurement="events",
            asset_id="M-1",
            start=T0,
            end=T0 + FAR,
            every=timedelta(hours=1),
            fields=["event_id"],
        )


# --- count and delete ----------------------------------------------------------------------


def test_count_counts_points_not_field_values_when_fields_are_sparse(store):
    # No field is in every point: counting any one field (or the max over fields) undercounts.
    store.write(
        [
            pt("M-1", T0, "scores", a=1.0),
            pt("M-1", T0 + US, "scores", b=1.0),
            pt("M-1", T0 + 2 * US, "scores", c="x"),
            pt("M-2", T0, "scores", a=1.0, b=2.0),
        ]
    )

    assert store.count(measurement="scores", asset_id="M-1") == 3
    assert store.count(measurement="scores") == 4
    assert store.count(measurement="scores", start=T0 + US) == 2
    assert store.count(measurement="scores", asset_id="M-404") == 0
    assert store.count(measurement="health") == 0


def test_delete_removes_only_that_assets_points_in_the_half_open_range(store):
    times = [T0 + i * timedelta(seconds=1) for i in range(10)]
    store.write([pt("M-1", t, v=1.0) for t in times] + [pt("M-2", t, v=2.0) for t in times])
    store.write([pt("M-1", t, "features", f=1.0) for t in times])

    store.delete(measurement="events", asset_id="M-1", start=times[2], end=times[5])

    assert [p.time for p in read_all(store, "M-1")] == times[:2] + times[5:]
    assert store.count(measurement="events", asset_id="M-2") == 10
    assert store.count(measurement="features", asset_id="M-1") == 10

    store.delete(measurement="events", asset_id="M-1")

    assert store.count(measurement="events", asset_id="M-1") == 0
    assert store.count(measurement="events", asset_id="M-2") == 10


# --- fields --------------------------------------------------------------------------------


def test_fields_projection_returns_only_those_fields_and_skips_points_without_them(store):
    store.write(
        [
            pt("M-1", T0, voltage_v=1.0, current_a=2.0, rpm=3.0),
            pt("M-1", T0 + US, rpm=4.0),
            pt("M-1", T0 + 2 * US, current_a=5.0),
        ]
    )

    got = read_all(store, "M-1", fields=["voltage_v", "current_a"])

    assert got == [pt("M-1", T0, voltage_v=1.0, current_a=2.0), pt("M-1", T0 + 2 * US, current_a=5.0)]


def test_sparse_fields_come_back_absent_not_as_none(store):
    store.write([pt("M-1", T0, voltage_v=1.0, rpm=None), pt("M-1", T0 + US, rpm=2.0)])

    assert [p.fields for p in read_all(store, "M-1")] == [{"voltage_v": 1.0}, {"rpm": 2.0}]


def test_string_bool_int_and_float_fields_keep_their_types_and_values(store):
    text = 'quote " backslash \\ end\\ comma, equals= space\nnewline \u00b0C \u2713'
    fields = {
        "f": 3.0,
        "f_small": 1e-300,
        "f_neg": -0.1,
        "i": 3,
        "i_big": 2**62,
        "i_neg": -7,
        "on": True,
        "off": False,
        "s": text,
        "s_empty": "",
        "s_backslash_end": "ends with \\",
    }
    store.write([pt("M-1", T0, **fields)])

    (got,) = read_all(store, "M-1")

    assert got.fields == fields
    assert {k: type(v) for k, v in got.fields.items()} == {k: type(v) for k, v in fields.items()}


def test_numpy_scalars_are_stored_as_plain_numbers(store):
    store.write([pt("M-1", T0, f=np.float32(1.5), i=np.int64(7), b=np.bool_(True))])

    (got,) = read_all(store, "M-1")

    assert got.fields == {"f": 1.5, "i": 7, "b": True}
    assert (type(got.fields["f"]), type(got.fields["i"]), type(got.fields["b"])) == (float, int, bool)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, float("nan")])
def test_non_finite_values_are_refused(store, value):
    with pytest.raises(ValueError, match="finite"):
        store.write([pt("M-1", T0, v=value)])
    assert store.count(measurement="events") == 0


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, b"bytes", [1.0], {"a": 1}, object()])
def test_unsupported_values_are_refused(store, value):
    with pytest.raises(ValueError):
        store.write([pt("M-1", T0, v=value)])


@pytest.mark.parametrize(
    "name", ["time", "asset_id", "a b", "1abc", 'x"', "a,b", "a=b", "", "\u00e9t\u00e9", "x" * 65]
)
def test_invalid_field_names_are_refused_on_write_and_read(store, name):
    with pytest.raises(ValueError):
        store.write([Point("events", "M-1", T0, {name: 1.0})])
    with pytest.raises(ValueError):
        read_all(store, "M-1", fields=[name])
    assert store.count(measurement="events") == 0


def test_a_point_without_field_values_is_refused(store):
    with pytest.raises(ValueError, match="no field values"):
        store.write([pt("M-1", T0, v=None)])


# --- hostile input ---------------------------------------------------------------------------

HOSTILE_ASSET_IDS = [
    "x' OR 1=1 --",
    "x' OR asset_id =~ /.*/ --",
    'a" ; DROP DATABASE pdm',
    "'; DROP MEASUREMENT events; --",
    "a\\'b",
    'a\\"b',
    "back\\slash",
    "a,b=c d",
    "$asset",
    "victim ",
    "/.*/",
    "\u00fc\u00f1\u00ee\u00e7\u00f8d\u00e9 \u2603",
]


@pytest.mark.parametrize("asset_id", HOSTILE_ASSET_IDS)
def test_a_hostile_asset_id_is_stored_and_read_back_only_as_itself(store, asset_id):
    victim = [pt("victim", T0 + i * US, v=float(i), secret="victim-data") for i in range(5)]
    store.write(victim)
    mine = [pt(asset_id, T0 + i * US, v=-float(i)) for i in range(3)]
    store.write(mine)

    assert read_all(store, asset_id) == mine
    assert store.count(measurement="events", asset_id=asset_id) == 3
    assert store.latest(measurement="events", asset_ids=[asset_id]) == {asset_id: mine[-1]}
    buckets = store.aggregate(
        measurement="events", asset_id=asset_id, start=T0, end=T0 + FAR, every=timedelta(days=1), fields=["v"]
    )
    assert sum(b.values["v"]["count"] for b in buckets) == 3

    store.delete(measurement="events", asset_id=asset_id)

    assert store.count(measurement="events", asset_id=asset_id) == 0
    assert read_all(store, "victim") == victim  # neither leaked, nor deleted, nor dropped
    assert store.count(measurement="events") == 5


@pytest.mark.parametrize(
    "asset_id",
    [
        "line\nbreak",
        "x\n' OR 1=1",
        "tab\there",
        "nul\x00",
        "ends with \\",
        "a\\,b",
        "a\\ b",
        "a\\=b",
        "",
        "x" * 65,
    ],
)
def test_asset_ids_the_line_protocol_cannot_carry_are_refused_everywhere(store, asset_id):
    store.write([pt("victim", T0, v=1.0)])
    with pytest.raises(ValueError, match="asset_id"):
        store.write([pt(asset_id, T0, v=2.0)])
    with pytest.raises(ValueError, match="asset_id"):
        read_all(store, asset_id)
    with pytest.raises(ValueError, match="asset_id"):
        store.latest(measurement="events", asset_ids=["victim", asset_id])
    with pytest.raises(ValueError, match="asset_id"):
        store.count(measurement="events", asset_id=asset_id)
    with pytest.raises(ValueError, match="asset_id"):
        store.delete(measurement="events", asset_id=asset_id)
    assert read_all(store, "victim") == [pt("victim", T0, v=1.0)]


@pytest.mark.parametrize(
    "measurement", ["Events", "evil", 'events" ; DROP DATABASE pdm', "events\n", "raw.events", "", "autogen"]
)
def test_unknown_or_malformed_measurements_are_refused(store, measurement):
    with pytest.raises(ValueError, match="measurement"):
        store.write([Point(measurement, "M-1", T0, {"v": 1.0})])
    with pytest.raises(ValueError, match="measurement"):
        store.read(measurement=measurement, asset_id="M-1", start=T0, end=T0 + FAR)
    with pytest.raises(ValueError, match="measurement"):
        store.latest(measurement=measurement, asset_ids=["M-1"])
    with pytest.raises(ValueError, match="measurement"):
        store.count(measurement=measurement)
    with pytest.raises(ValueError, match="measurement"):
        store.delete(measurement=measurement, asset_id="M-1")
    with pytest.raises(ValueError, match="measurement"):
        store.aggregate(
            measurement=measurement,
            asset_id="M-1",
            start=T0,
            end=T0 + FAR,
            every=timedelta(hours=1),
            fields=["v"],
        )


def _storable_asset_id(text: str) -> bool:
    try:
        check_asset_id(text)
    except ValueError:
        return False
    return True


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    suffixes=st.lists(
        st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=40),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    text=st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=200),
)
def test_any_storable_asset_id_and_string_value_round_trip_unchanged(store, suffixes, text):
    prefix = uuid.uuid4().hex[:8]  # examples share the database: keep their assets apart
    assets = [prefix + s for s in suffixes if _storable_asset_id(prefix + s)]
    points = [pt(a, T0 + i * US, s=text, n=i) for i, a in enumerate(assets)]
    store.write(points)

    for p in points:
        assert read_all(store, p.asset_id) == [p]
    assert store.latest(measurement="events", asset_ids=assets) == {p.asset_id: p for p in points}


# --- health and schema -----------------------------------------------------------------------


def test_ping_names_the_server_and_its_version(store):
    version = store.ping()
    assert isinstance(version, str)
    assert any(ch.isdigit() for ch in version)


def test_setup_reports_raw_as_default_and_derived(store, settings):
    policies = {p.name: p for p in store.setup()}
    assert policies["raw"].default is True
    assert policies["derived"].default is False
    assert policies["raw"].duration == settings.INFLUXDB_RAW_RETENTION
    assert policies["derived"].duration == settings.INFLUXDB_DERIVED_RETENTION
    assert {p.name: p for p in store.retention_policies()}["raw"] == policies["raw"]


def test_a_string_field_holding_nul_is_refused_and_writes_nothing(store):
    with pytest.raises(ValueError, match="NUL"):
        store.write([pt("nul-1", T0, s="a\x00b"), pt("nul-1", T0 + US, s="fine")])
    assert store.count(measurement="events", asset_id="nul-1") == 0


def test_totals_sum_count_min_max_of_a_range_optionally_where_a_flag_is_1(store):
    rng = np.random.default_rng(5)
    points, t = [], T0
    for _ in range(500):
        t += timedelta(seconds=int(rng.integers(1, 90)))
        fields = {"interval_s": float(rng.integers(1, 90)), "low_pf": int(rng.random() < 0.3)}
        if rng.random() < 0.8:
            fields["power_factor"] = float(rng.uniform(0.7, 0.99))
        points.append(pt("M-1", t, **fields))
    store.write([*points, pt("M-2", T0 + timedelta(seconds=5), interval_s=1e9, low_pf=1)])
    start, end = points[10].time, points[400].time
    inside = [p.fields for p in points if start <= p.time < end]

    got = store.totals(
        measurement="events",
        asset_id="M-1",
        start=start,
        end=end,
        fields=["interval_s", "power_factor", "nope"],
    )
    flagged = store.totals(
        measurement="events",
        asset_id="M-1",
        start=start,
        end=end,
        fields=["interval_s"],
        where_flag="low_pf",
    )

    pfs = [f["power_factor"] for f in inside if "power_factor" in f]
    assert got["interval_s"].count == 390 and got["interval_s"].sum == pytest.approx(
        sum(f["interval_s"] for f in inside)
    )
    assert (got["power_factor"].count, got["power_factor"].min, got["power_factor"].max) == (
        len(pfs),
        min(pfs),
        max(pfs),
    )
    assert got["power_factor"].sum == pytest.approx(sum(pfs), rel=1e-12)
    assert (got["nope"].count, got["nope"].sum, got["nope"].min) == (0, None, None)
    low = [f["interval_s"] for f in inside if f["low_pf"] == 1]
    assert flagged["interval_s"].count == len(low) and flagged["interval_s"].sum == pytest.approx(sum(low))


# --- window_totals ---------------------------------------------------------------------------


def reference_totals(points: list[Point], start: datetime, end: datetime, name: str) -> tuple:
    values = [p.fields[name] for p in points if start <= p.time < end and name in p.fields]
    return (
        len(values),
        sum(values) if values else None,
        min(values, default=None),
        max(values, default=None),
    )


def test_window_totals_sum_each_assets_values_in_each_half_open_window(store):
    rng = np.random.default_rng(11)
    ids = ["M-1", "M-1.*", "/.*/"]  # regex-looking ids match only themselves
    points = []
    for asset_id in ids:
        t = T0
        for _ in range(300):
            t += timedelta(seconds=int(rng.integers(1, 20)))
            fields = {"frequency_hz": float(rng.uniform(49.0, 51.0))}
            if rng.random() < 0.7:
                fields["voltage_v"] = float(rng.uniform(380.0, 440.0))
            points.append(pt(asset_id, t, **fields))
    store.write([*points, pt("OTHER", T0 + timedelta(minutes=3), voltage_v=1e6)])
    by_asset = {a: [p for p in points if p.asset_id == a] for a in ids}
    first = by_asset["M-1"][40].time  # a point exactly on a start is in, one exactly on an end is out
    windows = [
        (first, first + timedelta(minutes=15)),
        (first + timedelta(minutes=10), first + timedelta(minutes=25)),
        (first + timedelta(minutes=5), first + timedelta(minutes=5)),  # empty
        (T0 - timedelta(hours=2), T0 - timedelta(hours=1)),  # before every point
    ]

    got = store.window_totals(
        measurement="events", asset_ids=[*ids, "QUIET"], windows=windows, fields=["voltage_v", "frequency_hz"]
    )

    assert sorted(got) == sorted(ids)
    for asset_id in ids:
        assert len(got[asset_id]) == len(windows)
        for w, (start, end) in enumerate(windows):
            for name in ("voltage_v", "frequency_hz"):
                cell = got[asset_id][w][name]
                n, total, lo, hi = reference_totals(by_asset[asset_id], start, end, name)
                assert (cell.count, cell.min, cell.max) == (n, lo, hi), (asset_id, w, name)
                assert cell.sum == (None if total is None else pytest.approx(total, rel=1e-12))
    assert got["M-1"][0]["frequency_hz"].count > 20 and got["M-1"][2]["voltage_v"].count == 0
    assert got["M-1"][3]["frequency_hz"] == got["M-1"][2]["frequency_hz"]


def test_window_totals_refuse_a_naive_window(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        store.window_totals(
            measurement="events",
            asset_ids=["M-1"],
            windows=[(datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC))],
            fields=["voltage_v"],
        )


# --- read_column ---------------------------------------------------------------------------


def test_read_column_is_read_of_one_field_as_times_in_us_and_values(store):
    points = [
        pt("M-1", T0 + i * timedelta(microseconds=1_000_003), "energy", kwh_m00=float(i), blocks_b64=f"v{i}")
        for i in range(5)
    ]
    points.append(pt("M-1", T0 + timedelta(seconds=10), "energy", baseline_version=2))  # lacks both
    points.append(pt("M-2", T0, "energy", kwh_m00=99.0))
    store.write(points)
    start, end = T0 + US, T0 + timedelta(seconds=11)
    times, values = store.read_column(
        measurement="energy", asset_id="M-1", start=start, end=end, field="kwh_m00"
    )
    epoch_us = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // US
    assert times == [epoch_us + i * 1_000_003 for i in range(1, 5)]
    assert values == [1.0, 2.0, 3.0, 4.0] and all(type(v) is float for v in values)
    texts = store.read_column(measurement="energy", asset_id="M-1", start=T0, end=end, field="blocks_b64")
    assert texts == ([epoch_us + i * 1_000_003 for i in range(5)], [f"v{i}" for i in range(5)])
    assert store.read_column(measurement="energy", asset_id="M-1", start=end, end=start, field="kwh_m00") == (
        [],
        [],
    )


# --- read_columns --------------------------------------------------------------------------


def test_read_columns_gives_the_points_carrying_any_field_with_none_where_one_is_missing(store):
    points = [
        pt("M-1", T0 + i * timedelta(microseconds=1_000_003), current_a=float(i), rpm=1450.0 + i)
        for i in range(4)
    ]
    points.append(pt("M-1", T0 + timedelta(seconds=5), rpm=1499.5))  # lacks current_a
    points.append(pt("M-1", T0 + timedelta(seconds=6), voltage_v=415.0))  # lacks both
    points.append(pt("M-2", T0 + timedelta(seconds=1), current_a=99.0))
    store.write(points)
    times, cols = store.read_columns(
        measurement="events",
        asset_id="M-1",
        start=T0 + US,
        end=T0 + timedelta(seconds=7),
        fields=["current_a", "rpm", "never_written"],
    )
    epoch_us = (T0 - datetime(1970, 1, 1, tzinfo=UTC)) // US
    assert times == [epoch_us + i * 1_000_003 for i in range(1, 4)] + [epoch_us + 5_000_000]
    assert cols["current_a"] == [1.0, 2.0, 3.0, None]
    assert cols["rpm"] == [1451.0, 1452.0, 1453.0, 1499.5]
    assert cols["never_written"] == [None] * 4
    assert store.read_columns(
        measurement="events", asset_id="M-1", start=T0 + timedelta(seconds=7), end=T0, fields=["rpm"]
    ) == ([], {"rpm": []})
