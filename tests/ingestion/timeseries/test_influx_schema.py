"""The InfluxDB schema on first use: a store creates its database and retention policies when
they are missing, at its first request and whenever the server says they are gone; without
INFLUXDB_MANAGE_SCHEMA a missing schema is `TimeSeriesMisconfigured` naming the fix. All
against a real influxd; the server's state is read with raw queries, not with the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from ingestion.timeseries import Point, PointRows, TimeSeriesMisconfigured, TimeSeriesUnavailable
from ingestion.timeseries.influx import InfluxStore
from ingestion.timeseries.validation import to_micros
from tests.fixtures.influx import drop_database, fresh_database_name

T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=6)


def influxql(url: str, q: str, db: str | None = None) -> dict:
    data = {"q": q, **({"db": db} if db else {})}
    response = requests.post(f"{url}/query", data=data, timeout=10)
    response.raise_for_status()
    (result,) = response.json()["results"]
    return result


def databases(url: str) -> set[str]:
    series = influxql(url, "SHOW DATABASES").get("series", [{}])
    return {row[0] for row in series[0].get("values", [])}


def policies(url: str, db: str) -> dict[str, tuple[str, bool]]:
    (series,) = influxql(url, "SHOW RETENTION POLICIES", db)["series"]
    return {row[0]: (row[1], row[4]) for row in series["values"]}


def points_on_server(url: str, db: str, measurement: str = "events", rp: str = "raw") -> int:
    series = influxql(url, f'SELECT count("v") FROM "{rp}"."{measurement}"', db).get("series")  # noqa: S608
    return series[0]["values"][0][1] if series else 0


def events(asset_id: str, n: int, start: datetime = T0) -> list[Point]:
    return [Point("events", asset_id, start + timedelta(seconds=10 * i), {"v": float(i)}) for i in range(n)]


@pytest.fixture
def db_name(influxd):
    influxd.start()
    name = fresh_database_name("pdm_schema")
    yield name
    drop_database(influxd.url, name)


def test_a_store_on_a_server_without_its_database_creates_it_at_the_first_write(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name, raw_retention="30d")
    assert db_name not in databases(influxd.url)

    assert store.write(events("M-1", 5)) == 5  # no setup() was called

    assert db_name in databases(influxd.url)
    assert policies(influxd.url, db_name) == {
        "autogen": ("0s", False),
        "raw": ("720h0m0s", True),
        "derived": ("17520h0m0s", False),
    }
    assert points_on_server(influxd.url, db_name) == 5


def test_a_first_read_creates_the_database_too_and_finds_nothing(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name)

    assert store.read(measurement="features", asset_id="M-1", start=T0, end=T0 + timedelta(1)) == []
    assert db_name in databases(influxd.url)


def test_the_first_request_applies_a_retention_duration_changed_in_the_settings(influxd, db_name):
    InfluxStore(url=influxd.url, database=db_name, raw_retention="90d").setup()

    InfluxStore(url=influxd.url, database=db_name, raw_retention="30d").count(measurement="events")

    assert policies(influxd.url, db_name)["raw"] == ("720h0m0s", True)


def test_a_database_dropped_at_runtime_is_created_again_by_the_next_write(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name)
    store.write(events("M-1", 10))
    influxql(influxd.url, f'DROP DATABASE "{db_name}"')

    rows = PointRows("events", ("v",), (float,), [("M-2", to_micros(T0) + i, (float(i),)) for i in range(7)])
    assert store.write_rows(rows) == 7  # the ingest path's write

    assert points_on_server(influxd.url, db_name) == 7
    assert policies(influxd.url, db_name)["raw"] == ("2160h0m0s", True)


def test_a_database_dropped_at_runtime_is_created_again_by_the_next_query(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name)
    store.write(events("M-1", 10))
    influxql(influxd.url, f'DROP DATABASE "{db_name}"')

    assert store.count(measurement="events") == 0
    assert set(policies(influxd.url, db_name)) == {"autogen", "raw", "derived"}


@pytest.mark.parametrize(("dropped", "measurement"), [("raw", "events"), ("derived", "features")])
def test_a_retention_policy_dropped_at_runtime_is_created_again_by_the_next_write(
    influxd, db_name, dropped, measurement
):
    store = InfluxStore(url=influxd.url, database=db_name)
    store.write([Point(measurement, "M-1", T0, {"v": 1.0})])
    influxql(influxd.url, f'DROP RETENTION POLICY "{dropped}" ON "{db_name}"')

    store.write([Point(measurement, "M-1", T0 + timedelta(seconds=1), {"v": 2.0})])

    assert dropped in policies(influxd.url, db_name)
    assert points_on_server(influxd.url, db_name, measurement, dropped) == 1  # the drop took the first


def test_with_manage_schema_off_a_missing_database_is_misconfigured_naming_it_and_the_fix(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name, manage_schema=False)

    with pytest.raises(TimeSeriesMisconfigured) as info:
        store.write(events("M-1", 3))

    message = str(info.value)
    assert f"no database {db_name!r}" in message and "database not found" in message
    assert "INFLUXDB_MANAGE_SCHEMA is false" in message and "check_timeseries" in message
    assert isinstance(info.value, TimeSeriesUnavailable)  # callers spool it
    assert db_name not in databases(influxd.url)  # nothing was created behind the operator's back


def test_with_manage_schema_off_a_missing_retention_policy_is_misconfigured(influxd, db_name):
    influxql(influxd.url, f'CREATE DATABASE "{db_name}"')
    store = InfluxStore(url=influxd.url, database=db_name, manage_schema=False)

    with pytest.raises(TimeSeriesMisconfigured, match="retention policy not found: raw"):
        store.write(events("M-1", 3))

    assert "raw" not in policies(influxd.url, db_name)


def test_once_the_operator_has_created_the_schema_writes_go_through(influxd, db_name):
    store = InfluxStore(url=influxd.url, database=db_name, manage_schema=False)
    with pytest.raises(TimeSeriesMisconfigured):
        store.write(events("M-1", 3))

    InfluxStore(url=influxd.url, database=db_name).setup()  # what `check_timeseries` does

    assert store.write(events("M-1", 3)) == 3
    assert points_on_server(influxd.url, db_name) == 3
