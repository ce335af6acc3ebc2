"""InfluxDB-specific behaviour: schema setup, layout, errors, auth, restart, the check command.
All against a real influxd (line protocol: test_line_protocol.py; the schema healed on first
use and at runtime: test_influx_schema.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.management import call_command

from ingestion.timeseries import (
    Point,
    PointRows,
    TimeSeriesConflict,
    TimeSeriesError,
    TimeSeriesMisconfigured,
    TimeSeriesUnavailable,
)
from ingestion.timeseries.influx import InfluxStore, retention_policy_of
from ingestion.timeseries.line_protocol import quote_ident
from ingestion.timeseries.validation import format_duration, parse_duration, retention_duration, to_micros
from pdm_project.devservices import InfluxdServer, free_port
from tests.fixtures.influx import drop_database, fresh_database_name

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)


def influxql(url: str, q: str, db: str | None = None, **auth) -> list[dict]:
    """A raw query straight to the server, independent of the code under test."""
    data = {"q": q, **({"db": db} if db else {})}
    response = requests.post(f"{url}/query", data=data, timeout=10, **auth)
    response.raise_for_status()
    (result,) = response.json()["results"]
    assert "error" not in result, result
    return result.get("series", [])


def policies_on_server(url: str, db: str) -> dict[str, dict]:
    (series,) = influxql(url, "SHOW RETENTION POLICIES", db)
    return {row[0]: dict(zip(series["columns"], row, strict=True)) for row in series["values"]}


@pytest.fixture
def fresh_db(influxd):
    name = fresh_database_name("pdm_setup")
    yield name
    drop_database(influxd.url, name)


def make_store(influxd, database: str, **kwargs) -> InfluxStore:
    return InfluxStore(url=influxd.url, database=database, **kwargs)


# --- setup -----------------------------------------------------------------------------------


def test_setup_creates_the_database_with_raw_as_default_and_derived_at_the_configured_durations(
    influxd, fresh_db
):
    store = make_store(influxd, fresh_db, raw_retention="2d", derived_retention="30d")

    first = store.setup()
    second = store.setup()  # idempotent: nothing changes, nothing fails

    assert first == second
    on_server = policies_on_server(influxd.url, fresh_db)
    assert on_server["raw"]["duration"] == "48h0m0s"
    assert on_server["raw"]["default"] is True
    assert on_server["derived"]["duration"] == "720h0m0s"
    assert on_server["derived"]["default"] is False
    reported = {p.name: p for p in first}
    assert (reported["raw"].duration, reported["raw"].default) == ("2d", True)
    assert (reported["derived"].duration, reported["derived"].default) == ("30d", False)


def test_changing_a_duration_and_rerunning_setup_alters_the_policy(influxd, fresh_db):
    make_store(influxd, fresh_db, raw_retention="90d", derived_retention="730d").setup()

    # 730d has 7-day shards; 1h is shorter, so setup must shrink the shard duration as well.
    make_store(influxd, fresh_db, raw_retention="30d", derived_retention="1h").setup()

    on_server = policies_on_server(influxd.url, fresh_db)
    assert on_server["raw"]["duration"] == "720h0m0s"
    assert on_server["raw"]["default"] is True
    assert on_server["derived"]["duration"] == "1h0m0s"
    assert on_server["derived"]["shardGroupDuration"] == "1h0m0s"


def test_setup_makes_an_existing_non_default_raw_policy_the_default(influxd, fresh_db):
    influxql(influxd.url, f'CREATE DATABASE "{fresh_db}"')
    influxql(influxd.url, f'CREATE RETENTION POLICY "raw" ON "{fresh_db}" DURATION 90d REPLICATION 1')

    make_store(influxd, fresh_db).setup()

    on_server = policies_on_server(influxd.url, fresh_db)
    assert on_server["raw"]["default"] is True
    assert on_server["autogen"]["default"] is False


def test_with_manage_schema_off_setup_creates_nothing_and_reports_the_configured_policies(influxd, fresh_db):
    store = make_store(influxd, fresh_db, manage_schema=False)

    policies = store.setup()

    assert {p.name: (p.duration, p.default) for p in policies} == {
        "raw": ("90d", True),
        "derived": ("730d", False),
    }
    (databases,) = influxql(influxd.url, "SHOW DATABASES")
    assert [fresh_db] not in databases.get("values", [])


def test_a_database_name_with_quotes_and_spaces_is_quoted_not_injected(influxd):
    name = f'pdm "quoted" db; DROP DATABASE x {fresh_database_name()}'
    store = make_store(influxd, name)
    try:
        store.setup()
        store.write([Point("events", "M-1", T0, {"v": 1.0})])
        assert store.count(measurement="events") == 1
        (databases,) = influxql(influxd.url, "SHOW DATABASES")
        assert [name] in databases["values"]
    finally:
        influxql(influxd.url, f"DROP DATABASE {quote_ident(name)}")


@pytest.mark.parametrize("bad", ["", "90x", "d90", "-1d", "1d 2h", "30m"])
def test_an_invalid_or_too_short_retention_is_refused_at_construction(influxd, bad):
    with pytest.raises(ValueError, match="INFLUXDB_RAW_RETENTION"):
        make_store(influxd, "pdm", raw_retention=bad)


# --- layout ----------------------------------------------------------------------------------


def test_each_measurement_is_written_to_its_retention_policy(influx_store, influxd):
    measurements = ["events", "features", "scores", "health", "pdm_check"]
    influx_store.write([Point(m, "M-1", T0, {"v": 1.0}) for m in measurements])

    for m in measurements:
        rp = "derived" if m in {"features", "scores", "health"} else "raw"
        assert retention_policy_of(m) == rp
        (series,) = influxql(influxd.url, f'SELECT count("v") FROM "{rp}"."{m}"', influx_store.database)  # noqa: S608
        assert series["values"][0][1] == 1, m
        other = "raw" if rp == "derived" else "derived"
        assert influxql(influxd.url, f'SELECT count("v") FROM "{other}"."{m}"', influx_store.database) == []  # noqa: S608


def test_asset_id_is_the_only_tag_and_times_are_stored_to_the_microsecond(influx_store, influxd):
    t = T0 + timedelta(microseconds=654321)
    influx_store.write([Point("events", "M-1", t, {"v": 1.5, "event_id": "e-1"})])

    (keys,) = influxql(influxd.url, 'SHOW TAG KEYS FROM "raw"."events"', influx_store.database)
    (rows,) = influxql(influxd.url, 'SELECT * FROM "raw"."events"', influx_store.database)

    assert keys["values"] == [["asset_id"]]
    assert rows["values"][0][0] == t.isoformat().replace("+00:00", "Z")


def test_large_writes_are_split_into_write_batch_sized_requests(influxd, fresh_db):
    store = make_store(influxd, fresh_db, write_batch=7)
    store.setup()
    sizes: list[int] = []
    send = store._write_lines  # every /write request goes through here, to the real influxd

    def counting(rp: str, body: bytes) -> None:
        sizes.append(len(body.rstrip(b"\n").split(b"\n")))
        send(rp, body)

    store._write_lines = counting

    store.write([Point("events", "M-1", T0 + i * timedelta(seconds=1), {"v": float(i)}) for i in range(20)])
    store.write_rows(
        PointRows("events", ("v",), (float,), [("M-2", to_micros(T0) + i, (float(i),)) for i in range(20)])
    )

    assert sizes == [7, 7, 6, 7, 7, 6]
    assert store.count(measurement="events") == 40


def test_a_chunk_refused_part_way_raises_and_leaves_the_earlier_chunks_written(influxd, fresh_db):
    store = make_store(influxd, fresh_db, write_batch=2)
    store.setup()
    store.write([Point("events", "M-0", T0, {"v": 1.0})])  # `v` is a float field from now on
    points = [Point("events", "M-1", T0 + i * timedelta(seconds=1), {"v": float(i)}) for i in range(4)]
    points.append(Point("events", "M-1", T0 + timedelta(seconds=9), {"v": "not a float"}))

    with pytest.raises(TimeSeriesError, match="field type conflict"):
        store.write(points)

    assert store.count(measurement="events", asset_id="M-1") == 4  # rewriting the batch is safe


# --- errors ----------------------------------------------------------------------------------


def test_an_unreachable_url_raises_timeseries_unavailable_quickly():
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    store = InfluxStore(url=url, database="pdm", timeout_s=5)

    for call in (
        store.ping,
        store.setup,
        lambda: store.write([Point("events", "M-1", T0, {"v": 1.0})]),
        lambda: store.read(measurement="events", asset_id="M-1", start=T0, end=T0 + timedelta(1)),
        lambda: store.count(measurement="events"),
    ):
        started = time.monotonic()
        with pytest.raises(
            TimeSeriesUnavailable, match=f"cannot reach InfluxDB at {url}: connection refused"
        ):
            call()
        assert time.monotonic() - started < 2


def test_a_field_type_conflict_is_a_timeseries_conflict_with_the_servers_message(influx_store):
    influx_store.write([Point("events", "M-1", T0, {"v": 1.0})])

    with pytest.raises(TimeSeriesConflict, match="field type conflict") as info:
        influx_store.write([Point("events", "M-1", T0 + timedelta(seconds=1), {"v": "text"})])

    assert not isinstance(info.value, TimeSeriesUnavailable)  # no retry helps: not spooled
    assert "DROP SHARD" in str(info.value)


def test_a_stopped_server_is_unavailable_and_after_a_restart_the_data_is_still_there(influxd, influx_store):
    influx_store.write(
        [Point("events", "M-1", T0 + i * timedelta(seconds=1), {"v": float(i)}) for i in range(50)]
    )
    influxd.stop()
    try:
        with pytest.raises(TimeSeriesUnavailable):
            influx_store.count(measurement="events")
    finally:
        influxd.start()

    assert influx_store.count(measurement="events") == 50
    assert influx_store.ping().startswith("InfluxDB 1.")


def test_requests_reuse_one_kept_alive_connection_and_replace_it_after_a_server_restart(
    influxd, influx_store
):
    for i in range(5):
        influx_store.write([Point("events", "M-1", T0 + i * timedelta(seconds=1), {"v": float(i)})])
    pool = influx_store.http._connections
    assert len(pool._idle) == 1  # five writes and their field-key lookup went over one connection
    kept = pool._idle[0]

    influxd.stop()
    influxd.start()  # the kept connection is now dead; the next request notices and reconnects
    influx_store.write([Point("events", "M-1", T0 + timedelta(seconds=9), {"v": 9.0})])

    assert influx_store.count(measurement="events") == 6
    assert len(pool._idle) == 1 and pool._idle[0] is not kept


# --- auth ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def influxd_with_auth():
    server = InfluxdServer.launch(auth_enabled=True)
    try:
        # With auth on, the first user may be created without credentials and must be an admin.
        influxql(server.url, "CREATE USER admin WITH PASSWORD 's3cret pass' WITH ALL PRIVILEGES")
        yield server
    finally:
        server.close()


def test_username_and_password_authenticate_against_influxdb_1x(influxd_with_auth):
    store = InfluxStore(
        url=influxd_with_auth.url, database="pdm_auth", username="admin", password="s3cret pass"
    )
    store.setup()
    store.write([Point("events", "M-1", T0, {"v": 1.0})])

    assert store.count(measurement="events") == 1


def test_wrong_credentials_are_misconfigured_and_say_which_settings_to_check(influxd_with_auth):
    store = InfluxStore(url=influxd_with_auth.url, database="pdm_auth", username="admin", password="wrong")

    with pytest.raises(TimeSeriesMisconfigured, match="refused the credentials") as info:
        store.count(measurement="events")

    assert "INFLUXDB_USERNAME/INFLUXDB_PASSWORD" in str(info.value)


def test_a_token_is_sent_as_an_authorization_token_header(influxd):
    store = InfluxStore(url=influxd.url, database="pdm", token="my-token")

    assert store.http.session.headers["Authorization"] == "Token my-token"
    assert store.http.session.auth is None


# --- the check command -----------------------------------------------------------------------


def test_check_timeseries_writes_reads_and_deletes_a_point_on_the_real_influxd(influx_settings):
    out = StringIO()

    call_command("check_timeseries", stdout=out)

    text = out.getvalue()
    assert f"Backend: influxdb — InfluxDB at {influx_settings.url}" in text
    assert "Server: InfluxDB 1.6" in text
    assert "raw 90d (default)" in text
    assert "derived 730d" in text
    assert "Write: 1 point to pdm_check" in text
    assert "Read: the point came back identical" in text
    assert "Delete: removed, 0 points left" in text
    assert "OK: the influxdb time-series store works" in text
    assert influx_settings.count(measurement="pdm_check") == 0


def test_check_timeseries_against_a_closed_port_exits_non_zero_with_a_one_line_message():
    url = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "INFLUXDB_URL": url,
        "INFLUXDB_TIMEOUT_S": "5",
        "DJANGO_SETTINGS_MODULE": "pdm_project.settings",
    }

    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "manage.py", "check_timeseries"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert f"cannot reach InfluxDB at {url}: connection refused — is influxd running" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30


# --- durations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds", "canonical"),
    [
        ("90d", 90 * 86400, "90d"),
        ("2160h", 90 * 86400, "90d"),
        ("2160h0m0s", 90 * 86400, "90d"),
        ("1w", 7 * 86400, "7d"),
        ("1h30m", 5400, "90m"),
        ("INF", 0, "INF"),
        ("0s", 0, "INF"),
    ],
)
def test_durations_parse_from_influxql_and_go_spellings(text, seconds, canonical):
    assert parse_duration(text) == seconds
    assert format_duration(seconds) == canonical
    assert retention_duration(text, "X") == canonical
