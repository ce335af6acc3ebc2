"""The SQL time-series store: `ingestion.SeriesPoint` rows on SQLite or PostgreSQL.

One row per point identity (measurement, asset_id, time) with the fields as JSON. It serves
the single-machine demo and small installations; InfluxDB takes over when INFLUXDB_URL is set.
Retention policies are virtual here: `setup()` reports the configured ones, nothing expires.
On PostgreSQL the JSON is jsonb, which keeps numbers as `numeric`: a float of integral value at
or above 1e16 reads back as an int (every contract range stays far below), -0.0 as 0.0.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections, transaction

from ..models import SeriesPoint
from .base import (
    Bucket,
    Point,
    RetentionPolicy,
    TimeSeriesError,
    TimeSeriesStore,
    TimeSeriesUnavailable,
)
from .validation import (
    check_aggregate_args,
    check_asset_id,
    check_asset_ids,
    check_field_names,
    check_limit,
    check_measurement_name,
    check_range,
    from_micros,
    last_per_identity,
    normalize_points,
    retention_duration,
    to_micros,
)


class SqlStore(TimeSeriesStore):
    backend = "sql"

    def __init__(
        self,
        *,
        using: str = "default",
        batch_size: int = 2000,
        raw_retention: str | None = None,
        derived_retention: str | None = None,
    ) -> None:
        self.using = using
        self.batch_size = batch_size
        self.raw_retention = retention_duration(
            raw_retention or settings.INFLUXDB_RAW_RETENTION, "INFLUXDB_RAW_RETENTION"
        )
        self.derived_retention = retention_duration(
            derived_retention or settings.INFLUXDB_DERIVED_RETENTION, "INFLUXDB_DERIVED_RETENTION"
        )

    def __repr__(self) -> str:
        return f"SqlStore(using={self.using!r})"

    # --- schema and health -----------------------------------------------------------------

    def setup(self) -> list[RetentionPolicy]:
        """Nothing to create (the table comes from migrations); returns the virtual policies."""
        return self.retention_policies()

    def retention_policies(self) -> list[RetentionPolicy]:
        return [
            RetentionPolicy("raw", self.raw_retention, True),
            RetentionPolicy("derived", self.derived_retention, False),
        ]

    def ping(self) -> str:
        conn = connections[self.using]
        with _db_errors(f"the {conn.vendor} database"):
            conn.ensure_connection()
            if conn.vendor == "sqlite":
                return f"sqlite {sqlite3.sqlite_version}"
            if conn.vendor == "postgresql":
                with conn.cursor() as cursor:
                    cursor.execute("SHOW server_version")
                    return f"postgresql {cursor.fetchone()[0]}"
            return f"{conn.vendor} {'.'.join(map(str, conn.get_database_version()))}"

    # --- write -----------------------------------------------------------------------------

    def write(self, points: Iterable[Point]) -> int:
        normalized = normalize_points(points)
        if not normalized:
            return 0
        # PostgreSQL refuses an ON CONFLICT statement that touches one row twice, so the same
        # identity sent twice in one call collapses to its last occurrence here.
        rows = [
            SeriesPoint(measurement=m, asset_id=a, time=from_micros(us), fields=f)
            for m, a, us, f in last_per_identity(normalized)
        ]
        with _db_errors("the SQL time-series table"), transaction.atomic(using=self.using):
            SeriesPoint.objects.using(self.using).bulk_create(
                rows,
                batch_size=self.batch_size,
                update_conflicts=True,
                unique_fields=["measurement", "asset_id", "time"],
                update_fields=["fields"],
            )
        return len(normalized)

    # --- read ------------------------------------------------------------------------------

    def _series(self, measurement: str, asset_id: str | None, start_us: int | None, end_us: int | None):
        qs = SeriesPoint.objects.using(self.using).filter(measurement=measurement)
        if asset_id is not None:
            qs = qs.filter(asset_id=asset_id)
        if start_us is not None:
            qs = qs.filter(time__gte=from_micros(start_us))
        if end_us is not None:
            qs = qs.filter(time__lt=from_micros(end_us))
        return qs

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
        measurement = check_measurement_name(measurement)
        asset_id = check_asset_id(asset_id)
        names = check_field_names(fields)
        limit = check_limit(limit)
        start_us, end_us = to_micros(start, "start"), to_micros(end, "end")
        if start_us >= end_us:
            return []
        qs = self._series(measurement, asset_id, start_us, end_us)
        if names is not None:
            # Like InfluxDB: with a projection, points carrying none of the fields are skipped.
            qs = qs.filter(fields__has_any_keys=names)
        qs = qs.order_by("-time" if descending else "time")
        if limit is not None:
            qs = qs[:limit]
        with _db_errors("the SQL time-series table"):
            rows = list(qs.values_list("time", "fields"))
        return [Point(measurement, asset_id, _utc(t), _project(f, names)) for t, f in rows]

    def read_assets(
        self,
        *,
        measurement: str,
        asset_ids: Sequence[str],
        start: datetime,
        end: datetime,
        fields: Sequence[str] | None = None,
    ) -> dict[str, list[Point]]:
        """One query for every asset (`asset_id IN (...)`), ordered by asset and time."""
        measurement = check_measurement_name(measurement)
        assets = check_asset_ids(asset_ids)
        names = check_field_names(fields)
        start_us, end_us = to_micros(start, "start"), to_micros(end, "end")
        out: dict[str, list[Point]] = {}
        if start_us >= end_us or not assets:
            return out
        qs = self._series(measurement, None, start_us, end_us).filter(asset_id__in=assets)
        if names is not None:
            qs = qs.filter(fields__has_any_keys=names)
        with _db_errors("the SQL time-series table"):
            rows = list(qs.order_by("asset_id", "time").values_list("asset_id", "time", "fields"))
        for asset_id, t, f in rows:
            out.setdefault(asset_id, []).append(Point(measurement, asset_id, _utc(t), _project(f, names)))
        return out

    def latest(
        self,
        *,
        measurement: str,
        asset_ids: Sequence[str],
        fields: Sequence[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> dict[str, Point]:
        """One indexed `ORDER BY time DESC LIMIT 1` per asset: cost grows with the number of
        assets asked for, not with how much history they have."""
        measurement = check_measurement_name(measurement)
        assets = check_asset_ids(asset_ids)
        names = check_field_names(fields)
        start_us, end_us = check_range(start, end)
        result: dict[str, Point] = {}
        if start_us is not None and end_us is not None and start_us >= end_us:
            return result
        with _db_errors("the SQL time-series table"):
            for asset_id in assets:
                qs = self._series(measurement, asset_id, start_us, end_us)
                if names is not None:
                    qs = qs.filter(fields__has_any_keys=names)
                row = qs.order_by("-time").values_list("time", "fields").first()
                if row is not None:
                    result[asset_id] = Point(measurement, asset_id, _utc(row[0]), _project(row[1], names))
        return result

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
        measurement, asset_id, names, every_us, start_us, end_us = check_aggregate_args(
            measurement, asset_id, start, end, every, fields
        )
        if start_us >= end_us:
            return []
        qs = self._series(measurement, asset_id, start_us, end_us).filter(fields__has_any_keys=names)
        with _db_errors("the SQL time-series table"):
            rows = list(qs.order_by("time").values_list("time", "fields"))
        if not rows:
            return []
        return _aggregate_rows(rows, names, every_us)

    def count(
        self,
        *,
        measurement: str,
        asset_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        measurement = check_measurement_name(measurement)
        if asset_id is not None:
            asset_id = check_asset_id(asset_id)
        start_us, end_us = check_range(start, end)
        with _db_errors("the SQL time-series table"):
            return self._series(measurement, asset_id, start_us, end_us).count()

    def delete(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        measurement = check_measurement_name(measurement)
        asset_id = check_asset_id(asset_id)
        start_us, end_us = check_range(start, end)
        with _db_errors("the SQL time-series table"), transaction.atomic(using=self.using):
            self._series(measurement, asset_id, start_us, end_us).delete()


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not UTC else value


def _project(fields: dict, names: list[str] | None) -> dict:
    if names is None:
        return fields
    return {name: fields[name] for name in names if name in fields}


def _aggregate_rows(rows: list[tuple[datetime, dict]], names: list[str], every_us: int) -> list[Bucket]:
    """mean/min/max/count per field per epoch-aligned bucket (rows sorted by time).

    Buckets where none of the fields has a value are omitted (InfluxDB's fill(none)); a field
    without values in a bucket that exists gets None for mean/min/max and a count of 0.
    """
    times_us = np.fromiter((to_micros(t) for t, _ in rows), dtype=np.int64, count=len(rows))
    bucket_ids = np.floor_divide(times_us, every_us)
    all_buckets = np.unique(bucket_ids)
    per_field: dict[str, dict[str, dict[int, float | int]]] = {}
    for name in names:
        mask = np.fromiter((name in f for _, f in rows), dtype=bool, count=len(rows))
        if not mask.any():
            per_field[name] = {}
            continue
        raw = [f[name] for (_, f), m in zip(rows, mask, strict=True) if m]
        if any(isinstance(v, bool | str) for v in raw):
            raise TimeSeriesError(
                f"cannot aggregate field {name!r}: it holds non-numeric (string/bool) values"
            )
        values = np.asarray(raw, dtype=np.float64)
        ids = bucket_ids[mask]
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        counts = np.diff(np.r_[starts, len(ids)])
        sums = np.add.reduceat(values, starts)
        stats = {
            "mean": sums / counts,
            "min": np.minimum.reduceat(values, starts),
            "max": np.maximum.reduceat(values, starts),
            "count": counts,
        }
        keys = ids[starts].tolist()
        per_field[name] = {agg: dict(zip(keys, arr.tolist(), strict=True)) for agg, arr in stats.items()}
    buckets: list[Bucket] = []
    for bucket_id in all_buckets.tolist():
        cells: dict[str, dict[str, float | None]] = {}
        for name in names:
            stats_of = per_field[name]
            if stats_of and bucket_id in stats_of["count"]:
                cells[name] = {
                    "mean": float(stats_of["mean"][bucket_id]),
                    "min": float(stats_of["min"][bucket_id]),
                    "max": float(stats_of["max"][bucket_id]),
                    "count": int(stats_of["count"][bucket_id]),
                }
            else:
                cells[name] = {"mean": None, "min": None, "max": None, "count": 0}
        buckets.append(Bucket(from_micros(bucket_id * every_us), cells))
    return buckets


class _db_errors:
    """Map database failures: unreachable/locked -> TimeSeriesUnavailable, others -> TimeSeriesError."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        if exc is None:
            return False
        if isinstance(exc, OperationalError | InterfaceError):
            raise TimeSeriesUnavailable(f"cannot reach {self.what}: {exc}") from exc
        if isinstance(exc, DatabaseError):
            raise TimeSeriesError(f"{self.what} refused the operation: {exc}") from exc
        return False
