"""A labelled corpus of request bodies that /api/v1/ingest must refuse.

Each case is {"case": name, "rule": rule, "field": field, "body": raw body string}.
`rule` and `field` are what `ingestion.schemas.parse_events` reports for the violation
(the `_RULES` names plus future_timestamp, timestamp_too_old, duplicate_in_batch,
batch_too_large and json_invalid; field "$" for whole-body errors). Rules that need the
registry or the store (unknown_asset, beyond_retention) are not in the corpus. Bodies are kept as strings so that
invalid JSON and literal NaN/Infinity survive. tests/generator/test_invalid_corpus.py
runs every case through parse_events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NS = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f")
OVERSIZED_EVENTS = 10_001


@dataclass(frozen=True, slots=True)
class Case:
    case: str
    rule: str
    field: str
    body: str

    def as_dict(self) -> dict[str, str]:
        return {"case": self.case, "rule": self.rule, "field": self.field, "body": self.body}


def valid_event(i: int = 0, asset_id: str = "MTR-001") -> dict[str, Any]:
    """A valid event (fixed values) used as the base every bad case changes one thing in."""
    minute, second = divmod(i, 60)
    hour, minute = divmod(minute, 60)
    day, hour = divmod(hour, 24)
    return {
        "event_id": str(uuid.uuid5(_NS, f"{asset_id}/{i}")),
        "asset_id": asset_id,
        "timestamp": f"2025-01-{1 + day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z",
        "voltage_v": 414.2,
        "current_a": 21.35,
        "power_factor": 0.83,
        "frequency_hz": 49.98,
        "temperature_c": 52.4,
        "vibration_rms_mm_s": 1.21,
        "vibration_peak_g": 0.21,
        "vibration_kurtosis": 3.02,
        "rpm": 1486.0,
        "ambient_temperature_c": 29.5,
        "schema_version": "1.0",
    }


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _with(**changes: Any) -> str:
    ev = valid_event()
    ev.update(changes)
    return _dump(ev)


def _without(name: str) -> str:
    ev = valid_event()
    del ev[name]
    return _dump(ev)


def _literal(field: str, token: str) -> str:
    """Body with a bare JSON-ish token (NaN, Infinity) as the field's value."""
    ev = valid_event()
    ev[field] = "__TOKEN__"
    return _dump(ev).replace('"__TOKEN__"', token)


def cases() -> Iterator[Case]:
    # wrong types
    yield Case("voltage_as_string", "type_number", "voltage_v", _with(voltage_v="415.2"))
    yield Case("current_as_boolean", "type_number", "current_a", _with(current_a=True))
    yield Case("power_factor_null", "type_number", "power_factor", _with(power_factor=None))
    yield Case("temperature_as_object", "type_number", "temperature_c", _with(temperature_c={"value": 52.4}))
    yield Case("rpm_as_string", "type_number", "rpm", _with(rpm="1486"))
    yield Case("kurtosis_as_array", "type_number", "vibration_kurtosis", _with(vibration_kurtosis=[3.0]))
    yield Case("asset_id_as_number", "type_string", "asset_id", _with(asset_id=17))
    yield Case("event_id_as_number", "type_uuid", "event_id", _with(event_id=5))
    yield Case("event_id_not_a_uuid", "type_uuid", "event_id", _with(event_id="not-a-uuid"))
    yield Case("timestamp_as_epoch_number", "type_datetime", "timestamp", _with(timestamp=1735689600))
    yield Case("timestamp_words", "type_datetime", "timestamp", _with(timestamp="yesterday"))
    yield Case("timestamp_date_only", "type_datetime", "timestamp", _with(timestamp="2025-01-01"))
    yield Case("timestamp_month_13", "type_datetime", "timestamp", _with(timestamp="2025-13-01T00:00:00Z"))
    yield Case("schema_version_2", "schema_version", "schema_version", _with(schema_version="2.0"))
    yield Case("schema_version_number", "schema_version", "schema_version", _with(schema_version=1.0))
    yield Case("body_is_number", "type_object", "$", "42")
    yield Case("body_is_string", "type_object", "$", '"MTR-001"')
    yield Case("body_is_null", "type_object", "$", "null")
    yield Case("array_of_numbers", "type_object", "$", "[1,2]")
    # missing required fields
    for name in (
        "event_id",
        "asset_id",
        "timestamp",
        "voltage_v",
        "current_a",
        "power_factor",
        "frequency_hz",
        "temperature_c",
        "vibration_rms_mm_s",
    ):
        yield Case(f"missing_{name}", "required", name, _without(name))
    yield Case("empty_object", "required", "event_id", "{}")
    # unknown fields
    yield Case("unknown_field_humidity", "unknown_field", "humidity_pct", _with(humidity_pct=55.0))
    yield Case("unknown_field_tenant", "unknown_field", "tenant", _with(tenant="acme"))
    misspelt = valid_event()
    misspelt["voltage"] = misspelt.pop("voltage_v")
    yield Case("misspelt_voltage_field", "unknown_field", "voltage", _dump(misspelt))
    # out of range (values chosen by physics, not copied from the schema's table)
    for name, low, high in (
        ("voltage_v", 0.0, 1200.0),
        ("current_a", -1.0, 10_001.0),
        ("power_factor", -0.1, 1.2),
        ("frequency_hz", 44.9, 55.5),
        ("temperature_c", -60.0, 300.0),
        ("vibration_rms_mm_s", -0.5, 150.0),
        ("vibration_peak_g", -1.0, 600.0),
        ("vibration_kurtosis", -1.0, 1500.0),
        ("rpm", -5.0, 200_000.0),
        ("ambient_temperature_c", -55.0, 85.0),
        ("vibration_1x_mm_s", -0.1, 120.0),
        ("vibration_2x_mm_s", -0.1, 120.0),
        ("envelope_bpfo_g", -0.001, 600.0),
        ("envelope_bpfi_g", -0.001, 600.0),
    ):
        yield Case(f"{name}_too_low", "range", name, _with(**{name: low}))
        yield Case(f"{name}_too_high", "range", name, _with(**{name: high}))
    # asset id pattern
    yield Case("asset_id_with_space", "pattern", "asset_id", _with(asset_id="MTR 001"))
    yield Case("asset_id_empty", "pattern", "asset_id", _with(asset_id=""))
    yield Case("asset_id_leading_dash", "pattern", "asset_id", _with(asset_id="-MTR-001"))
    yield Case("asset_id_too_long", "pattern", "asset_id", _with(asset_id="M" * 65))
    # timestamps
    yield Case("timestamp_naive", "timezone_required", "timestamp", _with(timestamp="2025-01-01T00:00:00"))
    yield Case(
        "timestamp_naive_with_fraction",
        "timezone_required",
        "timestamp",
        _with(timestamp="2025-01-01T00:00:00.5"),
    )
    yield Case(
        "timestamp_far_future", "future_timestamp", "timestamp", _with(timestamp="2999-01-01T00:00:00Z")
    )
    yield Case(
        "timestamp_unix_epoch_zero", "timestamp_too_old", "timestamp", _with(timestamp="1970-01-01T00:00:00Z")
    )
    yield Case(
        "timestamp_clock_reset_2000",
        "timestamp_too_old",
        "timestamp",
        _with(timestamp="2000-01-01T00:00:00Z"),
    )
    yield Case(
        "timestamp_future_with_offset",
        "future_timestamp",
        "timestamp",
        _with(timestamp="2100-06-01T12:00:00+05:30"),
    )
    # non-finite numbers, written literally
    yield Case("voltage_nan", "finite_number", "voltage_v", _literal("voltage_v", "NaN"))
    yield Case(
        "temperature_infinity", "finite_number", "temperature_c", _literal("temperature_c", "Infinity")
    )
    yield Case(
        "rms_negative_infinity",
        "finite_number",
        "vibration_rms_mm_s",
        _literal("vibration_rms_mm_s", "-Infinity"),
    )
    yield Case("kurtosis_nan", "finite_number", "vibration_kurtosis", _literal("vibration_kurtosis", "NaN"))
    # invalid JSON
    yield Case("json_truncated", "json_invalid", "$", _dump(valid_event())[:-20])
    yield Case("json_trailing_comma", "json_invalid", "$", _dump(valid_event())[:-1] + ",}")
    yield Case("json_single_quotes", "json_invalid", "$", _dump(valid_event()).replace('"', "'"))
    yield Case("json_empty_body", "json_invalid", "$", "")
    yield Case("json_plain_text", "json_invalid", "$", "voltage=415")
    # batches
    bad = valid_event(1)
    bad["voltage_v"] = -3.0
    yield Case("batch_one_bad_event", "range", "voltage_v", _dump([valid_event(0), bad, valid_event(2)]))
    yield Case(
        "batch_exact_duplicate", "duplicate_in_batch", "timestamp", _dump([valid_event(0), valid_event(0)])
    )
    same_id = valid_event(1)
    same_id["event_id"] = valid_event(0)["event_id"]
    yield Case("batch_duplicate_event_id", "duplicate_in_batch", "event_id", _dump([valid_event(0), same_id]))
    same_key = valid_event(0)
    same_key["event_id"] = valid_event(7)["event_id"]
    yield Case(
        "batch_duplicate_natural_key", "duplicate_in_batch", "timestamp", _dump([valid_event(0), same_key])
    )
    yield Case(
        "batch_too_many_events",
        "batch_too_large",
        "$",
        _dump([valid_event(i) for i in range(OVERSIZED_EVENTS)]),
    )


def write_corpus(path: str | Path) -> int:
    """Write the corpus as JSON lines; returns the number of cases."""
    n = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for case in cases():
            fh.write(json.dumps(case.as_dict(), separators=(",", ":")) + "\n")
            n += 1
    return n
