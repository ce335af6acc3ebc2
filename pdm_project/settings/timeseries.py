"""Time-series store: InfluxDB (v1 HTTP API) when INFLUXDB_URL is set, else the SQL store."""

from __future__ import annotations

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
