"""Time-series store: InfluxDB (v1 HTTP API) when INFLUXDB_URL is set, else the SQL store."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured

from .env import env_float, env_int, env_str

INFLUXDB_URL = env_str("INFLUXDB_URL")  # e.g. http://127.0.0.1:8086 ; empty = SQL store
INFLUXDB_DATABASE = env_str("INFLUXDB_DATABASE", "pdm")
INFLUXDB_USERNAME = env_str("INFLUXDB_USERNAME")
INFLUXDB_PASSWORD = env_str("INFLUXDB_PASSWORD")
# InfluxDB 2.x/3.x v1-compatibility API: the token goes in `Authorization: Token ...`.
INFLUXDB_TOKEN = env_str("INFLUXDB_TOKEN")
INFLUXDB_TIMEOUT_S = env_float("INFLUXDB_TIMEOUT_S", 10.0)
INFLUXDB_RAW_RETENTION = env_str("INFLUXDB_RAW_RETENTION", "90d")
INFLUXDB_DERIVED_RETENTION = env_str("INFLUXDB_DERIVED_RETENTION", "730d")
# 2.x/3.x map database/retention-policy pairs to buckets (DBRP) and cannot create them
# over the v1 API; set this to false there and create the mapping as docs/timeseries.md says.
INFLUXDB_MANAGE_SCHEMA = env_str("INFLUXDB_MANAGE_SCHEMA", "true").lower() in {"1", "true", "yes"}
INFLUXDB_WRITE_BATCH = env_int("INFLUXDB_WRITE_BATCH", 5000, minimum=1)

TIMESERIES_BACKEND = "influxdb" if INFLUXDB_URL else "sql"


def _duration(name: str, value: str) -> timedelta | None:
    """InfluxQL duration literal (90d, 12w, 2160h, 30m) or INF; None means keep forever."""
    if value.strip().upper() in {"INF", "0", "0S"}:
        return None
    match = re.fullmatch(r"(\d+)([smhdw])", value.strip())
    if not match:
        raise ImproperlyConfigured(f"{name} must be a duration like 90d, 12w, 2160h or INF, got {value!r}")
    n, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[unit]: n})


# Enforced at ingest for both backends, so an event is refused (422 beyond_retention) rather
# than silently dropped by InfluxDB's retention policy.
RAW_RETENTION = _duration("INFLUXDB_RAW_RETENTION", INFLUXDB_RAW_RETENTION)
