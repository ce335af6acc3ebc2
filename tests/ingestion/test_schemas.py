"""The event contract's identity and time fields (docs/CONTRACTS.md §1.1):

* event_id: the UUID forms the contract allows (hyphenated or 32 hex digits, any case) are
  accepted and stored lower-case hyphenated; anything else is `type_uuid` naming `event_id`;
* timestamp: any UTC offset, returned in UTC; not before 2000-01-02, not more than 5 minutes
  ahead of the server's clock; every violation of a batch is named, whatever else is wrong."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingestion.schemas import EventBatchInvalid, parse_events
from ingestion.timeseries import get_store, reset_store
from tests.ingestion.conftest import post_events
from tests.ingestion.events import T0, event

CANONICAL = "3f2b8c1e-8a4d-4c1e-9b7a-2d5e6f708192"


@pytest.mark.parametrize(
    "sent",
    [CANONICAL, CANONICAL.upper(), CANONICAL.replace("-", ""), CANONICAL.replace("-", "").upper()],
    ids=["hyphenated", "upper", "hex32", "hex32-upper"],
)
def test_accepts_every_allowed_uuid_form_and_returns_it_canonical(sent):
    (parsed,) = parse_events(json.dumps(event("MTR-001", T0, event_id=sent)))
    assert parsed.event_id == CANONICAL == str(uuid.UUID(sent))


@pytest.mark.parametrize(
    "sent",
    [
        "{" + CANONICAL + "}",
        "urn:uuid:" + CANONICAL,
        CANONICAL[:8] + CANONICAL[9:],  # one hyphen missing
        CANONICAL + "\n",
        CANONICAL[:-1] + "g",
        CANONICAL[:-1],
        "",
        5,
        None,
    ],
    ids=["braced", "urn", "partly-hyphenated", "newline", "non-hex", "short", "empty", "number", "null"],
)
def test_rejects_other_forms_with_type_uuid_naming_event_id(sent):
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(
            json.dumps([event("MTR-001", T0), event("MTR-001", T0.replace(minute=1), event_id=sent)])
        )
    [(index, field, rule)] = [(e.index, e.field, e.rule) for e in exc.value.errors]
    assert (index, field, rule) == (1, "event_id", "type_uuid")


def test_one_id_in_two_forms_is_a_duplicate_in_batch():
    events = [
        event("MTR-001", T0, event_id=CANONICAL),
        event("MTR-001", T0.replace(minute=1), event_id=CANONICAL.replace("-", "").upper()),
    ]
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(json.dumps(events))
    assert [(e.index, e.field, e.rule) for e in exc.value.errors] == [(1, "event_id", "duplicate_in_batch")]


@pytest.mark.parametrize("backend", ["sql", "influxdb"])
def test_store_holds_the_canonical_form_of_a_32_hex_upper_case_id(backend, api, asset, settings, request):
    if backend == "influxdb":
        store = request.getfixturevalue("influx_settings")
    else:
        settings.INFLUXDB_URL = ""
        reset_store()
        store = get_store()
    resp = post_events(
        api, json.dumps(event(asset.asset_id, T0, event_id=CANONICAL.replace("-", "").upper()))
    )
    assert resp.status_code == 201, resp.content
    [point] = store.read(
        measurement="events", asset_id=asset.asset_id, start=T0, end=T0.replace(hour=T0.hour + 1)
    )
    assert point.fields["event_id"] == CANONICAL
    reset_store()


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _errors(events: list[dict], now: datetime = NOW) -> list[tuple]:
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(json.dumps(events), now=now)
    return [(e.index, e.field, e.rule) for e in exc.value.errors]


def test_timestamp_with_an_offset_is_returned_in_utc():
    local = datetime(2026, 6, 1, 17, 0, tzinfo=IST)
    (parsed,) = parse_events(json.dumps(event("MTR-001", NOW, timestamp=local.isoformat())), now=NOW)
    assert parsed.timestamp == local
    assert parsed.timestamp.tzinfo is UTC and parsed.timestamp.hour == 11 and parsed.timestamp.minute == 30


def test_timestamp_five_minutes_ahead_is_accepted_one_second_more_is_future_timestamp():
    ok = event("MTR-001", NOW, timestamp=_iso(NOW + timedelta(minutes=5)))
    assert len(parse_events(json.dumps([ok]), now=NOW)) == 1
    late = event("MTR-001", NOW, timestamp=_iso(NOW + timedelta(minutes=5, seconds=1)))
    assert _errors([event("MTR-002", NOW), late]) == [(1, "timestamp", "future_timestamp")]


def test_future_timestamp_is_judged_in_utc_whatever_its_offset():
    # 17:36 at +05:30 is 12:06 UTC: more than 5 minutes after 12:00 UTC
    ahead = datetime(2026, 6, 1, 17, 36, tzinfo=IST).isoformat()
    assert _errors([event("MTR-001", NOW, timestamp=ahead)]) == [(0, "timestamp", "future_timestamp")]
    behind = datetime(2026, 6, 1, 17, 34, tzinfo=IST).isoformat()
    assert len(parse_events(json.dumps([event("MTR-001", NOW, timestamp=behind)]), now=NOW)) == 1


def test_timestamp_before_2000_01_02_is_timestamp_too_old_naming_the_date():
    boundary = event("MTR-001", NOW, timestamp="2000-01-02T00:00:00Z")
    assert len(parse_events(json.dumps([boundary]), now=NOW)) == 1
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(json.dumps([event("MTR-001", NOW, timestamp="2000-01-01T23:59:59Z")]), now=NOW)
    [error] = exc.value.errors
    assert (error.index, error.field, error.rule) == (0, "timestamp", "timestamp_too_old")
    assert "2000-01-02" in error.message


def test_a_batch_names_its_future_timestamps_beside_its_other_violations_in_event_order():
    events = [
        event("MTR-001", NOW, timestamp=_iso(NOW + timedelta(hours=1))),
        event("MTR-001", NOW, voltage_v="415"),
        event("MTR-001", NOW, timestamp=_iso(NOW + timedelta(days=1)), current_a=-1.0),
        event("MTR-001", NOW, timestamp="yesterday"),
    ]
    assert _errors(events) == [
        (0, "timestamp", "future_timestamp"),
        (1, "voltage_v", "type_number"),
        (2, "timestamp", "future_timestamp"),
        (2, "current_a", "range"),
        (3, "timestamp", "type_datetime"),
    ]


def test_a_single_event_object_with_a_future_timestamp_and_another_violation_names_both():
    ev = event("MTR-001", NOW, timestamp=_iso(NOW + timedelta(hours=1)), power_factor=1.5)
    with pytest.raises(EventBatchInvalid) as exc:
        parse_events(json.dumps(ev), now=NOW)
    assert [(e.index, e.field, e.rule) for e in exc.value.errors] == [
        (0, "timestamp", "future_timestamp"),
        (0, "power_factor", "range"),
    ]
