"""End-to-end ingest throughput and latency through gunicorn, against raw InfluxDB writes.

    python benchmarks/ingest.py [--quick] [--workers 2] [--threads 4] [--batch-size 5000] [--clients 4]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python benchmarks/ingest.py
    python benchmarks/ingest.py --profile      # CPU per request/event in-process, then cProfile

Everything runs on loopback and is thrown away at the end: a temporary PDM_DATA_DIR, a
private influxd (pdm_project.devservices), the SQL database (a scratch PostgreSQL database
`pdm_bench_<pid>` on DATABASE_URL's server when it is set, dropped at the end; else a
temporary SQLite file), a Redis database as Celery broker and cache, flushed before and
after: db 14, or PDM_BENCH_REDIS_URL (parallel runs on one machine each need their own).
The analytics hand-off is therefore real (pending ranges committed in SQL, runs queued on
the broker) but no Celery worker consumes the queue.

Setup: `python -m generator simulate` (a fleet, 60 s interval, ending before now), migrate,
`register_fleet`, `create_api_token --scope ingest`, InfluxDB database and retention
policies, then `gunicorn pdm_project.wsgi:application` on a free loopback port; warm-up
until every worker has answered.

Phases (each verified afterwards: the number of points in InfluxDB equals what was sent,
else the run is invalid and exits 1):

Phases 1 and 2 alternate in --rounds rounds (default 3), each on its own slice of --days of
generator events, so both phases see the same database size and a slow spell of influxd
(compactions; its CPU per event swings by +-10 % from run to run here) weighs on both. Odd
rounds run batch first, even rounds raw first, so what drifts over a run (influxd's heap grows
by ~0.2 GB a round and its CPU per event with it) does not always fall on the same phase. Before
the rounds, --warmup-batches batches (default: one per gunicorn thread, on events of their own)
go through both paths, reported as `warmup` and left out of the medians: a fresh worker's first
batches cost ~45 % more CPU per event (its heap grows to a batch's size, caches fill), and the
first writes to a database create its shards.

1. batch  -- the slice's events as JSON arrays of --batch-size events, POSTed to
   /api/v1/ingest by --clients threads (each keeps its connection as long as the server
   does: deploy/gunicorn.conf.py closes it after a big body); timed from the first send to
   the last response. events/s = events / wall time.
2. raw    -- the same events as the line protocol the service writes for them (readings,
   derived power and event_id), made *outside* the timed section by the service's own
   functions (`parse_events`, `event_rows`, `format_rows`), same batch size and concurrency,
   POSTed straight to influxd `/write?db=...&rp=raw&precision=u` into another database of the
   same server. Round ratio = batch / raw events/s; the reported ratio is the median of the
   rounds' ratios (goal >= 0.5), the reported rates the medians of the rounds' rates.
3. single -- one event per request (JSON object) on a fixed open-loop schedule of --rate
   requests/s for --seconds; every event gets a new timestamp (+30 s off the 60 s grid) and
   a new event_id, so nothing is a duplicate. Latency runs from each request's *scheduled*
   send time to the end of its response (no coordinated omission). Reports p50/p90/p99/max
   and errors (goal: p99 < 25 ms at 200 requests/s). The load comes from one thread driving
   --connections non-blocking keep-alive sockets in rotation with request bytes built before
   the phase (a request due while all are busy opens another, whose set-up counts in its
   latency): ~0.15 ms of client CPU per request on the cores the server shares.

CPU seconds of gunicorn's workers, of influxd and of this client per phase are read from
/proc; per batch event and per single request they are the figures to compare across runs
on a shared machine, where wall times and latencies depend on the other load (the load
average before and after is recorded). The last line of output is one JSON object with
every number and the configuration.

`stalls` in the JSON tells what ran alongside each phase, to explain a slow round or a latency
spike after the fact: influxd's cache snapshots and TSM compactions (its log at info level),
its Go collections (GODEBUG=gctrace=1: count, pause, CPU) and heap, the cyclic collector's
pauses in gunicorn's workers (benchmarks/_gc_probe.py wraps the app) and in this client, and,
sampled every 0.1 s, the CPU of all other processes (PostgreSQL and Redis serving the phase
included), iowait, steal, how long gunicorn's and influxd's threads waited for a CPU, and
PostgreSQL checkpoints. For the single-event phase it names the slowest request's due time
and what overlapped the spell of requests slower than 50 ms. What they showed (2026-12-01,
another session's tests on one core): no cache snapshot ever happens here (one day of 50
assets fills a shard's cache to ~23 MB, under influxd's 25 MB cache-snapshot-memory-size; no
TSM file is written), so no compaction either; the caches of all 14 shards stay in influxd's
Go heap (~0.8 GB live at the end) and a Go collection late in the run takes 1-2.5 s and
0.7-2.2 s of CPU, ~7 of influxd's ~30 us per event, in lumps. They are not what spreads the
round ratios: with the collector off (GOGC=off, an experiment) the rounds spread as much
(0.39-0.70), because the CPU a phase spends per event differs by 30-50 % between phases
(influxd 18.6-24.6 us per event, gunicorn 22.8-35.0; no GC, no snapshot) and each phase's
rate follows it. A
half-second CPU burst of two ordinary processes reproduced the single-phase stall signature
(p99 246 ms, 146 requests over 50 ms, all within the burst): under `nice -n 19` every
ordinary process on the cores comes first.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import io
import json
import math
import os
import random
import secrets
import select
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS_URL = os.environ.get("PDM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
SERVER_DB = "pdm_bench"
RAW_DB = "pdm_bench_raw"
TENANT = "bench"
HZ = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(msg, flush=True)


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
    """CPU seconds used by gunicorn (master + workers, and each worker), influxd and this
    client between start() and stop(). Per worker, because each worker's Python runs on one
    core at a time (GIL): a phase whose connections landed unevenly shows it here."""

    def __init__(self, gunicorn_pid: int, influxd_pid: int):
        self.gunicorn_pid, self.influxd_pid = gunicorn_pid, influxd_pid

    def sample(self) -> tuple[dict[int, int], int]:
        pids = [self.gunicorn_pid, *_children(self.gunicorn_pid)]
        return {p: _cpu_ticks(p) for p in pids}, _cpu_ticks(self.influxd_pid)

    def start(self) -> None:
        self._t0 = self.sample()
        self._c0 = time.process_time()

    def stop(self) -> dict:
        g, i = self.sample()
        per_worker = sorted(
            (
                round((ticks - self._t0[0].get(pid, 0)) / HZ, 2)
                for pid, ticks in g.items()
                if pid != self.gunicorn_pid
            ),
            reverse=True,
        )
        return {
            "gunicorn_cpu_s": round((sum(g.values()) - sum(self._t0[0].values())) / HZ, 2),
            "gunicorn_worker_cpu_s": per_worker,
            "influxd_cpu_s": round((i - self._t0[1]) / HZ, 2),
            "client_cpu_s": round(time.process_time() - self._c0, 2),
        }


def _cpu_total(phases: list[dict]) -> dict:
    """CpuMeter figures of several phases added up (per worker: by rank, busiest first)."""
    workers = [p["gunicorn_worker_cpu_s"] for p in phases]
    width = max(len(w) for w in workers)
    return {
        "gunicorn_cpu_s": round(sum(p["gunicorn_cpu_s"] for p in phases), 2),
        "gunicorn_worker_cpu_s": [round(sum(w[i] for w in workers if i < len(w)), 2) for i in range(width)],
        "influxd_cpu_s": round(sum(p["influxd_cpu_s"] for p in phases), 2),
        "client_cpu_s": round(sum(p["client_cpu_s"] for p in phases), 2),
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


def http_request(host: str, port: int, path: str, headers: dict, body: bytes) -> bytes:
    """One complete HTTP/1.1 request, built once before the timed phase."""
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Exchange:
    """One request on one keep-alive connection: what was sent, the response bytes so far."""

    __slots__ = ("buf", "index", "reused", "sock")

    def __init__(self, index: int, sock: socket.socket, reused: bool):
        self.index, self.sock, self.buf, self.reused = index, sock, bytearray(), reused

    def complete(self) -> tuple[int, bool, bytes] | None:
        """(status, keep_alive, body) once the whole response is in, else None."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        body = self.buf[end + 4 :]
        if "content-length" in fields:
            length = int(fields["content-length"])
            if len(body) < length:
                return None
            body = body[:length]
        elif fields.get("transfer-encoding") == "chunked":
            out, pos = bytearray(), 0
            while True:
                eol = body.find(b"\r\n", pos)
                if eol < 0:
                    return None
                size = int(bytes(body[pos:eol]).split(b";")[0], 16)
                if len(body) < eol + 2 + size + 2:
                    return None
                if size == 0:
                    break
                out += body[eol + 2 : eol + 2 + size]
                pos = eol + 2 + size + 2
            body = out
        return status, fields.get("connection") != "close", bytes(body)


def run_open_loop(host, port, requests_bytes: list[bytes], rate: float, connections: int) -> dict:
    """Request i is due at t0 + i/rate; its latency runs from that due time to the moment its
    whole response has been read, so a stalled server shows up in the numbers instead of
    silently slowing the schedule down (no coordinated omission).

    One thread drives non-blocking keep-alive sockets with pre-built request bytes (a
    selectors loop): ~0.15 ms of client CPU per request instead of ~0.4 ms with a thread per
    connection and http.client, on the cores the server shares. `connections` are opened
    before the schedule starts and a due request goes out on the one idle the longest, so
    requests rotate over all of them, as they did over the old sender threads' connections,
    and reach every gunicorn worker. When none is idle a new one is opened (up to 4x; beyond
    that the request waits): set-up and waiting count in that request's latency. A kept-alive
    connection the server closed meanwhile is replaced and the request sent again (its
    latency still counts from its due time).
    """
    n = len(requests_bytes)
    latencies = [float("nan")] * n
    failures: list[str] = []
    sel = selectors.DefaultSelector()
    idle: collections.deque[socket.socket] = collections.deque()
    open_count = 0

    def connect() -> socket.socket:
        nonlocal open_count
        sock = socket.create_connection((host, port), timeout=10)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        open_count += 1
        return sock

    def send(index: int, sock: socket.socket, reused: bool) -> None:
        data = memoryview(requests_bytes[index])
        while data:
            try:
                sent = sock.send(data)
            except BlockingIOError:
                select.select([], [sock], [], 1.0)
                continue
            data = data[sent:]
        sel.register(sock, selectors.EVENT_READ, _Exchange(index, sock, reused))

    def drop(sock: socket.socket) -> None:
        nonlocal open_count
        sock.close()
        open_count -= 1

    for _ in range(connections):  # like a fleet of devices, connected already
        idle.append(connect())
    waiting: collections.deque[int] = collections.deque()
    t0 = time.perf_counter() + 0.2
    t0_wall = time.time() + (t0 - time.perf_counter())
    next_index = done = 0
    while done < n:
        now = time.perf_counter()
        while next_index < n and t0 + next_index / rate <= now:
            waiting.append(next_index)
            next_index += 1
        while waiting and (idle or open_count < 4 * connections):
            i = waiting.popleft()
            if idle:  # the connection idle the longest: requests rotate over all of them
                send(i, idle.popleft(), True)
            else:
                send(i, connect(), False)
        timeout = None if next_index >= n else max(0.0, t0 + next_index / rate - time.perf_counter())
        for key, _ in sel.select(timeout if timeout is not None else 5.0):
            ex: _Exchange = key.data
            try:
                chunk = ex.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                chunk, error = b"", exc
            else:
                error = None
            if not chunk:
                sel.unregister(ex.sock)
                drop(ex.sock)
                if ex.reused and not ex.buf:  # closed while idle: send again on a new connection
                    send(ex.index, connect(), False)
                    continue
                latencies[ex.index] = time.perf_counter() - (t0 + ex.index / rate)
                failures.append(f"#{ex.index}: connection closed ({error or 'EOF'})")
                done += 1
                continue
            ex.buf += chunk
            result = ex.complete()
            if result is None:
                continue
            latencies[ex.index] = time.perf_counter() - (t0 + ex.index / rate)
            done += 1
            status, keep_alive, body = result
            if status not in (200, 201):
                failures.append(f"#{ex.index}: HTTP {status} {body[:300]!r}")
            sel.unregister(ex.sock)
            if keep_alive:
                idle.append(ex.sock)
            else:
                drop(ex.sock)
    for sock in idle:
        sock.close()
    sel.close()
    return {
        "wall_s": time.perf_counter() - t0,
        "latencies": latencies,
        "failures": failures,
        "due_wall": [t0_wall + i / rate for i in range(n)],
    }


# --- stall diagnostics ---------------------------------------------------------------------------


class ClientGc:
    """This process's cyclic-GC pauses (wall start, ms, generation) while it drives the load."""

    def __init__(self):
        self.pauses: list[tuple[float, float, int]] = []
        self._t = (0.0, 0.0)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._t = (time.time(), time.perf_counter())
        else:
            self.pauses.append((self._t[0], (time.perf_counter() - self._t[1]) * 1000, info["generation"]))


def _run_delay_ns(pid: int) -> int:
    """Time the threads of `pid` spent runnable but waiting for a CPU (/proc/<pid>/task/*/schedstat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(task.read_text().split()[1])
    return total


class Sampler(threading.Thread):
    """Every `interval` s: the machine's CPU (/proc/stat: busy, iowait, steal), the CPU of the
    benchmark's own processes (gunicorn, influxd, this client) and how long gunicorn's and
    influxd's threads waited for a CPU. Tells a slow spell caused by other processes (this
    benchmark runs under `nice -n 19`: any ordinary process on the cores comes first), by the
    disk or by the hypervisor from one inside the service."""

    def __init__(self, gunicorn_pid: int, influxd_pid: int, pg_url: str | None, interval: float = 0.1):
        super().__init__(daemon=True)
        self.gunicorn_pid, self.influxd_pid, self.interval = gunicorn_pid, influxd_pid, interval
        self.pg = None
        if pg_url:  # checkpoints of the PostgreSQL server (its sync phase can hold up commits)
            import psycopg

            self.pg = psycopg.connect(pg_url, autocommit=True)
        self.samples: list[tuple[float, ...]] = []
        self._stop_event = threading.Event()

    def sample(self) -> tuple[float, ...]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, iowait, irq, softirq, steal = fields
        workers = _children(self.gunicorn_pid)
        ours = sum(_cpu_ticks(p) for p in [self.gunicorn_pid, *workers, self.influxd_pid])
        ours += round(time.process_time() * HZ)
        return (
            time.time(),
            user + nice + system + irq + softirq,
            iowait,
            steal,
            ours,
            sum(_run_delay_ns(p) for p in workers),
            _run_delay_ns(self.influxd_pid),
            *self._pg_checkpoints(),
        )

    def _pg_checkpoints(self) -> tuple[int, float]:
        if self.pg is None:
            return 0, 0.0
        row = self.pg.execute(
            "SELECT checkpoints_timed + checkpoints_req, checkpoint_sync_time FROM pg_stat_bgwriter"
        ).fetchone()
        return int(row[0]), float(row[1])

    def run(self) -> None:
        while not self._stop_event.is_set():
            with contextlib.suppress(OSError, ValueError):
                self.samples.append(self.sample())
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        if self.pg is not None:
            self.pg.close()

    def between(self, a: float, b: float) -> dict:
        """Averages over [a, b] (widened to the samples around it)."""
        before = [x for x in self.samples if x[0] <= a] or self.samples[:1]
        after = [x for x in self.samples if x[0] >= b] or self.samples[-1:]
        s0, s1 = before[-1], after[0]
        dt = max(s1[0] - s0[0], 1e-9)
        busy, iowait, steal, ours = (s1[i] - s0[i] for i in (1, 2, 3, 4))
        return {
            "other_cpu_cores": round((busy - ours) / HZ / dt, 2),
            "iowait_cores": round(iowait / HZ / dt, 2),
            "steal_cores": round(steal / HZ / dt, 2),
            "gunicorn_runq_wait_ms_per_s": round((s1[5] - s0[5]) / 1e6 / dt, 1),
            "influxd_runq_wait_ms_per_s": round((s1[6] - s0[6]) / 1e6 / dt, 1),
            "pg_checkpoints": s1[7] - s0[7],
            "pg_checkpoint_sync_ms": round(s1[8] - s0[8]),
        }


def _duration_ms(text: str) -> float:
    """A Go duration as influxd logs it ("1.2s", "350.1ms", "80µs", "1m2.5s") in ms."""
    total, num = 0.0, ""
    units = {"h": 3.6e6, "m": 6e4, "s": 1e3, "ms": 1.0, "us": 1e-3, "µs": 1e-3, "ns": 1e-6}
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            num += ch
            i += 1
            continue
        unit = text[i : i + 2] if text[i : i + 2] in units else ch
        total += float(num or 0) * units.get(unit, 0.0)
        num, i = "", i + len(unit)
    return total


def influxd_ops(log_path: Path) -> list[tuple[str, float, float]]:
    """Storage-engine operations in influxd's log (info level): (op_name, wall start, ms) of each
    cache snapshot and TSM compaction that ended."""
    ops = []
    with contextlib.suppress(OSError):
        for line in log_path.read_text(errors="replace").splitlines():
            if "op_event=end" not in line:
                continue
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv and not kv.startswith('"'))
            try:
                end = datetime.fromisoformat(fields["ts"].replace("Z", "+00:00")).timestamp()
                ms = _duration_ms(fields["op_elapsed"])
            except (KeyError, ValueError):
                continue
            ops.append((fields.get("op_name", "?"), end - ms / 1000, ms))
    return ops


def influxd_vars(url: str) -> dict:
    """influxd's /debug/vars, the figures stall_report uses: Go collector cycles and pause
    total, heap in use, and its shards' caches (the largest, how many snapshots so far)."""
    try:
        with urllib.request.urlopen(url + "/debug/vars", timeout=10) as resp:  # noqa: S310 - loopback
            data = json.load(resp)
    except (OSError, ValueError):
        return {}
    caches = [v["values"] for k, v in data.items() if k.startswith("tsm1_cache:")]
    mem = data.get("memstats", {})
    return {
        "gc": mem.get("NumGC", 0),
        "gc_pause_ms": round(mem.get("PauseTotalNs", 0) / 1e6, 1),
        "heap_mb": round(mem.get("HeapAlloc", 0) / 1e6),
        "shards": len(caches),
        "cache_max_mb": round(max((c.get("memBytes", 0) for c in caches), default=0) / 1e6, 1),
        "cache_snapshots": sum(c.get("snapshotCount", 0) for c in caches),
    }


def influxd_go_gcs(log_path: Path, started_at: float) -> list[tuple[float, float, float]]:
    """influxd's Go collections from its gctrace lines ("gc 12 @3.1s 4%: a+b+c ms clock,
    d+e/f/g+h ms cpu, ..."): (wall start, wall ms, CPU ms) each."""
    out = []
    with contextlib.suppress(OSError):
        for line in log_path.read_text(errors="replace").splitlines():
            if not line.startswith("gc ") or " ms cpu" not in line:
                continue
            with contextlib.suppress(ValueError, IndexError):
                words = line.split()
                at = float(words[2].lstrip("@").rstrip("s"))
                clock = sum(float(x) for x in words[4].split("+"))
                cpu = sum(float(x) for part in words[7].split("+") for x in part.split("/"))
                out.append((started_at + at, clock, cpu))
    return out


def gc_log(path: Path) -> list[tuple[int, float, float, int]]:
    """Workers' collector pauses written by benchmarks/_gc_probe.py: (pid, wall start, ms, gen)."""
    out = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            pid, start, ms, gen, _ = line.split()
            out.append((int(pid), float(start), float(ms), int(gen)))
    return out


def stall_report(
    windows,
    single,
    influx_log: Path,
    influx_started_at: float,
    gc_path: Path,
    client_gc: ClientGc,
    sampler: Sampler,
) -> dict:
    """What ran while the phases ran: influxd cache snapshots and compactions, the collector's
    pauses in gunicorn's workers and in this client; for the single-event phase also the slowest
    request's due time and what overlapped the spell of requests slower than 50 ms."""
    ops, wgc = influxd_ops(influx_log), gc_log(gc_path)
    go_gcs = influxd_go_gcs(influx_log, influx_started_at)

    def overlap(start: float, ms: float, a: float, b: float) -> bool:
        return start < b and start + ms / 1000 > a

    phases = {}
    for label, a, b, v0, v1 in windows:
        in_ops = [o for o in ops if overlap(o[1], o[2], a, b)]
        in_wgc = [g for g in wgc if overlap(g[1], g[2], a, b)]
        in_cgc = [g for g in client_gc.pauses if overlap(g[0], g[1], a, b)]
        phases[label] = {
            "influxd_snapshots": sum(o[0] == "tsm1_cache_snapshot" for o in in_ops),
            "influxd_compactions": sum(o[0].startswith("tsm1_compact") for o in in_ops),
            "influxd_op_max_ms": round(max((o[2] for o in in_ops), default=0.0), 1),
            "influxd_go_gc": v1.get("gc", 0) - v0.get("gc", 0),
            "influxd_go_gc_pause_ms": round(v1.get("gc_pause_ms", 0) - v0.get("gc_pause_ms", 0), 1),
            "influxd_go_gc_cpu_s": round(sum(g[2] for g in go_gcs if a <= g[0] < b) / 1000, 2),
            "influxd_heap_mb": v1.get("heap_mb"),
            "worker_gc_full": sum(g[3] == 2 for g in in_wgc),
            "worker_gc_max_ms": round(max((g[2] for g in in_wgc), default=0.0), 1),
            "client_gc_full": sum(g[2] == 2 for g in in_cgc),
            "client_gc_max_ms": round(max((g[1] for g in in_cgc), default=0.0), 1),
            **sampler.between(a, b),
        }
    lat, due = single["latencies"], single["due_wall"]
    a = due[0]
    worst = max(range(len(lat)), key=lambda i: lat[i])
    slow = [i for i in range(len(lat)) if lat[i] > 0.05]
    out = {
        "phases": phases,
        "single_worst_ms": round(lat[worst] * 1000, 1),
        "single_worst_due_s": round(due[worst] - a, 3),
        "single_over_50ms": len(slow),
    }
    if slow:
        s0, s1 = min(due[i] for i in slow), max(due[i] + lat[i] for i in slow)
        out["single_slow_spell_s"] = [round(s0 - a, 3), round(s1 - a, 3)]
        out["single_slow_spell_machine"] = sampler.between(s0, s1)
        out["single_slow_spell_overlaps"] = (
            [
                f"influxd {o[0]} at {o[1] - a:+.3f} s, {o[2]:.0f} ms"
                for o in ops
                if overlap(o[1], o[2], s0, s1)
            ]
            + [
                f"influxd Go gc at {g[0] - a:+.3f} s, {g[1]:.0f} ms, {g[2]:.0f} ms CPU"
                for g in go_gcs
                if overlap(g[0], g[1], s0, s1)
            ]
            + [
                f"worker {g[0]} gc gen{g[3]} at {g[1] - a:+.3f} s, {g[2]:.1f} ms"
                for g in wgc
                if overlap(g[1], g[2], s0, s1) and g[2] >= 5
            ]
            + [
                f"client gc gen{g[2]} at {g[0] - a:+.3f} s, {g[1]:.1f} ms"
                for g in client_gc.pauses
                if overlap(g[0], g[1], s0, s1) and g[1] >= 5
            ]
        )
        spell, whole = out["single_slow_spell_machine"], phases["single"]
        if spell["pg_checkpoints"]:
            out["single_slow_spell_overlaps"].append(
                f"PostgreSQL checkpoint (sync {spell['pg_checkpoint_sync_ms']} ms)"
            )
        out["single_slow_spell_overlaps"].append(
            f"other processes {spell['other_cpu_cores']} cores (phase {whole['other_cpu_cores']}), gunicorn "
            f"threads waited {spell['gunicorn_runq_wait_ms_per_s']} ms/s for a CPU (phase "
            f"{whole['gunicorn_runq_wait_ms_per_s']}), iowait {spell['iowait_cores']}, steal {spell['steal_cores']}"
        )
    return out


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


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    cores = os.cpu_count() or 1
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a short smoke run (small fleet, short phases)")
    p.add_argument("--assets", type=int, default=50)
    p.add_argument(
        "--days", type=float, default=2.0, help="generator days at 60 s per round (50 x 2 d = 144k events)"
    )
    p.add_argument("--rounds", type=int, default=3, help="batch/raw rounds, each on its own --days of events")
    p.add_argument(
        "--warmup-batches",
        type=int,
        default=None,
        help="batches sent through both paths before the rounds, not in the medians "
        "(default: one per gunicorn thread)",
    )
    p.add_argument("--max-events", type=int, default=None, help="cap the batch phase")
    p.add_argument("--batch-size", type=int, default=5000)
    p.add_argument("--clients", type=int, default=4, help="concurrent client threads (batch and raw)")
    # Tuned on 2 cores: gthread (keep-alive, no per-request connection set-up) with one worker per
    # core used ~30 % less CPU per single-event request than 3-4 sync workers and kept p50/p99 lowest.
    p.add_argument("--workers", type=int, default=cores, help="gunicorn workers (default: one per core)")
    p.add_argument("--threads", type=int, default=4, help="threads per worker (>1 = gthread, 1 = sync)")
    p.add_argument("--rate", type=float, default=200.0, help="single-event requests/s")
    p.add_argument("--seconds", type=float, default=12.0, help="single-event phase duration")
    p.add_argument(
        "--connections", type=int, default=32, help="keep-alive connections of the single-event phase"
    )
    p.add_argument("--app", default="pdm_project.wsgi:application", help="WSGI app (for A/B experiments)")
    p.add_argument(
        "--gunicorn-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="extra gunicorn argument, repeatable (A/B experiments: --gunicorn-arg=--reuse-port)",
    )
    p.add_argument(
        "--keep-logs",
        type=Path,
        default=None,
        metavar="DIR",
        help="copy influxd's, gunicorn's and the GC log here",
    )
    p.add_argument("--profile", action="store_true", help="cProfile the ingest view in-process instead")
    p.add_argument("--profile-top", type=int, default=35)
    p.add_argument("--profile-clock", choices=("wall", "cpu"), default="wall")
    args = p.parse_args(argv)
    if args.warmup_batches is None:
        args.warmup_batches = args.workers * args.threads
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


def wsgi_caller(token: str):
    """POST a body to the production WSGI application in this process (no HTTP server)."""
    from pdm_project.wsgi import application

    def call(body: bytes) -> tuple[str, bytes]:
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/api/v1/ingest",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        started: list[str] = []
        chunks = application(environ, lambda status, headers, exc_info=None: started.append(status))
        try:
            return started[0], b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()

    return call


def profile_in_process(
    token: str, batches: list[list[bytes]], singles: list[bytes], top: int, clock: str
) -> None:
    """CPU per request and per event through the production WSGI application in this process
    (pdm_project.wsgi: the same app and gc.freeze() as gunicorn's workers, without the HTTP
    server): a plain pass measures process CPU time, wall time and the cyclic garbage
    collector's share; a second pass over the same bodies (idempotent rewrites) runs under
    cProfile, whose per-call overhead inflates Python-heavy code, so read it for shares."""
    import cProfile
    import gc
    import pstats

    from ingestion.timeseries import get_store

    call = wsgi_caller(token)
    collector = {"n": 0, "cpu": 0.0, "t": 0.0}

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            collector["t"] = time.process_time()
        else:
            collector["n"] += 1
            collector["cpu"] += time.process_time() - collector["t"]

    expected = 0
    for label, bodies, n in (
        ("batch", [b"[" + b",".join(b) + b"]" for b in batches], sum(len(b) for b in batches)),
        ("single", singles, len(singles)),
    ):
        collector.update(n=0, cpu=0.0)
        gc.callbacks.append(on_gc)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for body in bodies:
            status, data = call(body)
            if not status.startswith("201"):
                raise SystemExit(f"ingest failed: {status} {data[:500]!r}")
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        gc.callbacks.remove(on_gc)
        expected += n
        log(
            f"{label}: {n} events in {len(bodies)} requests: {cpu / len(bodies) * 1e3:.3f} ms CPU and "
            f"{wall / len(bodies) * 1e3:.3f} ms wall per request, {cpu / n * 1e6:.2f} us CPU per event; "
            f"{collector['n']} collections took {collector['cpu']:.3f} s CPU ({collector['cpu'] / cpu:.1%})"
        )
        prof = cProfile.Profile(time.process_time) if clock == "cpu" else cProfile.Profile()
        prof.enable()
        for body in bodies:
            call(body)
        prof.disable()
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
        # The warm-up's batches come on top of the rounds' --days (the last partial day's worth).
        warm_days = math.ceil(args.warmup_batches * args.batch_size / (args.assets * 1440) * 10) / 10
        events_path, manifest = setup.generate(args.assets, args.days * args.rounds + warm_days)
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
            f"setup: {n_events} events ({args.assets} assets x ({args.rounds} x {args.days:g} + {warm_days:g}) d "
            "at 60 s), "
            f"{len(batches)} batches of <= {args.batch_size}, SQL {setup.db_vendor}, "
            f"influxd {setup.influxd.url}, {time.perf_counter() - t:.1f} s"
        )

        n_single = int(args.rate * args.seconds)
        singles = single_bodies(batches, n_single)
        # This process uses the service's own code too (raw line protocol, --profile), on the
        # benchmark's database and influxd.
        os.environ.update(setup.env)
        import django

        django.setup()
        if args.profile:
            profile_in_process(token, batches, singles, args.profile_top, args.profile_clock)
            return 0

        batch_bodies = [b"[" + b",".join(b) + b"]" for b in batches]
        t = time.perf_counter()
        raw_bodies = line_protocol(batches)
        lp_build_s = time.perf_counter() - t
        from django.db import connections

        connections.close_all()

        gun = Gunicorn(
            setup.env, args.workers, args.threads, setup.tmp / "gunicorn.log", args.app, args.gunicorn_arg
        )
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
        import gc

        client_gc, windows = ClientGc(), []
        gc.callbacks.append(client_gc)
        sampler = Sampler(gun.proc.pid, setup.influxd._proc.pid, setup.env.get("DATABASE_URL"))
        sampler.start()

        # 1 and 2, in --rounds rounds of --days each: batch ingest through the API and the same
        # events as raw line protocol straight to influxd, after a warm-up of both. Alternating the
        # phases on slices of the data keeps both at the same database size and spreads influxd's
        # own slow spells over both; alternating their order (batch first in odd rounds, raw first
        # in even ones) cancels what drifts over a run (influxd's heap, ~0.2 GB more per round).
        influx_host, influx_port = urlsplit(setup.influxd.url).hostname, urlsplit(setup.influxd.url).port
        warm_n = min(args.warmup_batches, max(len(batches) - args.rounds, 0))
        per_round = -(-(len(batches) - warm_n) // args.rounds)
        sent = {"batch": 0, "raw": 0}
        ok = True
        batch_latencies: list[float] = []

        def run_phase(kind: str, label: str, tag: str, part: slice) -> dict:
            nonlocal ok
            n_part = sum(len(b) for b in batches[part])
            if kind == "batch":
                log(
                    f"{label}, batch: {n_part} events, {len(batch_bodies[part])} POSTs of "
                    f"{args.batch_size}, {args.clients} clients, gunicorn {gun.workers} x {gun.worker_class}"
                    + (f" ({gun.threads} threads)" if gun.threads > 1 else "")
                )
                target = (host, port, "/api/v1/ingest", auth, batch_bodies[part])
                expect, store = {201}, server_store
            else:
                log(
                    f"{label}, raw: same {n_part} events as line protocol (built in "
                    f"{lp_build_s:.2f} s for all rounds, untimed), {len(raw_bodies[part])} POSTs to /write"
                )
                target = (
                    influx_host,
                    influx_port,
                    f"/write?db={RAW_DB}&rp=raw&precision=u",
                    {"Content-Type": "text/plain; charset=utf-8"},
                    raw_bodies[part],
                )
                expect, store = {204}, raw_store
            v0 = influxd_vars(setup.influxd.url)
            meter.start()
            w0 = time.time()
            run = run_closed_loop(*target, args.clients, expect)
            w1 = time.time()
            cpu = meter.stop()
            windows.append((f"{kind} {tag}", w0, w1, v0, influxd_vars(setup.influxd.url)))
            extra = ""
            if kind == "batch":
                extra = (
                    f", request p50 {pct(run['latencies'], 50) * 1000:.0f} ms "
                    f"p99 {pct(run['latencies'], 99) * 1000:.0f} ms"
                )
            log(
                f"  {n_part / run['wall_s']:,.0f} events/s ({run['wall_s']:.2f} s){extra}, "
                f"{len(run['failures'])} failures, cpu {cpu}"
            )
            for f in run["failures"][:5]:
                log(f"  failure {f}")
            sent[kind] += n_part
            ok = ok and not run["failures"] and verify(store, sent[kind], f"{kind} {tag}", checks)
            return {"n": n_part, "run": run, "cpu": cpu}

        def round_figures(batch: dict, raw: dict, first: str) -> dict:
            n_part = batch["n"]
            return {
                "events": n_part,
                "first": first,
                "batch_events_per_s": round(n_part / batch["run"]["wall_s"]),
                "raw_events_per_s": round(n_part / raw["run"]["wall_s"]),
                "ratio": round(raw["run"]["wall_s"] / batch["run"]["wall_s"], 3),
                "batch_wall_s": round(batch["run"]["wall_s"], 3),
                "raw_wall_s": round(raw["run"]["wall_s"], 3),
                "batch_errors": len(batch["run"]["failures"]),
                "raw_errors": len(raw["run"]["failures"]),
                "cpu": {"batch": batch["cpu"], "raw": raw["cpu"]},
            }

        # Warm-up: the first requests of a fresh worker cost ~45 % more CPU per event (its heap
        # grows to the size of a batch, lazy imports and caches fill), and influxd's first writes
        # to a database create its shards; a service that has run for a minute pays neither.
        warmup = None
        if warm_n:
            part = slice(0, warm_n)
            warmup = round_figures(
                run_phase("batch", "warm-up", "warm-up", part),
                run_phase("raw", "warm-up", "warm-up", part),
                "batch",
            )
        rounds = []
        for k in range(args.rounds):
            part = slice(warm_n + k * per_round, warm_n + (k + 1) * per_round)
            label = f"round {k + 1}/{args.rounds}"
            if k % 2 == 0:
                batch = run_phase("batch", label, str(k + 1), part)
                raw = run_phase("raw", label, str(k + 1), part)
            else:
                raw = run_phase("raw", label, str(k + 1), part)
                batch = run_phase("batch", label, str(k + 1), part)
            batch_latencies += batch["run"]["latencies"]
            rounds.append(round_figures(batch, raw, "batch" if k % 2 == 0 else "raw"))
        batch_eps = statistics.median(r["batch_events_per_s"] for r in rounds)
        raw_eps = statistics.median(r["raw_events_per_s"] for r in rounds)
        ratio = statistics.median(r["ratio"] for r in rounds)
        # All rounds' raw wall time over all rounds' batch wall time: a lump of influxd work
        # (a Go collection) weighs by its length instead of deciding one round's ratio.
        ratio_of_totals = sum(r["raw_wall_s"] for r in rounds) / sum(r["batch_wall_s"] for r in rounds)
        rounds_events = sum(r["events"] for r in rounds)
        batch_cpu = _cpu_total([r["cpu"]["batch"] for r in rounds])
        raw_cpu = _cpu_total([r["cpu"]["raw"] for r in rounds])
        log(
            f"rounds: batch {batch_eps:,.0f} events/s, raw {raw_eps:,.0f} events/s (medians), "
            f"ratio {ratio:.3f} (median of {[r['ratio'] for r in rounds]}; of the totals {ratio_of_totals:.3f})"
        )

        # 3. single events, open loop at a fixed rate
        log(f"single: {n_single} requests at {args.rate:g}/s open loop ({args.seconds:g} s), one event each")
        single_requests = [http_request(host, port, "/api/v1/ingest", auth, body) for body in singles]
        v0 = influxd_vars(setup.influxd.url)
        meter.start()
        single = run_open_loop(host, port, single_requests, args.rate, args.connections)
        w1 = time.time()
        single_cpu = meter.stop()
        windows.append(("single", single["due_wall"][0], w1, v0, influxd_vars(setup.influxd.url)))
        gc.callbacks.remove(client_gc)
        sampler.stop()
        lat_ms = [x * 1000 for x in single["latencies"]]
        p50, p90, p99, pmax = pct(lat_ms, 50), pct(lat_ms, 90), pct(lat_ms, 99), max(lat_ms)
        achieved = n_single / single["wall_s"]
        log(
            f"  p50 {p50:.1f} ms  p90 {p90:.1f} ms  p99 {p99:.1f} ms  max {pmax:.1f} ms, "
            f"{len(single['failures'])} errors, {achieved:.0f} req/s achieved, cpu {single_cpu}"
        )
        for f in single["failures"][:5]:
            log(f"  failure {f}")
        ok = (
            ok and not single["failures"] and verify(server_store, sent["batch"] + n_single, "single", checks)
        )
        gun.stop()
        queued = setup.redis.llen("celery")
        stalls = stall_report(
            windows, single, setup.influxd.log_path, setup.influxd.started_at, gun.gc_log, client_gc, sampler
        )
        # No TSM file = no cache snapshot happened: every shard's cache stayed under
        # cache-snapshot-memory-size, so no snapshot or compaction can have stalled a phase.
        stalls["influxd_tsm_files"] = len(list(setup.influxd.root.glob("data/**/*.tsm")))
        stalls["influxd_end"] = windows[-1][4]
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for path in (setup.influxd.log_path, gun.log_path, gun.gc_log):
                with contextlib.suppress(OSError):
                    shutil.copy(path, args.keep_logs / path.name)
        for label, figures in stalls["phases"].items():
            log(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in figures.items() if v))
        log("  single: " + json.dumps({k: v for k, v in stalls.items() if k != "phases"}))

        result = {
            "batch_events_per_s": round(batch_eps),
            "raw_events_per_s": round(raw_eps),
            "ratio": round(ratio, 3),
            "ratio_of_totals": round(ratio_of_totals, 3),
            "single_p50_ms": round(p50, 2),
            "single_p90_ms": round(p90, 2),
            "single_p99_ms": round(p99, 2),
            "single_max_ms": round(pmax, 2),
            "single_errors": len(single["failures"]),
            "single_rate_rps": args.rate,
            "single_achieved_rps": round(achieved, 1),
            "batch_request_p50_ms": round(pct(batch_latencies, 50) * 1000, 1),
            "batch_request_p99_ms": round(pct(batch_latencies, 99) * 1000, 1),
            "batch_errors": sum(r["batch_errors"] for r in rounds),
            "raw_errors": sum(r["raw_errors"] for r in rounds),
            "rounds": rounds,
            "warmup": warmup,
            "stalls": stalls,
            "cpu": {"batch": batch_cpu, "raw": raw_cpu, "single": single_cpu},
            "gunicorn_cpu_us_per_batch_event": round(batch_cpu["gunicorn_cpu_s"] / rounds_events * 1e6, 1),
            "influxd_cpu_us_per_batch_event": round(batch_cpu["influxd_cpu_s"] / rounds_events * 1e6, 1),
            "influxd_cpu_us_per_raw_event": round(raw_cpu["influxd_cpu_s"] / rounds_events * 1e6, 1),
            "gunicorn_cpu_ms_per_single_request": round(single_cpu["gunicorn_cpu_s"] / n_single * 1e3, 2),
            "goals": {"ratio_ge_0.5": ratio >= 0.5, "single_p99_lt_25ms": p99 < 25},
            "valid": bool(ok),
            "checks": checks,
            "config": {
                "events": n_events,
                "assets": args.assets,
                "days": args.days,
                "rounds": args.rounds,
                "warmup_batches": warm_n,
                "batch_size": args.batch_size,
                "clients": args.clients,
                "single_requests": n_single,
                "gunicorn": {
                    "app": args.app,
                    "workers": gun.workers,
                    "worker_class": gun.worker_class,
                    "threads": gun.threads,
                    "extra_args": args.gunicorn_arg,
                },
                "cpus": os.cpu_count(),
                "sql": setup.db_vendor,
                "loadavg_1m_before": round(load_before, 2),
                "loadavg_1m_after": round(os.getloadavg()[0], 2),
                "quick": args.quick,
            },
            "analytics_handoff": f"pending ranges committed in SQL, runs queued on {REDIS_URL} (Celery "
            f"broker), no worker consumes them; {queued} task message(s) left queued",
            "raw_measures": "POST of pre-built line protocol (same points and fields the service writes) "
            "to influxd /write; building it is not timed",
        }
        if not ok:
            log(gun.log_tail())
    print(json.dumps(result), flush=True)
    return 0 if result.get("valid") else 1


if __name__ == "__main__":
    sys.exit(main())
