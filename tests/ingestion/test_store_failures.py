"""Every failure class of the write path, through the ingest API against a real influxd.

Each ends in 201, 202 spooled, or a 4xx/503 that says what to do: never a 500, never a
lost batch. What the server holds is read with raw InfluxQL, not through the store.

| failure                                   | answer                      | then                        |
|-------------------------------------------|-----------------------------|-----------------------------|
| refused connection                        | 202 spooled                 | replay stores every event   |
| timeout                                   | 202 spooled                 | replay stores it, once      |
| missing database / retention policy       | 201 (created on first use)  | -                           |
| the same, INFLUXDB_MANAGE_SCHEMA=false    | 503 naming it and the fix, spooled | replay once created  |
| refused credentials                       | 503 naming the settings, spooled   | replay once fixed    |
| field type conflict                       | 409 naming the field and the fix   | resend once fixed    |
| HTTP 5xx from influxd                     | 202 spooled                 | replay once it recovers     |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from ingestion.models import SpoolEntry
from ingestion.tasks import spool_replay_task
from ingestion.timeseries import reset_store
from ingestion.timeseries.influx import InfluxStore
from ingestion.timeseries.validation import to_micros
from pdm_project.devservices import InfluxdServer
from tests.factories import AssetFactory, TenantFactory, token_for
from tests.fixtures.influx import drop_database, fresh_database_name
from tests.ingestion.conftest import post_events
from tests.ingestion.events import T0, body, series

pytestmark = pytest.mark.slow


def influxql(url: str, q: str, db: str | None = None, **auth) -> dict:
    response = requests.post(f"{url}/query", data={"q": q, **({"db": db} if db else {})}, timeout=10, **auth)
    response.raise_for_status()
    (result,) = response.json()["results"]
    assert "error" not in result, result
    return result


def stored_event_ids(url: str, db: str, **auth) -> list[str]:
    """event_id of every point of raw.events, in time order."""
    result = influxql(url, 'SELECT "event_id" FROM "raw"."events"', db, **auth)
    return [row[1] for s in result.get("series", []) for row in s["values"]]


def ids(events: list[dict]) -> list[str]:
    return [e["event_id"] for e in events]


@pytest.fixture
def point_store(settings):
    """Point the platform's store at a server and database (the cached store rebuilt)."""

    def point(url: str, database: str, *, manage_schema: bool = True, timeout_s: float = 10.0) -> None:
        settings.INFLUXDB_URL = url
        settings.INFLUXDB_DATABASE = database
        settings.INFLUXDB_MANAGE_SCHEMA = manage_schema
        settings.INFLUXDB_TIMEOUT_S = timeout_s
        settings.TIMESERIES_BACKEND = "influxdb"
        reset_store()

    yield point
    reset_store()


@pytest.fixture
def db_name(influxd):
    influxd.start()
    name = fresh_database_name("pdm_fail")
    yield name
    drop_database(influxd.url, name)


@pytest.fixture
def own_influxd(tmp_path):
    """A server of the test's own, for failures that would disturb the session's server."""
    server = InfluxdServer(tmp_path)
    server.start()
    yield server
    server.close()


# --- the store cannot be reached: spooled ----------------------------------------------------


def test_a_refused_connection_is_202_spooled_and_the_replay_stores_every_event(
    api, asset, own_influxd, point_store
):
    point_store(own_influxd.url, "pdm")
    before, during = series(asset.asset_id, 50), series(asset.asset_id, 50, start=T0 + timedelta(hours=1))
    assert post_events(api, body(before)).status_code == 201
    own_influxd.stop()
    try:
        response = post_events(api, body(during))
        assert response.status_code == 202
        assert response.json()["spooled"] is True and "spooled" in response.json()["detail"]
        assert spool_replay_task()["remaining"] == 1  # still down: kept
    finally:
        own_influxd.start()

    assert spool_replay_task() == {"entries": 1, "events": 50, "remaining": 0}
    assert stored_event_ids(own_influxd.url, "pdm") == ids(before) + ids(during)


def test_a_timeout_is_202_spooled_and_the_replay_stores_the_batch_once(api, asset, own_influxd, point_store):
    point_store(own_influxd.url, "pdm", timeout_s=1.0)
    first, late = series(asset.asset_id, 20), series(asset.asset_id, 20, start=T0 + timedelta(hours=1))
    assert post_events(api, body(first)).status_code == 201
    own_influxd.pause()  # accepts connections, answers nothing
    try:
        response = post_events(api, body(late))
    finally:
        own_influxd.resume()

    assert response.status_code == 202 and response.json()["spooled"] is True
    # influxd may still apply the write it received before it froze: the replay rewrites the
    # same points, so each event is stored once either way.
    assert spool_replay_task() == {"entries": 1, "events": 20, "remaining": 0}
    assert stored_event_ids(own_influxd.url, "pdm") == ids(first) + ids(late)


def test_an_http_5xx_from_influxd_is_202_spooled_and_replayed_once_it_recovers(
    api, asset, tmp_path, point_store
):
    # An influxd whose write cache is far too small answers every write with HTTP 500
    # ("engine: cache-max-memory-size exceeded").
    server = InfluxdServer.launch(tmp_path, env={"INFLUXDB_DATA_CACHE_MAX_MEMORY_SIZE": "1k"})
    try:
        point_store(server.url, "pdm")
        events = series(asset.asset_id, 30)

        response = post_events(api, body(events))

        assert response.status_code == 202 and response.json()["spooled"] is True
        assert "HTTP 500" in SpoolEntry.objects.get().last_error
        assert stored_event_ids(server.url, "pdm") == []

        server.stop()
        server.env = None  # the operator gives it its normal cache size
        server.start()
        assert spool_replay_task() == {"entries": 1, "events": 30, "remaining": 0}
        assert stored_event_ids(server.url, "pdm") == ids(events)
    finally:
        server.close()


# --- the schema is missing ---------------------------------------------------------------------


def test_the_server_started_against_an_influxd_without_its_database_answers_201_to_the_first_batch(
    transactional_db, influxd, db_name, point_store, live_server
):
    point_store(influxd.url, db_name)  # a fresh process-wide store: no setup() has run
    assert [db_name] not in influxql(influxd.url, "SHOW DATABASES")["series"][0].get("values", [])
    tenant = TenantFactory(name="first-use")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    events = series("PUMP-01", 100)

    response = requests.post(
        f"{live_server.url}/api/v1/ingest",
        data=body(events),
        headers={
            "Authorization": f"Bearer {token_for(tenant, 'ingest')}",
            "Content-Type": "application/json",
        },
        timeout=60,
    )

    assert response.status_code == 201, response.text
    assert response.json() == {"accepted": 100, "assets": 1, "spooled": False}
    assert stored_event_ids(influxd.url, db_name) == ids(events)


def test_a_database_dropped_mid_stream_loses_no_batch(api, asset, influxd, db_name, point_store):
    point_store(influxd.url, db_name)
    batches = [series(asset.asset_id, 40, start=T0 + timedelta(minutes=10 * k)) for k in range(8)]
    statuses = []
    for k, batch in enumerate(batches):
        if k == 3:
            influxql(influxd.url, f'DROP DATABASE "{db_name}"')  # an operator's mistake, at runtime
        statuses.append(post_events(api, body(batch)).status_code)

    assert statuses == [201] * 8
    assert not SpoolEntry.objects.exists()
    # The drop took the first three batches; every batch after it is there, in full.
    assert stored_event_ids(influxd.url, db_name) == [i for batch in batches[3:] for i in ids(batch)]


def test_a_retention_policy_dropped_mid_stream_is_created_again_and_the_batch_answers_201(
    api, asset, influxd, db_name, point_store
):
    point_store(influxd.url, db_name)
    assert post_events(api, body(series(asset.asset_id, 10))).status_code == 201
    influxql(influxd.url, f'DROP RETENTION POLICY "raw" ON "{db_name}"')  # influxd answers writes 500
    events = series(asset.asset_id, 10, start=T0 + timedelta(hours=1))

    assert post_events(api, body(events)).status_code == 201

    assert stored_event_ids(influxd.url, db_name) == ids(events)
    assert not SpoolEntry.objects.exists()


@pytest.mark.parametrize("missing", ["database", "retention policy"])
def test_with_manage_schema_off_a_missing_schema_is_503_naming_it_and_the_fix_and_the_batch_is_spooled(
    api, asset, influxd, db_name, point_store, missing
):
    if missing == "retention policy":
        influxql(influxd.url, f'CREATE DATABASE "{db_name}"')  # only autogen: no "raw"
    point_store(influxd.url, db_name, manage_schema=False)
    events = series(asset.asset_id, 25)

    response = post_events(api, body(events))

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    payload = response.json()
    assert payload["spooled"] is True and payload["accepted"] == 25
    assert f"no database {db_name!r}" in payload["detail"]
    assert f"{missing} not found" in payload["detail"]
    assert "INFLUXDB_MANAGE_SCHEMA is false" in payload["detail"] and "check_timeseries" in payload["detail"]
    assert "spooled" in payload["detail"]
    assert SpoolEntry.objects.get().n_events == 25

    # The operator creates the schema (what check_timeseries does); the replay writes the batch.
    InfluxStore(url=influxd.url, database=db_name).setup()
    assert spool_replay_task() == {"entries": 1, "events": 25, "remaining": 0}
    assert stored_event_ids(influxd.url, db_name) == ids(events)


# --- the server refuses --------------------------------------------------------------------------


def test_refused_credentials_are_503_naming_the_settings_and_the_batch_is_spooled(
    api, asset, tmp_path, settings, point_store
):
    server = InfluxdServer.launch(tmp_path, auth_enabled=True)
    admin = ("admin", "right pass")
    try:
        influxql(server.url, "CREATE USER admin WITH PASSWORD 'right pass' WITH ALL PRIVILEGES")
        settings.INFLUXDB_USERNAME, settings.INFLUXDB_PASSWORD = "admin", "wrong pass"
        point_store(server.url, "pdm")
        events = series(asset.asset_id, 15)

        response = post_events(api, body(events))

        assert response.status_code == 503
        assert response.json()["spooled"] is True
        assert "refused the credentials" in response.json()["detail"]
        assert "INFLUXDB_USERNAME/INFLUXDB_PASSWORD" in response.json()["detail"]

        settings.INFLUXDB_PASSWORD = "right pass"  # the operator fixes the setting; workers restart
        reset_store()
        assert spool_replay_task() == {"entries": 1, "events": 15, "remaining": 0}
        assert stored_event_ids(server.url, "pdm", auth=admin) == ids(events)
    finally:
        server.close()


def test_a_field_type_conflict_is_409_naming_the_field_and_the_fix_and_nothing_is_spooled(
    api, asset, influxd, db_name, point_store
):
    point_store(influxd.url, db_name)
    events = series(asset.asset_id, 20)
    start = datetime.fromisoformat(events[0]["timestamp"]).astimezone(UTC)
    # Another writer put voltage_v into the same shard as an integer.
    InfluxStore(url=influxd.url, database=db_name).setup()
    requests.post(
        f"{influxd.url}/write",
        params={"db": db_name, "rp": "raw", "precision": "u"},
        data=f"events,asset_id=OTHER voltage_v=415i {to_micros(start - timedelta(minutes=5))}",
        timeout=10,
    ).raise_for_status()

    response = post_events(api, body(events))

    assert response.status_code == 409
    (error,) = response.json()["errors"]
    assert (error["field"], error["rule"]) == ("voltage_v", "field_type_conflict")
    assert "field type conflict" in response.json()["detail"]
    assert "DROP SHARD" in response.json()["detail"]
    assert not SpoolEntry.objects.exists()  # it would block the spool: the client keeps the batch

    # The operator drops the shard of those times, as the answer says; the resend is stored.
    shards = influxql(influxd.url, "SHOW SHARDS")["series"]
    (shard_id,) = [row[0] for s in shards if s["name"] == db_name for row in s["values"] if row[2] == "raw"]
    influxql(influxd.url, f"DROP SHARD {shard_id}")
    assert post_events(api, body(events)).status_code == 201
    assert stored_event_ids(influxd.url, db_name) == ids(events)
