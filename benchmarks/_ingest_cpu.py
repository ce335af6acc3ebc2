"""CPU accounting of benchmarks/ingest.py from /proc: gunicorn (master and each worker), influxd
and this client, per phase."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


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
