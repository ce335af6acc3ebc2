"""Stall diagnostics of benchmarks/ingest.py: what ran beside each phase (influxd's cache snapshots,
compactions and Go collections, the cyclic collector's pauses in gunicorn's workers and in the
client, the machine's CPU sampled every 0.1 s, PostgreSQL checkpoints), see `stall_report`."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

from benchmarks._ingest_cpu import HZ, _children, _cpu_ticks


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
