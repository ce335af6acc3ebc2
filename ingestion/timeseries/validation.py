"""Input rules both backends share, so the SQL store and InfluxDB refuse exactly the same things.

* measurement: one of `base.MEASUREMENTS` (and an identifier, see IDENTIFIER_RE);
* field names: IDENTIFIER_RE, and not `time` / `asset_id` (InfluxDB's time column and our tag);
* asset_id: 1-64 characters, no control characters (InfluxDB 1.x line protocol cannot carry a
  newline in a tag value), and no backslash at the end or right before a space, comma or
  equals sign (line protocol cannot tell those apart from its own escapes). Quotes,
  semicolons, spaces, commas, `=`, other backslashes are all fine: they are escaped on write
  and bound as query parameters on read, never interpolated;
* field values: bool, int (64-bit), finite float, str (at most 64 KiB of UTF-8); None = absent;
* times: timezone-aware, within InfluxDB's range (1677-09-21 .. 2262-04-11), kept to the
  microsecond.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from math import isfinite

from .base import MEASUREMENTS, FieldValue, Point, check_measurement, require_utc

IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
RESERVED_FIELD_NAMES = frozenset({"time", "asset_id"})
ASSET_ID_MAX_LENGTH = 64
STRING_FIELD_MAX_BYTES = 64 * 1024
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# InfluxDB stores int64 nanoseconds; keep both backends inside that range.
MIN_TIME_US = -9_223_372_036_854_775 + 1
MAX_TIME_US = 9_223_372_036_854_775 - 1

_BAD_BACKSLASH = re.compile(r"\\(?=[ ,=]|$)")


def check_measurement_name(measurement: str) -> str:
    if not isinstance(measurement, str) or not IDENTIFIER_RE.fullmatch(measurement):
        raise ValueError(f"invalid measurement name {measurement!r}")
    return check_measurement(measurement)


def check_field_name(name: str) -> str:
    if not isinstance(name, str) or not IDENTIFIER_RE.fullmatch(name):
        raise ValueError(f"invalid field name {name!r}: must match {IDENTIFIER_RE.pattern}")
    if name in RESERVED_FIELD_NAMES:
        raise ValueError(f"field name {name!r} is reserved")
    return name


def check_field_names(fields: Sequence[str] | None) -> list[str] | None:
    """Validate a projection; None means every field, an empty list is refused."""
    if fields is None:
        return None
    if isinstance(fields, str):
        raise ValueError("fields must be a sequence of field names, not a string")
    names = list(dict.fromkeys(check_field_name(f) for f in fields))
    if not names:
        raise ValueError("fields must name at least one field (or be None for all)")
    return names


def check_asset_id(asset_id: str) -> str:
    if not isinstance(asset_id, str) or not asset_id:
        raise ValueError(f"asset_id must be a non-empty string, got {asset_id!r}")
    if len(asset_id) > ASSET_ID_MAX_LENGTH:
        raise ValueError(f"asset_id longer than {ASSET_ID_MAX_LENGTH} characters: {asset_id[:20]!r}...")
    _check_utf8(asset_id, "asset_id")
    if any(unicodedata.category(ch) == "Cc" for ch in asset_id):
        raise ValueError(f"asset_id must not contain control characters (newline, tab, ...): {asset_id!r}")
    if _BAD_BACKSLASH.search(asset_id):
        raise ValueError(
            f"asset_id must not end with a backslash or have one before a space, comma or '=': {asset_id!r}"
        )
    return asset_id


def _check_utf8(value: str, what: str) -> bytes:
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{what} is not valid Unicode text (lone surrogate): {value!r}") from None


def check_field_value(name: str, value: object) -> FieldValue:
    """The value as a plain bool/int/float/str; numpy scalars are converted."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            # PostgreSQL's jsonb cannot hold U+0000; refuse it in both backends alike.
            raise ValueError(f"field {name!r}: string contains a NUL character")
        if len(_check_utf8(value, f"field {name!r}")) > STRING_FIELD_MAX_BYTES:
            raise ValueError(f"field {name!r}: string longer than {STRING_FIELD_MAX_BYTES} bytes")
        return str(value)
    if type(value).__module__ == "numpy" and type(value).__name__ in {"bool", "bool_"}:
        return bool(value)  # numpy.bool_, without importing numpy here
    if isinstance(value, numbers.Integral):
        ivalue = int(value)
        if not INT64_MIN <= ivalue <= INT64_MAX:
            raise ValueError(f"field {name!r}: integer {ivalue} does not fit in 64 bits")
        return ivalue
    if isinstance(value, numbers.Real):
        fvalue = float(value)
        if not math.isfinite(fvalue):
            raise ValueError(f"field {name!r}: {fvalue} is not a finite number")
        return fvalue
    raise ValueError(f"field {name!r}: unsupported value type {type(value).__name__} ({value!r})")


def to_micros(value: datetime, name: str = "time") -> int:
    """Microseconds since the Unix epoch, exactly (integer arithmetic, no float rounding)."""
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is not UTC:
        value = require_utc(value, name)
    us = (value - EPOCH) // MICROSECOND
    if not MIN_TIME_US <= us <= MAX_TIME_US:
        raise ValueError(f"{name} {value.isoformat()} is outside the storable range (1677..2262)")
    return us


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def check_range(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    return (
        None if start is None else to_micros(start, "start"),
        None if end is None else to_micros(end, "end"),
    )


def check_every(every: timedelta) -> int:
    if not isinstance(every, timedelta) or every <= timedelta(0):
        raise ValueError(f"every must be a positive timedelta, got {every!r}")
    return every // MICROSECOND


def check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


NormalizedPoint = tuple[str, str, int, dict[str, FieldValue]]


_checked_field_names: set[str] = set()  # names already validated (bounded, see below)


def normalize_point(point: Point, _checked_assets: set[str] | None = None) -> NormalizedPoint:
    """(measurement, asset_id, microseconds, fields without None) or ValueError."""
    if not isinstance(point, Point):
        raise ValueError(f"expected a Point, got {type(point).__name__}")
    measurement = point.measurement
    if type(measurement) is not str or measurement not in MEASUREMENTS:
        check_measurement_name(measurement)
    asset_id = point.asset_id
    if _checked_assets is None or type(asset_id) is not str or asset_id not in _checked_assets:
        check_asset_id(asset_id)
        if _checked_assets is not None:
            _checked_assets.add(asset_id)
    us = to_micros(point.time)
    fields: dict[str, FieldValue] = {}
    if not isinstance(point.fields, dict):
        raise ValueError(f"fields must be a dict, got {type(point.fields).__name__}")
    for name, value in point.fields.items():
        if type(name) is not str or name not in _checked_field_names:
            check_field_name(name)
            if len(_checked_field_names) < 10_000:
                _checked_field_names.add(name)
        kind = type(value)
        if kind is float:
            if not isfinite(value):  # type: ignore[arg-type]  # kind is float
                raise ValueError(f"field {name!r}: {value} is not a finite number")
            fields[name] = value
        elif value is None:
            continue
        elif kind is int and INT64_MIN <= value <= INT64_MAX:  # type: ignore[operator]  # kind is int
            fields[name] = value
        else:
            fields[name] = check_field_value(name, value)
    if not fields:
        raise ValueError(f"point {measurement}/{asset_id}@{point.time.isoformat()} has no field values")
    return measurement, asset_id, us, fields


def normalize_points(points: Iterable[Point]) -> list[NormalizedPoint]:
    """Validate every point before anything is sent, so a bad point writes nothing."""
    checked_assets: set[str] = set()
    return [normalize_point(p, checked_assets) for p in points]


def last_per_identity(points: list[NormalizedPoint]) -> list[NormalizedPoint]:
    """Collapse repeated identities within one write to their last occurrence (last wins)."""
    unique: dict[tuple[str, str, int], NormalizedPoint] = {}
    for point in points:
        unique[point[:3]] = point
    return list(unique.values()) if len(unique) != len(points) else points


def check_asset_ids(asset_ids: Sequence[str]) -> list[str]:
    if isinstance(asset_ids, str):
        raise ValueError("asset_ids must be a sequence of asset ids, not a string")
    return list(dict.fromkeys(check_asset_id(a) for a in asset_ids))


# --- retention durations ------------------------------------------------------------------

_DURATION_UNITS = {
    "ns": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|µs|us|ms|u|µ|s|m|h|d|w)")
MIN_RETENTION_S = 3600


def parse_duration(text: str) -> int:
    """Seconds in an InfluxQL duration ("90d", "1w2d") or a Go duration ("2160h0m0s"); 0 = infinite."""
    raw = (text or "").strip()
    if raw.upper() == "INF" or raw in {"0", "0s"}:
        return 0
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2)]
        pos = match.end()
    if pos != len(raw) or not raw:
        raise ValueError(f"invalid duration {text!r}: use e.g. 90d, 12h, 1w or INF")
    return round(total)


def format_duration(seconds: int) -> str:
    """The shortest InfluxQL spelling of a whole number of seconds; 0 -> "INF"."""
    if seconds == 0:
        return "INF"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def retention_duration(text: str, name: str) -> str:
    """A configured retention, normalised ("2160h" -> "90d"); at least 1h (InfluxDB's minimum) or INF."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None
    if 0 < seconds < MIN_RETENTION_S:
        raise ValueError(f"{name}: retention {text!r} is shorter than InfluxDB's minimum of 1h")
    return format_duration(seconds)


def check_aggregate_args(
    measurement: str, asset_id: str, start: datetime, end: datetime, every: timedelta, fields
) -> tuple[str, str, list[str], int, int, int]:
    """The arguments of `aggregate`, checked alike for every backend.

    Returns (measurement, asset_id, field names, bucket µs, start µs, end µs).
    """
    measurement = check_measurement_name(measurement)
    asset_id = check_asset_id(asset_id)
    names = check_field_names(fields)
    if names is None:
        raise ValueError("aggregate needs the fields to aggregate")
    return (
        measurement,
        asset_id,
        names,
        check_every(every),
        to_micros(start, "start"),
        to_micros(end, "end"),
    )
