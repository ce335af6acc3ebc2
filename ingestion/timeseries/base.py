"""The time-series store interface: one contract, two backends (InfluxDB v1 HTTP API and SQL).

Semantics every backend must honour (tests/ingestion/timeseries/test_store_contract.py
runs the same tests against both):

* A point's identity is (measurement, asset_id, time). Writing it again replaces its
  fields, so re-sent events and recomputed features never duplicate.
* Times are timezone-aware UTC datetimes with microsecond precision; naive datetimes
  are refused with ValueError rather than guessed.
* Ranges are half-open: start <= time < end.
* Field values are float, int, bool or str. Values of None are not stored.
* Downsampling buckets align to the Unix epoch, as InfluxDB's GROUP BY time() does.
"""

from __future__ import annotations

import abc
import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

FieldValue = float | int | bool | str

# Which measurements exist and which retention policy holds each (docs/CONTRACTS.md).
RAW_MEASUREMENTS = frozenset({"events"})
DERIVED_MEASUREMENTS = frozenset({"features", "scores", "health", "energy", "energy_daily"})
SCRATCH_MEASUREMENT = "pdm_check"
MEASUREMENTS = RAW_MEASUREMENTS | DERIVED_MEASUREMENTS | {SCRATCH_MEASUREMENT}
RP_RAW = "raw"
RP_DERIVED = "derived"

Aggregate = Literal["mean", "min", "max", "count"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TimeSeriesError(Exception):
    """The store refused an operation (bad query, bad data) — retrying will not help."""


class TimeSeriesUnavailable(TimeSeriesError):
    """The store cannot be reached or timed out — the caller may spool and retry later."""


class TimeSeriesMisconfigured(TimeSeriesUnavailable):
    """The store answers but takes nothing until an operator acts (a database or retention
    policy it may not create, refused credentials); the message names the fix. Callers spool
    as for any outage, and tell their client what has to be done."""


class TimeSeriesConflict(TimeSeriesError):
    """The store refused points because it holds the same field with another type (InfluxDB's
    field type conflict); the other points of the write were stored. No retry helps until an
    operator removes the conflicting data; the message names the field and the fix."""


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    asset_id: str
    time: datetime
    fields: dict[str, FieldValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PointRows:
    """Many points of one measurement that share one field list: the bulk form of ingest.

    `rows` holds `(asset_id, time_us, values)`: microseconds since the Unix epoch, and one
    value per name in `names` (None = the point has no such field). `kinds` gives each
    column's type (`float`, `int` or `str`; every value of a column has that type or is None).

    Unlike `write(points)`, `write_rows` does not check its input: the producer guarantees
    what the checks of `validation.normalize_point` would establish (valid measurement, field
    names and asset ids, finite floats, 64-bit ints, strings without NUL of at most 64 KiB,
    times in the storable range, at least one value per row) and that no identity repeats.
    The ingest path validates every event against the contract model first, so checking
    again per field was a fifth of its CPU; everything else writes Points.
    """

    measurement: str
    names: tuple[str, ...]
    kinds: tuple[type, ...]
    rows: list[tuple[str, int, tuple[FieldValue | None, ...]]]

    def points(self) -> list[Point]:
        """The same points as Point objects (for the spool and the checked write)."""
        names, m = self.names, self.measurement
        return [
            Point(
                m,
                asset_id,
                _EPOCH + timedelta(microseconds=us),
                {n: v for n, v in zip(names, values, strict=True) if v is not None},
            )
            for asset_id, us, values in self.rows
        ]


@dataclass(frozen=True, slots=True)
class Bucket:
    """One downsampling bucket: start time and, per field, mean/min/max/count."""

    time: datetime
    values: dict[str, dict[str, float | None]]


@dataclass(frozen=True, slots=True)
class FieldTotal:
    """sum, count, min and max of one field over a range (None without values)."""

    sum: float | None
    count: int
    min: float | None
    max: float | None

    @classmethod
    def of(cls, values: list[float]) -> FieldTotal:
        """The totals of a field's values (count 0 and None elsewhere without any)."""
        if not values:
            return cls(None, 0, None, None)
        return cls(sum(values), len(values), min(values), max(values))


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    name: str
    duration: str
    default: bool


def require_utc(value: datetime, name: str = "time") -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got naive {value.isoformat()}")
    return value.astimezone(UTC)


def retention_policy_of(measurement: str) -> str:
    """`derived` for features/scores/health, `raw` for events and the pdm_check scratch."""
    return RP_DERIVED if measurement in DERIVED_MEASUREMENTS else RP_RAW


def check_measurement(measurement: str) -> str:
    if measurement not in MEASUREMENTS:
        raise ValueError(f"unknown measurement {measurement!r}; known: {sorted(MEASUREMENTS)}")
    return measurement


class TimeSeriesStore(abc.ABC):
    """Operations the platform needs from a time-series store; see the module docstring."""

    backend: str

    @abc.abstractmethod
    def setup(self) -> list[RetentionPolicy]:
        """Create the database and retention policies if missing (idempotent); return them."""

    @abc.abstractmethod
    def ping(self) -> str:
        """Return the server version; raise TimeSeriesUnavailable when unreachable."""

    @abc.abstractmethod
    def retention_policies(self) -> list[RetentionPolicy]: ...

    @abc.abstractmethod
    def write(self, points: Iterable[Point]) -> int:
        """Write points (any mix of measurements and assets); return how many were written."""

    def write_rows(self, rows: PointRows) -> int:
        """Write pre-checked points (see PointRows); return how many were written.

        The default goes through `write()` (checked); a backend overrides it when it can skip
        the per-point work.
        """
        return self.write(rows.points())

    @abc.abstractmethod
    def read(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime,
        end: datetime,
        fields: Sequence[str] | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Point]:
        """Points of one asset with start <= time < end, ordered by time."""

    def read_column(
        self, *, measurement: str, asset_id: str, start: datetime, end: datetime, field: str
    ) -> tuple[list[int], list[FieldValue]]:
        """The points of one asset with start <= time < end that carry ``field``, ordered by
        time, as two columns: times in microseconds since the Unix epoch, and the values.

        The same answer as ``read(fields=[field])`` without a Point per row, for reads of many
        points (a year of hourly rollups). The default goes through ``read``; a backend
        overrides it when it can build the columns straight from its answer.
        """
        points = self.read(measurement=measurement, asset_id=asset_id, start=start, end=end, fields=[field])
        times = [(p.time - _EPOCH) // timedelta(microseconds=1) for p in points]
        return times, [p.fields[field] for p in points]

    def read_columns(
        self, *, measurement: str, asset_id: str, start: datetime, end: datetime, fields: Sequence[str]
    ) -> tuple[list[int], dict[str, list[FieldValue | None]]]:
        """The points of one asset with start <= time < end that carry any of ``fields``,
        ordered by time, as columns: times in microseconds since the Unix epoch, and per field
        its values (None where a point lacks it).

        The same answer as ``read(fields=fields)`` without a Point per row: the pipeline reads
        days of events per run. The default goes through ``read``; a backend overrides it when
        it can build the columns straight from its answer.
        """
        names = list(fields)
        points = self.read(measurement=measurement, asset_id=asset_id, start=start, end=end, fields=names)
        times = [(p.time - _EPOCH) // timedelta(microseconds=1) for p in points]
        return times, {n: [p.fields.get(n) for p in points] for n in names}

    def read_assets(
        self,
        *,
        measurement: str,
        asset_ids: Sequence[str],
        start: datetime,
        end: datetime,
        fields: Sequence[str] | None = None,
    ) -> dict[str, list[Point]]:
        """``read`` of several assets at once: each asset that has points in [start, end) with
        its points in time order. The default reads asset by asset; a backend overrides it with
        one query (the fleet's energy of a day: 24 hourly rollups of hundreds of machines)."""
        out: dict[str, list[Point]] = {}
        for asset_id in dict.fromkeys(asset_ids):
            points = self.read(
                measurement=measurement, asset_id=asset_id, start=start, end=end, fields=fields
            )
            if points:
                out[asset_id] = points
        return out

    @abc.abstractmethod
    def latest(
        self,
        *,
        measurement: str,
        asset_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Point]:
        """The newest point of each asset that has one (with `start`/`end`: among its points
        of [start, end), e.g. the latest health point of a report period)."""

    @abc.abstractmethod
    def aggregate(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime,
        end: datetime,
        every: timedelta,
        fields: Sequence[str],
    ) -> list[Bucket]:
        """mean/min/max/count per field per epoch-aligned bucket; empty buckets are omitted."""

    def totals(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime,
        end: datetime,
        fields: Sequence[str],
        where_flag: str | None = None,
    ) -> dict[str, FieldTotal]:
        """sum/count/min/max of each numeric field over the points of [start, end), only those
        whose field `where_flag` equals 1 when given (the report's condition durations, §16.1).
        A field without values has count 0 and None elsewhere. This default reads the points;
        a backend that can sum on the server overrides it."""
        names = list(fields)
        wanted = names + ([where_flag] if where_flag and where_flag not in names else [])
        points = self.read(measurement=measurement, asset_id=asset_id, start=start, end=end, fields=wanted)
        out: dict[str, FieldTotal] = {}
        for name in names:
            values = [
                float(v)
                for p in points
                if (where_flag is None or p.fields.get(where_flag) == 1)
                and isinstance(v := p.fields.get(name), int | float)
                and not isinstance(v, bool)
            ]
            out[name] = FieldTotal.of(values)
        return out

    def window_totals(
        self,
        *,
        measurement: str,
        asset_ids: Sequence[str],
        windows: Sequence[tuple[datetime, datetime]],
        fields: Sequence[str],
    ) -> dict[str, list[dict[str, FieldTotal]]]:
        """``totals`` of several assets over several ranges [start, end) at once: each asset with a
        value of one of ``fields`` in one of the windows, with one ``{field: FieldTotal}`` per
        window, in the order of ``windows`` (count 0 where it has none there).

        Why: a site's supply verdict needs the 15-min means of every machine on the bus; a site of
        2,000 machines reading once a second holds millions of readings in those windows, and only
        their sums and counts matter. This default reads the points of the windows' span once; a
        backend that can sum on the server overrides it."""
        names = list(fields)
        spans = [(require_utc(a, "start"), require_utc(b, "end")) for a, b in windows]
        out: dict[str, list[dict[str, FieldTotal]]] = {}
        if not spans:
            return out
        points = self.read_assets(
            measurement=measurement,
            asset_ids=asset_ids,
            start=min(a for a, _ in spans),
            end=max(b for _, b in spans),
            fields=names,
        )
        for asset_id, pts in points.items():
            times = [p.time for p in pts]  # in time order
            per_window = []
            for start, end in spans:
                inside = pts[bisect.bisect_left(times, start) : bisect.bisect_left(times, end)]
                cells = {}
                for name in names:
                    values = [
                        float(v)
                        for p in inside
                        if isinstance(v := p.fields.get(name), int | float) and not isinstance(v, bool)
                    ]
                    cells[name] = FieldTotal.of(values)
                per_window.append(cells)
            if any(c.count for cells in per_window for c in cells.values()):
                out[asset_id] = per_window
        return out

    @abc.abstractmethod
    def count(
        self,
        *,
        measurement: str,
        asset_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """Number of points (not field values) matching."""

    @abc.abstractmethod
    def delete(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """Remove an asset's points of one measurement (all, or start <= time < end)."""
