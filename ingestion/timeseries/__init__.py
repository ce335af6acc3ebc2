"""The one wrapper around the time-series store; views, services and tasks call `get_store()`.

The backend is chosen by settings (INFLUXDB_URL set -> InfluxDB v1 HTTP API, else SQL).
"""

from __future__ import annotations

import threading

from django.conf import settings

from .base import (
    DERIVED_MEASUREMENTS,
    MEASUREMENTS,
    RAW_MEASUREMENTS,
    SCRATCH_MEASUREMENT,
    Bucket,
    FieldTotal,
    Point,
    PointRows,
    RetentionPolicy,
    TimeSeriesConflict,
    TimeSeriesError,
    TimeSeriesMisconfigured,
    TimeSeriesStore,
    TimeSeriesUnavailable,
)

__all__ = [
    "DERIVED_MEASUREMENTS",
    "MEASUREMENTS",
    "RAW_MEASUREMENTS",
    "SCRATCH_MEASUREMENT",
    "Bucket",
    "FieldTotal",
    "Point",
    "PointRows",
    "RetentionPolicy",
    "TimeSeriesConflict",
    "TimeSeriesError",
    "TimeSeriesMisconfigured",
    "TimeSeriesStore",
    "TimeSeriesUnavailable",
    "build_store",
    "get_store",
    "reset_store",
]

_lock = threading.Lock()
_store: TimeSeriesStore | None = None


def build_store() -> TimeSeriesStore:
    """A new store from the current settings (tests use it to point at their own influxd)."""
    if settings.INFLUXDB_URL:
        from .influx import InfluxStore

        return InfluxStore(
            url=settings.INFLUXDB_URL,
            database=settings.INFLUXDB_DATABASE,
            username=settings.INFLUXDB_USERNAME or None,
            password=settings.INFLUXDB_PASSWORD or None,
            token=settings.INFLUXDB_TOKEN or None,
            timeout_s=settings.INFLUXDB_TIMEOUT_S,
            raw_retention=settings.INFLUXDB_RAW_RETENTION,
            derived_retention=settings.INFLUXDB_DERIVED_RETENTION,
            manage_schema=settings.INFLUXDB_MANAGE_SCHEMA,
            write_batch=settings.INFLUXDB_WRITE_BATCH,
        )
    from .sql import SqlStore

    return SqlStore()


def get_store() -> TimeSeriesStore:
    """The process-wide store, built once from settings."""
    global _store
    if _store is None:
        with _lock:
            if _store is None:
                _store = build_store()
    return _store


def reset_store() -> None:
    """Forget the cached store, e.g. after settings change in a test."""
    global _store
    with _lock:
        _store = None
