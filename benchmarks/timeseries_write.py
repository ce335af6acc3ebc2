"""Write throughput of the time-series store, per backend and batch size, with references.

    python benchmarks/timeseries_write.py [--points 200000] [--batches 1000,5000,10000] [--repeat 1]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pdm python benchmarks/timeseries_write.py

Writes N events-shaped points (12 float fields, 100 assets, one point per asset per second)
through each backend and prints points/s per batch size:

* <backend> / store           the store, one `write()` call per batch (the ingest API's shape)
* <backend> / store_one_call  the store, one `write()` of all N points chunked by the batch
                              size (INFLUXDB_WRITE_BATCH / bulk_create batch_size; InfluxStore
                              serializes the next chunk while the previous one is in flight)
* influxdb / store*           InfluxStore = validation + hand-written line protocol + requests
* influxdb / influxdb_client  the `influxdb` package: Point -> dict, `write_points` (its
                              `make_lines` serializer), same server
* influxdb / raw_post         reference: pre-serialized line protocol POSTed with requests
* sql_sqlite / store          SqlStore on a temporary SQLite file (bulk_create upsert)
* sql_sqlite / raw_executemany reference: plain executemany INSERT of pre-encoded rows
* sql_postgresql / ...        the same on a scratch database of DATABASE_URL's server, if set

It starts its own throwaway influxd (pdm_project.devservices) and never touches the
databases named in the environment: PostgreSQL gets a `<name>_bench_<hex>` database that is
dropped at the end. Every run starts empty (a fresh InfluxDB database, an emptied table).
The last line of output is one JSON object with all numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIELDS = [
    "voltage_v",
    "current_a",
    "power_factor",
    "frequency_hz",
    "temperature_c",
    "vibration_rms_mm_s",
    "vibration_peak_g",
    "vibration_kurtosis",
    "rpm",
    "apparent_power_kva",
    "power_kw",
    "reactive_power_kvar",
]


def build_points(n: int, n_assets: int = 100):
    from ingestion.timeseries import Point

    rng = random.Random(42)
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
    assets = [f"M-{i:03d}" for i in range(n_assets)]
    return [
        Point(
            "events",
            assets[i % n_assets],
            t0 + timedelta(seconds=i // n_assets, microseconds=rng.randrange(1_000_000)),
            {f: rng.uniform(0, 500) for f in FIELDS},
        )
        for i in range(n)
    ]


def rate(n: int, seconds: float) -> int:
    return round(n / seconds) if seconds > 0 else 0


def best(results: dict[str, dict[str, int]], variant: str, batch: int, n: int, elapsed: float) -> float:
    """Record points/s, keeping the best of repeated runs (the box may be shared)."""
    key = str(batch)
    results[variant][key] = max(results[variant].get(key, 0), rate(n, elapsed))
    return elapsed


def report_line(backend: str, variant: str, batch: int, n: int, elapsed: float) -> None:
    print(f"{backend:<9} {variant:<22} batch {batch:>6}: {rate(n, elapsed):>9,} points/s", flush=True)


def chunks(seq, size):
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


# --- InfluxDB ----------------------------------------------------------------------------------


def bench_influx(points, batches: list[int]) -> dict[str, dict[str, int]]:
    import requests
    from influxdb import InfluxDBClient

    from ingestion.timeseries.influx import InfluxStore
    from ingestion.timeseries.line_protocol import format_line
    from ingestion.timeseries.validation import to_micros
    from pdm_project.devservices import InfluxdServer

    results: dict[str, dict[str, int]] = {
        "store": {},
        "store_one_call": {},
        "influxdb_client": {},
        "raw_post": {},
    }
    lines = [format_line(p.measurement, p.asset_id, p.fields, to_micros(p.time)) for p in points]
    with InfluxdServer.launch() as server:
        session = requests.Session()
        host, port = server.url.removeprefix("http://").split(":")
        for batch in batches:
            # 1. the store: one write() per batch (the ingest API's shape), then one write()
            #    of everything, chunked by write_batch (the importer's shape, pipelined)
            for variant in ("store", "store_one_call"):
                store = InfluxStore(
                    url=server.url, database=f"bench_{uuid.uuid4().hex[:8]}", write_batch=batch
                )
                store.setup()
                started = time.perf_counter()
                if variant == "store":
                    for chunk in chunks(points, batch):
                        store.write(chunk)
                else:
                    store.write(points)
                elapsed = best(results, variant, batch, len(points), time.perf_counter() - started)
                assert store.count(measurement="events") == len(points)
                store.close()
                report_line("influxdb", variant, batch, len(points), elapsed)

            # 2. the influxdb package's serializer and client
            db = f"bench_{uuid.uuid4().hex[:8]}"
            InfluxStore(url=server.url, database=db).setup()
            client = InfluxDBClient(host=host, port=int(port), database=db, timeout=60)
            started = time.perf_counter()
            for chunk in chunks(points, batch):
                body = [
                    {
                        "measurement": p.measurement,
                        "tags": {"asset_id": p.asset_id},
                        "time": to_micros(p.time),
                        "fields": p.fields,
                    }
                    for p in chunk
                ]
                client.write_points(body, time_precision="u", retention_policy="raw", batch_size=batch)
            elapsed = best(results, "influxdb_client", batch, len(points), time.perf_counter() - started)
            client.close()
            report_line("influxdb", "influxdb_client", batch, len(points), elapsed)

            # 3. reference: pre-serialized line protocol, straight POSTs
            db = f"bench_{uuid.uuid4().hex[:8]}"
            InfluxStore(url=server.url, database=db).setup()
            bodies = ["\n".join(chunk).encode() for chunk in chunks(lines, batch)]
            started = time.perf_counter()
            for body in bodies:
                response = session.post(
                    f"{server.url}/write",
                    params={"db": db, "rp": "raw", "precision": "u"},
                    data=body,
                    timeout=60,
                )
                response.raise_for_status()
            elapsed = best(results, "raw_post", batch, len(points), time.perf_counter() - started)
            report_line("influxdb", "raw_post (ref)", batch, len(points), elapsed)
    return results


# --- SQL -----------------------------------------------------------------------------------------


def bench_sql(alias: str, label: str, points, batches: list[int]) -> dict[str, dict[str, int]]:
    from django.db import connections

    from ingestion.models import SeriesPoint
    from ingestion.timeseries.sql import SqlStore

    connection = connections[alias]
    table = SeriesPoint._meta.db_table
    results: dict[str, dict[str, int]] = {"store": {}, "store_one_call": {}, "raw_executemany": {}}
    vendor = connection.vendor
    ph = "?" if vendor == "sqlite" else "%s"
    insert = f"INSERT INTO {table} (measurement, asset_id, time, fields) VALUES ({ph}, {ph}, {ph}, {ph})"  # noqa: S608
    if vendor == "sqlite":
        rows = [
            (
                p.measurement,
                p.asset_id,
                p.time.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
                json.dumps(p.fields),
            )
            for p in points
        ]
    else:
        rows = [(p.measurement, p.asset_id, p.time, json.dumps(p.fields)) for p in points]

    def empty_table() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table name
        if vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {table}")

    for batch in batches:
        for variant in ("store", "store_one_call"):
            empty_table()
            store = SqlStore(using=alias, batch_size=batch)
            started = time.perf_counter()
            if variant == "store":
                for chunk in chunks(points, batch):
                    store.write(chunk)
            else:
                store.write(points)
            elapsed = best(results, variant, batch, len(points), time.perf_counter() - started)
            assert store.count(measurement="events") == len(points)
            report_line(label, variant, batch, len(points), elapsed)

        empty_table()
        connection.ensure_connection()
        raw = connection.connection  # the DB-API connection: no ORM in the way
        started = time.perf_counter()
        for chunk in chunks(rows, batch):  # one transaction per batch, as the store does
            if vendor == "postgresql":
                with raw.transaction(), raw.cursor() as cursor:
                    cursor.executemany(insert, chunk)
            else:
                cursor = raw.cursor()
                cursor.execute("BEGIN")
                cursor.executemany(insert, chunk)
                cursor.execute("COMMIT")
                cursor.close()
        elapsed = best(results, "raw_executemany", batch, len(points), time.perf_counter() - started)
        report_line(label, "raw_executemany (ref)", batch, len(points), elapsed)
    empty_table()
    return results


def merge(runs: list[dict[str, dict[str, int]]]) -> dict[str, dict[str, int]]:
    """Best points/s per variant and batch size over repeated runs."""
    merged: dict[str, dict[str, int]] = {}
    for run in runs:
        for variant, by_batch in run.items():
            for batch, value in by_batch.items():
                merged.setdefault(variant, {})[batch] = max(merged.get(variant, {}).get(batch, 0), value)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batches", default="1000,5000,10000")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each measurement this often, keep the best"
    )
    parser.add_argument("--skip-influx", action="store_true")
    parser.add_argument("--skip-sql", action="store_true")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]

    tmp = tempfile.TemporaryDirectory(prefix="pdm-bench-")
    pg_url = os.environ.pop("DATABASE_URL", "")
    os.environ.pop("INFLUXDB_URL", None)
    os.environ["SQLITE_PATH"] = str(Path(tmp.name) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")

    import dj_database_url
    import django
    from django.conf import settings

    scratch_pg = None
    if pg_url and not args.skip_sql:
        import psycopg

        parsed = dj_database_url.parse(pg_url)
        scratch_pg = f"{parsed['NAME'] or 'pdm'}_bench_{uuid.uuid4().hex[:8]}"
        admin = {
            "host": parsed["HOST"] or "127.0.0.1",
            "port": parsed["PORT"] or 5432,
            "user": parsed["USER"] or "postgres",
            "password": parsed["PASSWORD"] or None,
        }
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'CREATE DATABASE "{scratch_pg}"')
        settings.DATABASES["pg"] = {**parsed, "NAME": scratch_pg, "CONN_MAX_AGE": 0}
    django.setup()
    from django.core.management import call_command
    from django.db import connections

    print(f"building {args.points:,} points ({len(FIELDS)} float fields, 100 assets)...", flush=True)
    points = build_points(args.points)
    report: dict[str, object] = {
        "points": args.points,
        "fields": len(FIELDS),
        "assets": 100,
        "batches": batches,
    }
    try:
        if not args.skip_influx:
            report["influxdb"] = merge([bench_influx(points, batches) for _ in range(args.repeat)])
        if not args.skip_sql:
            call_command("migrate", database="default", verbosity=0)
            report["sql_sqlite"] = merge(
                [bench_sql("default", "sqlite", points, batches) for _ in range(args.repeat)]
            )
            if scratch_pg:
                call_command("migrate", database="pg", verbosity=0)
                report["sql_postgresql"] = merge(
                    [bench_sql("pg", "postgres", points, batches) for _ in range(args.repeat)]
                )
    finally:
        connections.close_all()
        if scratch_pg:
            with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch_pg}"')
        tmp.cleanup()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
