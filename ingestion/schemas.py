"""Canonical Sensor Event v1: the one definition shared by the API, the generator and the importers.

This module imports no Django on purpose, so the bulk importer and the tests validate with
exactly the rules `/api/v1/ingest` applies. Signal names, ranges and the schema version come
from `pdm_project.contract` (shared with the digital twin). The meaning of every field is in
docs/CONTRACTS.md; change both together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)

from pdm_project.contract import FIELD_RANGES, SIGNAL_FIELDS

ASSET_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_FUTURE_SKEW = timedelta(minutes=5)
# Devices whose clock lost power report 1970 or 2000-01-01; no real reading predates this.
MIN_TIMESTAMP = datetime(2000, 1, 2, tzinfo=UTC)
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 10 * 1024 * 1024

AssetId = Annotated[str, StringConstraints(pattern=ASSET_ID_PATTERN)]
# The UUID forms docs/CONTRACTS.md allows: hyphenated 8-4-4-4-12 or 32 hex digits, any case.
# Validated as a string in pydantic's Rust core, lower-cased there, hyphenated by parse_events:
# a uuid.UUID would have to be formatted back to text for the store, 0.6 us of the ~12 us CPU
# an event of a batch costs (benchmarks/ingest.py).
UUID_PATTERN = r"^(?i:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$"
EventId = Annotated[str, StringConstraints(pattern=UUID_PATTERN, to_lower=True)]
# The lower bound is checked in the compiled core; the upper bound moves with the clock, so
# parse_events checks it in one pass over the batch and converts to UTC there: a Python
# validator per event cost ~0.6 us of the ~12 us CPU an event of a batch costs.
Timestamp = Annotated[AwareDatetime, Field(ge=MIN_TIMESTAMP)]


def _range(name: str) -> Any:
    """The Field carrying a signal's range from pdm_project.contract (inclusive or not)."""
    lo, lo_inc, hi, hi_inc = FIELD_RANGES[name]
    kwargs: dict[str, Any] = {"ge" if lo_inc else "gt": lo, "le" if hi_inc else "lt": hi}
    return Field(**kwargs)


class SensorEventV1(BaseModel):
    """One reading of one asset at one instant. Natural key: (asset_id, timestamp)."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)

    event_id: EventId
    asset_id: AssetId
    timestamp: Timestamp
    voltage_v: Annotated[float, _range("voltage_v")]
    current_a: Annotated[float, _range("current_a")]
    power_factor: Annotated[float, _range("power_factor")]
    frequency_hz: Annotated[float, _range("frequency_hz")]
    temperature_c: Annotated[float, _range("temperature_c")]
    vibration_rms_mm_s: Annotated[float, _range("vibration_rms_mm_s")]
    vibration_peak_g: Annotated[float, _range("vibration_peak_g")] | None = None
    vibration_kurtosis: Annotated[float, _range("vibration_kurtosis")] | None = None
    rpm: Annotated[float, _range("rpm")] | None = None
    ambient_temperature_c: Annotated[float, _range("ambient_temperature_c")] | None = None
    vibration_1x_mm_s: Annotated[float, _range("vibration_1x_mm_s")] | None = None
    vibration_2x_mm_s: Annotated[float, _range("vibration_2x_mm_s")] | None = None
    envelope_bpfo_g: Annotated[float, _range("envelope_bpfo_g")] | None = None
    envelope_bpfi_g: Annotated[float, _range("envelope_bpfi_g")] | None = None
    schema_version: Literal["1.0"] | None = None  # pdm_project.contract.SCHEMA_VERSION

    def signals(self) -> dict[str, float]:
        """The numeric readings that are present, keyed by contract field name."""
        out: dict[str, float] = {}
        for name in SIGNAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = float(value)
        return out


_single = TypeAdapter(SensorEventV1)
_batch = TypeAdapter(list[SensorEventV1])
_timestamp = TypeAdapter(AwareDatetime, config=ConfigDict(strict=True))
_FUTURE = f"timestamp is more than {int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes in the future"
_FIELD_ORDER = {name: i for i, name in enumerate(SensorEventV1.model_fields)}


@dataclass(frozen=True, slots=True)
class EventError:
    """One reason an event was refused: which event, which field, which rule."""

    index: int | None
    field: str
    rule: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "rule": self.rule, "message": self.message}


class EventBatchInvalid(Exception):
    """Raised when any event of a batch breaks the contract: the batch is refused whole."""

    def __init__(self, errors: list[EventError]):
        super().__init__(f"{len(errors)} contract violation(s)")
        self.errors = errors


# pydantic error types mapped to the rule names docs/CONTRACTS.md uses.
_RULES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "float_type": "type_number",
    "int_type": "type_number",
    "string_type": "type_string",
    "uuid_type": "type_uuid",
    "uuid_parsing": "type_uuid",
    "finite_number": "finite_number",
    "greater_than": "range",
    "greater_than_equal": "range",
    "less_than": "range",
    "less_than_equal": "range",
    "string_pattern_mismatch": "pattern",
    "timezone_aware": "timezone_required",
    "datetime_type": "type_datetime",
    "datetime_parsing": "type_datetime",
    "datetime_from_date_parsing": "type_datetime",
    "literal_error": "schema_version",
    "model_type": "type_object",
    "model_attributes_type": "type_object",
    "list_type": "type_array",
    "json_invalid": "json_invalid",
    "json_type": "json_invalid",
}


# Where a field's constraint is a type the contract names differently: (field, pydantic error
# type) -> (rule, message).
_FIELD_RULES = {
    **dict.fromkeys(
        (("event_id", "string_type"), ("event_id", "string_pattern_mismatch")),
        ("type_uuid", "event_id must be a UUID string: 8-4-4-4-12 hex digits with hyphens, or 32 hex digits"),
    ),
    ("timestamp", "greater_than_equal"): (
        "timestamp_too_old",
        f"timestamp is before {MIN_TIMESTAMP.date().isoformat()}: the device clock is not set",
    ),
}


def _convert(exc: ValidationError, *, batched: bool) -> list[EventError]:
    errors: list[EventError] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err["loc"])
        index: int | None = None
        if batched and loc and isinstance(loc[0], int):
            index = loc[0]
            del loc[0]
        elif not batched:
            index = 0
        field = ".".join(str(p) for p in loc) or "$"
        rule, message = _FIELD_RULES.get((field, err["type"])) or (
            _RULES.get(err["type"], err["type"]),
            err["msg"],
        )
        errors.append(EventError(index=index, field=field, rule=rule, message=message))
    return errors


def parse_events(raw: bytes | str, *, now: datetime | None = None) -> list[SensorEventV1]:
    """Validate a JSON body holding one event object or an array of them.

    The bytes are parsed once, by pydantic's JSON parser. Raises EventBatchInvalid with
    every violation (index, field, rule); callers store nothing when it is raised.
    """
    limit = (now or datetime.now(UTC)) + MAX_FUTURE_SKEW
    text = raw.lstrip()[:1]
    is_array = text in (b"[", "[")
    try:
        if is_array:
            events = _batch.validate_json(raw)
        else:
            events = [_single.validate_json(raw)]
    except ValidationError as exc:
        errors = _convert(exc, batched=is_array)
        errors += _future_in_invalid_body(raw, is_array=is_array, limit=limit)
        errors.sort(key=lambda e: (e.index or 0, _FIELD_ORDER.get(e.field, len(_FIELD_ORDER))))
        raise EventBatchInvalid(errors) from None
    # One pass completes the validation (the model is frozen for callers): the time in UTC, where
    # it compares fast, against the clock; a 32-digit id in the stored hyphenated form.
    future = []
    for i, ev in enumerate(events):
        values = ev.__dict__
        when = values["timestamp"] = values["timestamp"].astimezone(UTC)
        if when > limit:
            future.append(i)
        h = values["event_id"]
        if len(h) == 32:
            values["event_id"] = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if future:
        raise EventBatchInvalid([EventError(i, "timestamp", "future_timestamp", _FUTURE) for i in future])
    if len(events) > MAX_BATCH_EVENTS:
        raise EventBatchInvalid(
            [
                EventError(
                    index=None,
                    field="$",
                    rule="batch_too_large",
                    message=f"a batch holds at most {MAX_BATCH_EVENTS} events, got {len(events)}",
                )
            ]
        )
    check_unique(events)
    return events


def _future_in_invalid_body(raw: bytes | str, *, is_array: bool, limit: datetime) -> list[EventError]:
    """The future timestamps of a body that failed validation, so its answer names every
    violation as before (only invalid bodies pay for this second parse)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    items = data if is_array and isinstance(data, list) else [data]
    errors = []
    for i, item in enumerate(items):
        value = item.get("timestamp") if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        try:
            when = _timestamp.validate_json(json.dumps(value))
        except ValidationError:
            continue  # already named by the model's own error
        if when > limit:
            errors.append(EventError(i if is_array else 0, "timestamp", "future_timestamp", _FUTURE))
    return errors


def parse_event_dict(data: dict[str, Any], *, now: datetime | None = None) -> SensorEventV1:
    """Validate one already-decoded event under the same JSON-mode rules as the API."""
    return parse_events(json.dumps(data, allow_nan=True), now=now)[0]


def check_unique(events: Iterable[SensorEventV1]) -> None:
    """Refuse a batch that repeats a natural key or an event_id: the same reading twice."""
    events = events if isinstance(events, list) else list(events)
    n = len(events)
    # Two set sizes decide the usual case; only a batch with a repeat is walked again to name it.
    if len({(ev.asset_id, ev.timestamp) for ev in events}) == n and len({ev.event_id for ev in events}) == n:
        return
    seen_keys: dict[tuple[str, datetime], int] = {}
    seen_ids: dict[str, int] = {}
    errors: list[EventError] = []
    for i, ev in enumerate(events):
        key = (ev.asset_id, ev.timestamp)
        if key in seen_keys:
            errors.append(
                EventError(
                    index=i,
                    field="timestamp",
                    rule="duplicate_in_batch",
                    message=f"(asset_id, timestamp) repeats event {seen_keys[key]} of this batch",
                )
            )
        else:
            seen_keys[key] = i
        if ev.event_id in seen_ids:
            errors.append(
                EventError(
                    index=i,
                    field="event_id",
                    rule="duplicate_in_batch",
                    message=f"event_id repeats event {seen_ids[ev.event_id]} of this batch",
                )
            )
        else:
            seen_ids[ev.event_id] = i
    if errors:
        raise EventBatchInvalid(errors)
