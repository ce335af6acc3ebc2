"""End-to-end ingest throughput and latency through gunicorn, against raw InfluxDB writes.

    python benchmarks/ingest.py [--quick] [--workers 2] [--threads 4] [--batch-size 5000] [--clients 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/ingest.py
    python benchmarks/ingest.py --profile      # cProfile of the ingest view in-process instead

Everything runs on loopback and is thrown away at the end: a temporary PDM_DATA_DIR, a
private influxd (pdm_project.devservices), the SQL database (a scratch PostgreSQL database
`pdm_bench_<pid>` on DATABASE_URL's server when it is set, dropped at the end; else a
temporary SQLite file), Redis db 14 as Celery broker and cache (flushed before and after).
The analytics hand-off is therefore real but only *queued*: no Celery worker consumes it.

Setup: `python -m generator simulate` (a fleet, 60 s interval, ending before now), migrate,
`register_fleet`, `create_api_token --scope ingest`, InfluxDB database and retention
policies, then `gunicorn pdm_project.wsgi:application` on a free loopback port; warm-up
until every worker has answered.

Phases (each verified afterwards: the number of points in InfluxDB equals what was sent,
else the run is invalid and exits 1):

1. batch  -- all generator events as JSON arrays of --batch-size events, POSTed to
   /api/v1/ingest by --clients threads (each keeps its own connection); timed from the first
   send to the last response. events/s = events / wall time.
2. raw    -- the same events as the line protocol the service writes for them (readings,
   derived power and event_id, built by `ingestion.timeseries.influx.format_line` *outside*
   the timed section), same batch size and concurrency, POSTed straight to influxd
   `/write?db=...&rp=raw&precision=u` into a fresh database of the same server.
   ratio = batch / raw (goal >= 0.5).
3. single -- one event per request (JSON object) on a fixed open-loop schedule of --rate
   requests/s for --seconds; every event gets a new timestamp (+30 s off the 60 s grid) and
   a new event_id, so nothing is a duplicate. Latency is measured from each request's
   *scheduled* send time (no coordinated omission). Reports p50/p90/p99/max and errors
   (goal: p99 < 25 ms at 200 requests/s).

CPU seconds of gunicorn's workers and of influxd per phase are read from /proc. The last
line of output is one JSON object with every number and the configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_URL = "redis://127.0.0.1:6379/14"
SERVER_DB = "pdm_bench"
RAW_DB = "pdm_bench_raw"
TENANT = "bench"
HZ = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(msg, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of an unsorted list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


# --- /proc CPU accounting ----------------------------------------------------------------------


def _cpu_ticks(pid: int) -> int:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            out.extend(int(x) for x in task.read_text().split())
    return out


class CpuMeter:
    """CPU seconds used by gunicorn (master + workers) and influxd between start() and stop()."""

    def __init__(self, gunicorn_pid: int, influxd_pid: int):
        self.gunicorn_pid, self.influxd_pid = gunicorn_pid, influxd_pid

    def sample(self) -> tuple[int, int]:
        pids = [self.gunicorn_pid, *_children(self.gunicorn_pid)]
        return sum(_cpu_ticks(p) for p in pids), _cpu_ticks(self.influxd_pid)

    def start(self) -> None:
        self._t0 = self.sample()
        self._c0 = time.process_time()

    def stop(self) -> dict[str, float]:
        g, i = self.sample()
        return {
            "gunicorn_cpu_s": round((g - self._t0[0]) / HZ, 2),
            "influxd_cpu_s": round((i - self._t0[1]) / HZ, 2),
            "client_cpu_s": round(time.process_time() - self._c0, 2),
        }


# --- HTTP clients ------------------------------------------------------------------------------


class Conn:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, host: str, port: int, timeout: float = 120.0):
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in (0, 1):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.will_close:
                    self.conn.close()
                return resp.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server closed meanwhile: reopen once.
                self.conn.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


def run_closed_loop(host, port, path, headers, bodies, clients, ok_status) -> dict:
    """`clients` threads each POST the next body until none is left; wall time, per-request
    latencies, failures."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    failures: list[str] = []

    def worker() -> None:
        conn = Conn(host, port)
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(bodies):
                    return
                t = time.perf_counter()
                try:
                    status, data = conn.request("POST", path, bodies[i], headers)
                except OSError as exc:
                    status, data = 0, repr(exc).encode()
                dt = time.perf_counter() - t
                with lock:
                    latencies.append(dt)
                    if status not in ok_status:
                        failures.append(f"#{i}: HTTP {status} {data[:300]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"wall_s": time.perf_counter() - started, "latencies": latencies, "failures": failures}


def run_open_loop(host, port, path, headers, bodies, rate, senders) -> dict:
    """Request i is due at t0 + i/rate; latency counts from that due time, so a stalled server
    shows up in the numbers instead of silently slowing the schedule down."""
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = [float("nan")] * len(bodies)
    failures: list[str] = []
    t0 = time.perf_counter() + 0.2

    def worker() -> None:
        conn = Conn(host, port, timeout=30.0)
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= len(bodies):
                    return
                due = t0 + i / rate
                delay = due - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                try:
                    status, data = conn.request("POST", path, bodies[i], headers)
                except OSError as exc:
                    status, data = 0, repr(exc).encode()
                latencies[i] = time.perf_counter() - due
                if status not in (200, 201):
                    with lock:
                        failures.append(f"#{i}: HTTP {status} {data[:300]!r}")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "latencies": latencies, "failures": failures}


# --- setup ---------------------------------------------------------------------------------------


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
        self.influxd = InfluxdServer.launch()
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
    def __init__(self, env: dict, workers: int, threads: int, log_path: Path, app: str):
        self.port = free_port()
        self.workers, self.threads = workers, threads
        self.log_path = log_path
        cmd = [sys.executable, "-m", "gunicorn", app]
        cmd += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        if threads > 1:
            cmd += ["--worker-class", "gthread", "--threads", str(threads)]
        cmd += ["--timeout", "120", "--log-level", "warning", "--backlog", "2048"]
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


def line_protocol(batches: list[list[bytes]], manifest: Path) -> list[bytes]:
    """The line protocol the service writes for these events (events.event_points + the
    store's format_line), one body per batch."""
    from ingestion.derived import derived_signals
    from ingestion.schemas import parse_events
    from ingestion.timeseries.influx import format_line
    from ingestion.timeseries.validation import to_micros

    three = {a["asset_id"]: a["phase"] == "three" for a in json.loads(manifest.read_text())["assets"]}
    bodies = []
    for batch in batches:
        events = parse_events(b"[" + b",".join(batch) + b"]")
        lines = []
        for ev in events:
            fields = ev.signals()
            fields.update(
                derived_signals(
                    voltage_v=ev.voltage_v,
                    current_a=ev.current_a,
                    power_factor=ev.power_factor,
                    three_phase=three[ev.asset_id],
                )
            )
            fields["event_id"] = str(ev.event_id)
            lines.append(format_line("events", ev.asset_id, fields, to_micros(ev.timestamp)))
        bodies.append("\n".join(lines).encode())
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


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a short smoke run (small fleet, short phases)")
    p.add_argument("--assets", type=int, default=50)
    p.add_argument("--days", type=float, default=2.0, help="generator days at 60 s (50 x 2 d = 144k events)")
    p.add_argument("--max-events", type=int, default=None, help="cap the batch phase")
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--clients", type=int, default=4, help="concurrent client threads (batch and raw)")
    # Tuned on 2 cores: gthread (keep-alive, no per-request connection set-up) with one worker per
    # core used ~30 % less CPU per single-event request than 3-4 sync workers and kept p50/p99 lowest.
    p.add_argument("--workers", type=int, default=cores, help="gunicorn workers (default: one per core)")
    p.add_argument("--threads", type=int, default=4, help="threads per worker (>1 = gthread, 1 = sync)")
    p.add_argument("--rate", type=float, default=200.0, help="single-event requests/s")
    p.add_argument("--seconds", type=float, default=12.0, help="single-event phase duration")
    p.add_argument("--senders", type=int, default=32, help="client threads of the single-event phase")
    p.add_argument("--app", default="pdm_project.wsgi:application", help="WSGI app (for A/B experiments)")
    p.add_argument("--profile", action="store_true", help="cProfile the ingest view in-process instead")
    p.add_argument("--profile-top", type=int, default=35)
    p.add_argument("--profile-clock", choices=("wall", "cpu"), default="wall")
    args = p.parse_args(argv)
    if args.quick:
        args.assets, args.days, args.seconds = (
            min(args.assets, 20),
            min(args.days, 0.5),
            min(args.seconds, 4.0),
        )
    return args


def verify(store, expected: int, phase: str, checks: list[dict]) -> bool:
    counted = store.count(measurement="events")
    ok = counted == expected
    checks.append(
        {"phase": phase, "database": store.database, "expected": expected, "counted": counted, "ok": ok}
    )
    log(
        f"  verify {phase}: {counted} points in {store.database}.events, expected {expected}: {'OK' if ok else 'MISMATCH'}"
    )
    return ok


def profile_in_process(
    setup: Setup, token: str, batches: list[list[bytes]], singles: list[bytes], top: int, clock: str
) -> None:
    """Run the ingest view over the batches, then the single events, with Django's test client
    under cProfile (one profile each)."""
    import cProfile
    import io
    import pstats

    os.environ.update(setup.env)
    import django

    django.setup()
    from django.test import Client

    from ingestion.timeseries import get_store

    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    client.get("/api/v1/health")  # warm-up outside the profile
    expected = 0
    for label, bodies, n in (
        ("batch", [b"[" + b",".join(b) + b"]" for b in batches], sum(len(b) for b in batches)),
        ("single", singles, len(singles)),
    ):
        prof = cProfile.Profile(time.process_time) if clock == "cpu" else cProfile.Profile()
        started = time.perf_counter()
        prof.enable()
        for body in bodies:
            resp = client.post("/api/v1/ingest", data=body, content_type="application/json", **headers)
            if resp.status_code != 201:
                raise SystemExit(f"ingest failed: {resp.status_code} {resp.content[:500]!r}")
        prof.disable()
        elapsed = time.perf_counter() - started
        expected += n
        log(
            f"profile {label}: {n} events in {len(bodies)} requests, {elapsed:.2f} s under cProfile ({clock} clock) "
            f"({n / elapsed:,.0f} events/s, {elapsed / len(bodies) * 1000:.2f} ms/request)"
        )
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).strip_dirs().sort_stats(key).print_stats(top)
            log(out.getvalue())
        log(f"  verify: {get_store().count(measurement='events')} points, expected {expected}")


def main(argv=None) -> int:
    args = parse_args(argv)
    from ingestion.timeseries.influx import InfluxStore

    result: dict = {}
    checks: list[dict] = []
    with Setup(args) as setup:
        t = time.perf_counter()
        events_path, manifest = setup.generate(args.assets, args.days)
        setup.manage("migrate", "--noinput", "-v", "0")
        setup.manage("register_fleet", str(manifest), "--tenant", TENANT, "--create-tenant")
        token = (
            setup.manage("create_api_token", "--tenant", TENANT, "--scope", "ingest").strip().splitlines()[-1]
        )
        server_store = InfluxStore(url=setup.influxd.url, database=SERVER_DB, timeout_s=120)
        server_store.setup()
        raw_store = InfluxStore(url=setup.influxd.url, database=RAW_DB, timeout_s=120)
        raw_store.setup()
        batches = load_batches(events_path, args.batch_size, args.max_events)
        n_events = sum(len(b) for b in batches)
        log(
            f"setup: {n_events} events ({args.assets} assets x {args.days:g} d at 60 s), "
            f"{len(batches)} batches of <= {args.batch_size}, SQL {setup.db_vendor}, "
            f"influxd {setup.influxd.url}, {time.perf_counter() - t:.1f} s"
        )

        n_single = int(args.rate * args.seconds)
        singles = single_bodies(batches, n_single)
        if args.profile:
            profile_in_process(setup, token, batches, singles, args.profile_top, args.profile_clock)
            return 0

        batch_bodies = [b"[" + b",".join(b) + b"]" for b in batches]
        t = time.perf_counter()
        raw_bodies = line_protocol(batches, manifest)
        lp_build_s = time.perf_counter() - t

        gun = Gunicorn(setup.env, args.workers, args.threads, setup.tmp / "gunicorn.log", args.app)
        setup.callback(gun.stop)
        gun.wait_healthy()
        host, port = "127.0.0.1", gun.port
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        # warm-up: every worker (thread) loads the app, opens its SQL connection, checks a token
        warm = run_closed_loop(
            host,
            port,
            "/api/v1/assets",
            {"Authorization": f"Bearer {token}"},
            [None] * (args.workers * args.threads * 4),
            args.workers * args.threads,
            {403},
        )
        if warm["failures"]:
            raise SystemExit(f"warm-up failed: {warm['failures'][:3]}\n{gun.log_tail()}")
        meter = CpuMeter(gun.proc.pid, setup.influxd._proc.pid)
        load_before = os.getloadavg()[0]

        # 1. batch ingest through the API
        log(
            f"batch: {n_events} events, {len(batches)} POSTs of {args.batch_size}, {args.clients} clients, "
            f"gunicorn {gun.workers} x {gun.worker_class}"
            + (f" ({gun.threads} threads)" if gun.threads > 1 else "")
        )
        meter.start()
        batch = run_closed_loop(host, port, "/api/v1/ingest", auth, batch_bodies, args.clients, {201})
        batch_cpu = meter.stop()
        batch_eps = n_events / batch["wall_s"]
        log(
            f"  {batch_eps:,.0f} events/s ({batch['wall_s']:.2f} s), request p50 "
            f"{pct(batch['latencies'], 50) * 1000:.0f} ms p99 {pct(batch['latencies'], 99) * 1000:.0f} ms, "
            f"{len(batch['failures'])} failures, cpu {batch_cpu}"
        )
        for f in batch["failures"][:5]:
            log(f"  failure {f}")
        ok = not batch["failures"] and verify(server_store, n_events, "batch", checks)

        # 2. raw line protocol straight to influxd
        log(
            f"raw: same {n_events} events as line protocol (built in {lp_build_s:.2f} s, untimed), "
            f"{len(raw_bodies)} POSTs to /write, {args.clients} clients"
        )
        influx_host, influx_port = urlsplit(setup.influxd.url).hostname, urlsplit(setup.influxd.url).port
        meter.start()
        raw = run_closed_loop(
            influx_host,
            influx_port,
            f"/write?db={RAW_DB}&rp=raw&precision=u",
            {"Content-Type": "text/plain; charset=utf-8"},
            raw_bodies,
            args.clients,
            {204},
        )
        raw_cpu = meter.stop()
        raw_eps = n_events / raw["wall_s"]
        log(
            f"  {raw_eps:,.0f} events/s ({raw['wall_s']:.2f} s), {len(raw['failures'])} failures, cpu {raw_cpu}"
        )
        ok = ok and not raw["failures"] and verify(raw_store, n_events, "raw", checks)

        # 3. single events, open loop at a fixed rate
        log(f"single: {n_single} requests at {args.rate:g}/s open loop ({args.seconds:g} s), one event each")
        meter.start()
        single = run_open_loop(host, port, "/api/v1/ingest", auth, singles, args.rate, args.senders)
        single_cpu = meter.stop()
        lat_ms = [x * 1000 for x in single["latencies"]]
        p50, p90, p99, pmax = pct(lat_ms, 50), pct(lat_ms, 90), pct(lat_ms, 99), max(lat_ms)
        achieved = n_single / single["wall_s"]
        log(
            f"  p50 {p50:.1f} ms  p90 {p90:.1f} ms  p99 {p99:.1f} ms  max {pmax:.1f} ms, "
            f"{len(single['failures'])} errors, {achieved:.0f} req/s achieved, cpu {single_cpu}"
        )
        for f in single["failures"][:5]:
            log(f"  failure {f}")
        ok = ok and not single["failures"] and verify(server_store, n_events + n_single, "single", checks)
        gun.stop()
        queued = setup.redis.llen("celery")

        ratio = batch_eps / raw_eps if raw_eps else 0.0
        result = {
            "batch_events_per_s": round(batch_eps),
            "raw_events_per_s": round(raw_eps),
            "ratio": round(ratio, 3),
            "single_p50_ms": round(p50, 2),
            "single_p90_ms": round(p90, 2),
            "single_p99_ms": round(p99, 2),
            "single_max_ms": round(pmax, 2),
            "single_errors": len(single["failures"]),
            "single_rate_rps": args.rate,
            "single_achieved_rps": round(achieved, 1),
            "batch_request_p50_ms": round(pct(batch["latencies"], 50) * 1000, 1),
            "batch_request_p99_ms": round(pct(batch["latencies"], 99) * 1000, 1),
            "batch_errors": len(batch["failures"]),
            "raw_errors": len(raw["failures"]),
            "cpu": {"batch": batch_cpu, "raw": raw_cpu, "single": single_cpu},
            "gunicorn_cpu_us_per_batch_event": round(batch_cpu["gunicorn_cpu_s"] / n_events * 1e6, 1),
            "influxd_cpu_us_per_raw_event": round(raw_cpu["influxd_cpu_s"] / n_events * 1e6, 1),
            "gunicorn_cpu_ms_per_single_request": round(single_cpu["gunicorn_cpu_s"] / n_single * 1e3, 2),
            "goals": {"ratio_ge_0.5": ratio >= 0.5, "single_p99_lt_25ms": p99 < 25},
            "valid": bool(ok),
            "checks": checks,
            "config": {
                "events": n_events,
                "assets": args.assets,
                "days": args.days,
                "batch_size": args.batch_size,
                "clients": args.clients,
                "single_requests": n_single,
                "gunicorn": {
                    "app": args.app,
                    "workers": gun.workers,
                    "worker_class": gun.worker_class,
                    "threads": gun.threads,
                },
                "cpus": os.cpu_count(),
                "sql": setup.db_vendor,
                "loadavg_1m_before": round(load_before, 2),
                "quick": args.quick,
            },
            "analytics_handoff": f"queued on Redis db 14 (Celery broker), no worker consumes it; "
            f"{queued} task message(s) left queued",
            "raw_measures": "POST of pre-built line protocol (same points and fields the service writes) "
            "to influxd /write; building it is not timed",
        }
        if not ok:
            log(gun.log_tail())
    print(json.dumps(result), flush=True)
    return 0 if result.get("valid") else 1


if __name__ == "__main__":
    sys.exit(main())
