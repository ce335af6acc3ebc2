"""Set-up of benchmarks/ingest.py: a temporary data directory, a private influxd, a scratch SQL
database, a Redis database, the generator's events, gunicorn; and the bodies the phases send."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("PDM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVER_DB = "pdm_bench"
RAW_DB = "pdm_bench_raw"
TENANT = "bench"


class Setup(contextlib.ExitStack):
    """Temp dir, influxd, SQL database, Redis db; everything undone on exit."""

    def __init__(self, args):
        super().__init__()
        self.args = args

    def __enter__(self):
        super().__enter__()
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        from pdm_project.devservices import InfluxdServer

        self.tmp = Path(tempfile.mkdtemp(prefix="pdm-bench-ingest-"))
        self.callback(shutil.rmtree, self.tmp, ignore_errors=True)
        # Snapshots, compactions and Go collections in its log, for stall_report.
        self.influxd = InfluxdServer.launch(log_level="info", env={"GODEBUG": "gctrace=1"})
        self.callback(self.influxd.close)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("INFLUXDB_", "CELERY_", "SQLITE_"))}
        env.pop("REDIS_URL", None)
        env.update(
            DJANGO_SETTINGS_MODULE="pdm_project.settings",
            PDM_DATA_DIR=str(self.tmp / "data"),
            DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
            DJANGO_DEBUG="false",
            PDM_LOG_LEVEL="WARNING",
            INFLUXDB_URL=self.influxd.url,
            INFLUXDB_DATABASE=SERVER_DB,
            CELERY_BROKER_URL=REDIS_URL,
            API_TOKEN_RATE="100000/s",  # noqa: S106 - a throttle rate, not a secret
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        self.db_vendor = "sqlite"
        base_url = os.environ.get("DATABASE_URL")
        if base_url:
            self.db_vendor = "postgresql"
            env["DATABASE_URL"] = self._scratch_postgres(base_url)
        else:
            env.pop("DATABASE_URL", None)
            env["SQLITE_PATH"] = str(self.tmp / "bench.sqlite3")
        self.env = env

        import redis

        self.redis = redis.Redis.from_url(REDIS_URL)
        self.redis.flushdb()
        self.callback(self._flush_redis)

    def _flush_redis(self) -> None:
        with contextlib.suppress(Exception):
            self.redis.flushdb()
            self.redis.close()

    def _scratch_postgres(self, url: str) -> str:
        import psycopg

        parts = urlsplit(url)
        self.pg_name = f"pdm_bench_{os.getpid()}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}"')
            conn.execute(f'CREATE DATABASE "{self.pg_name}"')

        def drop() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')

        self.callback(drop)
        return urlunsplit(parts._replace(path=f"/{self.pg_name}"))

    def manage(self, *argv: str) -> str:
        proc = subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode:
            raise SystemExit(f"manage.py {' '.join(argv)} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout

    def generate(self, assets: int, days: float) -> tuple[Path, Path]:
        end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
        start = end - timedelta(days=days)
        events, manifest = self.tmp / "events.jsonl", self.tmp / "assets.json"
        cmd = [sys.executable, "-m", "generator", "simulate", "--seed", "11", "--assets", str(assets)]
        cmd += ["--days", f"{days:g}", "--interval-s", "60", "--start", start.strftime("%Y-%m-%dT%H:%M:%SZ")]
        cmd += ["--out", str(events), "--manifest", str(manifest)]
        subprocess.run(cmd, cwd=ROOT, env=self.env, check=True, capture_output=True)
        return events, manifest


class Gunicorn:
    def __init__(self, env: dict, workers: int, threads: int, log_path: Path, app: str, extra: list[str]):
        from pdm_project.devservices import free_port

        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.log_path = log_path
        # The deployment's settings and hooks (deploy/gunicorn.conf.py); the options after it win.
        # The app through benchmarks/_gc_probe.py, which logs the workers' collector pauses.
        env = {**env, "PDM_BENCH_APP": app, "PDM_BENCH_GC_LOG": str(log_path.with_name("gc.log"))}
        self.gc_log = log_path.with_name("gc.log")
        app = "benchmarks._gc_probe:application"
        cmd = [sys.executable, "-m", "gunicorn", app, "--config", str(ROOT / "deploy" / "gunicorn.conf.py")]
        cmd += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        if threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(threads)]
        else:
            cmd += ["--worker-class", "sync"]
        cmd += ["--timeout", "120", "--log-level", "warning", "--backlog", "2048", *extra]
        self.cmd = cmd
        with open(log_path, "ab") as fh:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=fh, stderr=fh, stdin=subprocess.DEVNULL, start_new_session=True
            )

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    def wait_healthy(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/health")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer /api/v1/health within {timeout_s:g} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text()[-3000:]
        return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


# --- data ------------------------------------------------------------------------------------


def load_batches(events_path: Path, batch_size: int, max_events: int | None) -> list[list[bytes]]:
    lines = events_path.read_bytes().splitlines()
    if max_events:
        lines = lines[:max_events]
    return [lines[i : i + batch_size] for i in range(0, len(lines), batch_size)]


def line_protocol(batches: list[list[bytes]]) -> list[bytes]:
    """The line protocol the service writes for these events, one body per batch, made by the
    service's own functions (parse_events, event_rows, format_rows) on the registered assets."""
    from ingestion.models import Asset
    from ingestion.schemas import parse_events
    from ingestion.services.events import event_rows
    from ingestion.timeseries.line_protocol import format_rows

    assets = {a.asset_id: a for a in Asset.objects.all()}
    bodies = []
    for batch in batches:
        events = parse_events(b"[" + b",".join(batch) + b"]")
        rows, _ = event_rows(events, {ev.asset_id: assets[ev.asset_id] for ev in events})
        bodies.append(format_rows(rows))
    return bodies


def single_bodies(batches: list[list[bytes]], n: int, offset_s: int = 30) -> list[bytes]:
    """n single-event bodies: generator events moved off their 60 s grid, with new event ids."""
    rng = random.Random(7)
    flat = [line for batch in batches for line in batch]
    flat = flat[-n:] if len(flat) >= n else flat
    out = []
    for k in range(n):
        ev = json.loads(flat[k % len(flat)])
        shift = offset_s + k // len(flat)
        if shift >= 60:
            raise SystemExit("too few generator events for the single-event phase")
        t = datetime.fromisoformat(ev["timestamp"].replace("Z", "+00:00")) + timedelta(seconds=shift)
        ev["timestamp"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        ev["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.append(json.dumps(ev, separators=(",", ":")).encode())
    return out
