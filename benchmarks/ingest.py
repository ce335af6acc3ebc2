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
import contextlib
import gc
import json
import math
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._ingest_cpu import CpuMeter, _cpu_total  # noqa: E402
from benchmarks._ingest_load import http_request, pct, run_closed_loop, run_open_loop  # noqa: E402
from benchmarks._ingest_profile import profile_in_process  # noqa: E402
from benchmarks._ingest_setup import (  # noqa: E402
    RAW_DB,
    REDIS_URL,
    SERVER_DB,
    TENANT,
    Gunicorn,
    Setup,
    line_protocol,
    load_batches,
    single_bodies,
)
from benchmarks._ingest_stalls import ClientGc, Sampler, influxd_vars, stall_report  # noqa: E402


def log(msg: str) -> None:
    print(msg, flush=True)


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


@dataclass
class Bench:
    """One run: what set-up made, and what the phases have measured so far."""

    args: argparse.Namespace
    setup: Setup
    token: str
    batches: list[list[bytes]]
    server_store: object
    raw_store: object
    warm_days: float
    checks: list[dict] = field(default_factory=list)
    windows: list = field(default_factory=list)
    sent: dict = field(default_factory=lambda: {"batch": 0, "raw": 0})
    ok: bool = True

    @property
    def n_events(self) -> int:
        return sum(len(b) for b in self.batches)

    def start_server(self) -> None:
        """The phases' bodies (raw line protocol built untimed), then gunicorn, warmed up: every
        worker thread has loaded the app, opened its SQL connection and checked a token."""
        args = self.args
        self.batch_bodies = [b"[" + b",".join(b) + b"]" for b in self.batches]
        t = time.perf_counter()
        self.raw_bodies = line_protocol(self.batches)
        self.lp_build_s = time.perf_counter() - t
        from django.db import connections

        connections.close_all()
        gun = Gunicorn(
            self.setup.env,
            args.workers,
            args.threads,
            self.setup.tmp / "gunicorn.log",
            args.app,
            args.gunicorn_arg,
        )
        self.setup.callback(gun.stop)
        gun.wait_healthy()
        self.gun, self.host, self.port = gun, "127.0.0.1", gun.port
        self.auth = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        warm = run_closed_loop(
            self.host,
            self.port,
            "/api/v1/assets",
            {"Authorization": f"Bearer {self.token}"},
            [None] * (args.workers * args.threads * 4),
            args.workers * args.threads,
            {403},
        )
        if warm["failures"]:
            raise SystemExit(f"warm-up failed: {warm['failures'][:3]}\n{gun.log_tail()}")
        influxd = self.setup.influxd
        self.meter = CpuMeter(gun.proc.pid, influxd._proc.pid)
        self.load_before = os.getloadavg()[0]
        self.client_gc = ClientGc()
        gc.callbacks.append(self.client_gc)
        self.sampler = Sampler(gun.proc.pid, influxd._proc.pid, self.setup.env.get("DATABASE_URL"))
        self.sampler.start()

    def run_phase(self, kind: str, label: str, tag: str, part: slice) -> dict:
        """One batch phase (POSTs to the API) or raw phase (line protocol straight to influxd)
        over `part` of the batches; verified against what the server holds afterwards."""
        args, gun = self.args, self.gun
        n_part = sum(len(b) for b in self.batches[part])
        if kind == "batch":
            log(
                f"{label}, batch: {n_part} events, {len(self.batch_bodies[part])} POSTs of "
                f"{args.batch_size}, {args.clients} clients, gunicorn {gun.workers} x {gun.worker_class}"
                + (f" ({gun.threads} threads)" if gun.threads > 1 else "")
            )
            target = (self.host, self.port, "/api/v1/ingest", self.auth, self.batch_bodies[part])
            expect, store = {201}, self.server_store
        else:
            log(
                f"{label}, raw: same {n_part} events as line protocol (built in "
                f"{self.lp_build_s:.2f} s for all rounds, untimed), {len(self.raw_bodies[part])} POSTs to /write"
            )
            influx = urlsplit(self.setup.influxd.url)
            target = (
                influx.hostname,
                influx.port,
                f"/write?db={RAW_DB}&rp=raw&precision=u",
                {"Content-Type": "text/plain; charset=utf-8"},
                self.raw_bodies[part],
            )
            expect, store = {204}, self.raw_store
        v0 = influxd_vars(self.setup.influxd.url)
        self.meter.start()
        w0 = time.time()
        run = run_closed_loop(*target, args.clients, expect)
        w1 = time.time()
        cpu = self.meter.stop()
        self.windows.append((f"{kind} {tag}", w0, w1, v0, influxd_vars(self.setup.influxd.url)))
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
        self.sent[kind] += n_part
        self.ok = (
            self.ok and not run["failures"] and verify(store, self.sent[kind], f"{kind} {tag}", self.checks)
        )
        return {"n": n_part, "run": run, "cpu": cpu}

    def run_rounds(self) -> tuple[dict | None, list[dict]]:
        """Phases 1 and 2 in --rounds rounds of --days each, after a warm-up of both.

        Alternating the phases on slices of the data keeps both at the same database size and
        spreads influxd's own slow spells over both; alternating their order (batch first in odd
        rounds, raw first in even ones) cancels what drifts over a run (influxd's heap, ~0.2 GB
        more per round). The warm-up is left out of the medians: the first requests of a fresh
        worker cost ~45 % more CPU per event (its heap grows to the size of a batch, lazy imports
        and caches fill), and influxd's first writes to a database create its shards; a service
        that has run for a minute pays neither."""
        args = self.args
        self.warm_n = warm_n = min(args.warmup_batches, max(len(self.batches) - args.rounds, 0))
        per_round = -(-(len(self.batches) - warm_n) // args.rounds)
        warmup = None
        if warm_n:
            part = slice(0, warm_n)
            warmup = round_figures(
                self.run_phase("batch", "warm-up", "warm-up", part),
                self.run_phase("raw", "warm-up", "warm-up", part),
                "batch",
            )
        rounds = []
        self.batch_latencies: list[float] = []
        for k in range(args.rounds):
            part = slice(warm_n + k * per_round, warm_n + (k + 1) * per_round)
            label = f"round {k + 1}/{args.rounds}"
            if k % 2 == 0:
                batch = self.run_phase("batch", label, str(k + 1), part)
                raw = self.run_phase("raw", label, str(k + 1), part)
            else:
                raw = self.run_phase("raw", label, str(k + 1), part)
                batch = self.run_phase("batch", label, str(k + 1), part)
            self.batch_latencies += batch["run"]["latencies"]
            rounds.append(round_figures(batch, raw, "batch" if k % 2 == 0 else "raw"))
        ratios = [r["ratio"] for r in rounds]
        totals = sum(r["raw_wall_s"] for r in rounds) / sum(r["batch_wall_s"] for r in rounds)
        log(
            f"rounds: batch {statistics.median(r['batch_events_per_s'] for r in rounds):,.0f} events/s, "
            f"raw {statistics.median(r['raw_events_per_s'] for r in rounds):,.0f} events/s (medians), "
            f"ratio {statistics.median(ratios):.3f} (median of {ratios}; of the totals {totals:.3f})"
        )
        return warmup, rounds

    def run_single(self, singles: list[bytes]) -> tuple[dict, dict]:
        """Phase 3: single events, open loop at a fixed rate."""
        args = self.args
        n_single = len(singles)
        log(f"single: {n_single} requests at {args.rate:g}/s open loop ({args.seconds:g} s), one event each")
        single_requests = [
            http_request(self.host, self.port, "/api/v1/ingest", self.auth, body) for body in singles
        ]
        v0 = influxd_vars(self.setup.influxd.url)
        self.meter.start()
        single = run_open_loop(self.host, self.port, single_requests, args.rate, args.connections)
        w1 = time.time()
        single_cpu = self.meter.stop()
        self.windows.append(("single", single["due_wall"][0], w1, v0, influxd_vars(self.setup.influxd.url)))
        gc.callbacks.remove(self.client_gc)
        self.sampler.stop()
        return single, single_cpu

    def stalls(self, single: dict) -> dict:
        """stall_report of the run (after gunicorn has stopped), logged; logs kept on request."""
        setup, gun = self.setup, self.gun
        stalls = stall_report(
            self.windows,
            single,
            setup.influxd.log_path,
            setup.influxd.started_at,
            gun.gc_log,
            self.client_gc,
            self.sampler,
        )
        # No TSM file = no cache snapshot happened: every shard's cache stayed under
        # cache-snapshot-memory-size, so no snapshot or compaction can have stalled a phase.
        stalls["influxd_tsm_files"] = len(list(setup.influxd.root.glob("data/**/*.tsm")))
        stalls["influxd_end"] = self.windows[-1][4]
        if self.args.keep_logs:
            self.args.keep_logs.mkdir(parents=True, exist_ok=True)
            for path in (setup.influxd.log_path, gun.log_path, gun.gc_log):
                with contextlib.suppress(OSError):
                    shutil.copy(path, self.args.keep_logs / path.name)
        for label, figures in stalls["phases"].items():
            log(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in figures.items() if v))
        log("  single: " + json.dumps({k: v for k, v in stalls.items() if k != "phases"}))
        return stalls


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


def prepare(args: argparse.Namespace, setup: Setup) -> Bench:
    """Events, schema, registry and token; this process set up to use the service's own code."""
    from ingestion.timeseries.influx import InfluxStore

    t = time.perf_counter()
    # The warm-up's batches come on top of the rounds' --days (the last partial day's worth).
    warm_days = math.ceil(args.warmup_batches * args.batch_size / (args.assets * 1440) * 10) / 10
    events_path, manifest = setup.generate(args.assets, args.days * args.rounds + warm_days)
    setup.manage("migrate", "--noinput", "-v", "0")
    setup.manage("register_fleet", str(manifest), "--tenant", TENANT, "--create-tenant")
    token = setup.manage("create_api_token", "--tenant", TENANT, "--scope", "ingest").strip().splitlines()[-1]
    server_store = InfluxStore(url=setup.influxd.url, database=SERVER_DB, timeout_s=120)
    server_store.setup()
    raw_store = InfluxStore(url=setup.influxd.url, database=RAW_DB, timeout_s=120)
    raw_store.setup()
    batches = load_batches(events_path, args.batch_size, args.max_events)
    bench = Bench(args, setup, token, batches, server_store, raw_store, warm_days)
    log(
        f"setup: {bench.n_events} events ({args.assets} assets x ({args.rounds} x {args.days:g} + {warm_days:g}) d "
        "at 60 s), "
        f"{len(batches)} batches of <= {args.batch_size}, SQL {setup.db_vendor}, "
        f"influxd {setup.influxd.url}, {time.perf_counter() - t:.1f} s"
    )
    # This process uses the service's own code too (raw line protocol, --profile), on the
    # benchmark's database and influxd.
    os.environ.update(setup.env)
    import django

    django.setup()
    return bench


def summary(bench: Bench, warmup: dict | None, rounds: list[dict], single: dict, single_cpu: dict) -> dict:
    """The JSON of the run (see the module docstring), with the figures logged on the way."""
    args, gun, setup = bench.args, bench.gun, bench.setup
    batch_eps = statistics.median(r["batch_events_per_s"] for r in rounds)
    raw_eps = statistics.median(r["raw_events_per_s"] for r in rounds)
    ratio = statistics.median(r["ratio"] for r in rounds)
    # All rounds' raw wall time over all rounds' batch wall time: a lump of influxd work
    # (a Go collection) weighs by its length instead of deciding one round's ratio.
    ratio_of_totals = sum(r["raw_wall_s"] for r in rounds) / sum(r["batch_wall_s"] for r in rounds)
    rounds_events = sum(r["events"] for r in rounds)
    batch_cpu = _cpu_total([r["cpu"]["batch"] for r in rounds])
    raw_cpu = _cpu_total([r["cpu"]["raw"] for r in rounds])
    n_single = len(single["latencies"])
    lat_ms = [x * 1000 for x in single["latencies"]]
    p50, p90, p99, pmax = pct(lat_ms, 50), pct(lat_ms, 90), pct(lat_ms, 99), max(lat_ms)
    achieved = n_single / single["wall_s"]
    log(
        f"  p50 {p50:.1f} ms  p90 {p90:.1f} ms  p99 {p99:.1f} ms  max {pmax:.1f} ms, "
        f"{len(single['failures'])} errors, {achieved:.0f} req/s achieved, cpu {single_cpu}"
    )
    for f in single["failures"][:5]:
        log(f"  failure {f}")
    bench.ok = (
        bench.ok
        and not single["failures"]
        and verify(bench.server_store, bench.sent["batch"] + n_single, "single", bench.checks)
    )
    gun.stop()
    queued = setup.redis.llen("celery")
    return {
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
        "batch_request_p50_ms": round(pct(bench.batch_latencies, 50) * 1000, 1),
        "batch_request_p99_ms": round(pct(bench.batch_latencies, 99) * 1000, 1),
        "batch_errors": sum(r["batch_errors"] for r in rounds),
        "raw_errors": sum(r["raw_errors"] for r in rounds),
        "rounds": rounds,
        "warmup": warmup,
        "stalls": bench.stalls(single),
        "cpu": {"batch": batch_cpu, "raw": raw_cpu, "single": single_cpu},
        "gunicorn_cpu_us_per_batch_event": round(batch_cpu["gunicorn_cpu_s"] / rounds_events * 1e6, 1),
        "influxd_cpu_us_per_batch_event": round(batch_cpu["influxd_cpu_s"] / rounds_events * 1e6, 1),
        "influxd_cpu_us_per_raw_event": round(raw_cpu["influxd_cpu_s"] / rounds_events * 1e6, 1),
        "gunicorn_cpu_ms_per_single_request": round(single_cpu["gunicorn_cpu_s"] / n_single * 1e3, 2),
        "goals": {"ratio_ge_0.5": ratio >= 0.5, "single_p99_lt_25ms": p99 < 25},
        "valid": bool(bench.ok),
        "checks": bench.checks,
        "config": {
            "events": bench.n_events,
            "assets": args.assets,
            "days": args.days,
            "rounds": args.rounds,
            "warmup_batches": bench.warm_n,
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
            "loadavg_1m_before": round(bench.load_before, 2),
            "loadavg_1m_after": round(os.getloadavg()[0], 2),
            "quick": args.quick,
        },
        "analytics_handoff": f"pending ranges committed in SQL, runs queued on {REDIS_URL} (Celery "
        f"broker), no worker consumes them; {queued} task message(s) left queued",
        "raw_measures": "POST of pre-built line protocol (same points and fields the service writes) "
        "to influxd /write; building it is not timed",
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    result: dict = {}
    with Setup(args) as setup:
        bench = prepare(args, setup)
        singles = single_bodies(bench.batches, int(args.rate * args.seconds))
        if args.profile:
            profile_in_process(bench.token, bench.batches, singles, args.profile_top, args.profile_clock)
            return 0
        bench.start_server()
        warmup, rounds = bench.run_rounds()
        single, single_cpu = bench.run_single(singles)
        result = summary(bench, warmup, rounds, single, single_cpu)
        if not bench.ok:
            log(bench.gun.log_tail())
    print(json.dumps(result), flush=True)
    return 0 if result.get("valid") else 1


if __name__ == "__main__":
    sys.exit(main())
