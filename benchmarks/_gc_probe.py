"""The WSGI app of benchmarks/ingest.py's gunicorn workers: PDM_BENCH_APP ("module:attr", the
production app by default) with the cyclic garbage collector's pauses logged.

Every collection of the oldest generation and every other one of at least 1 ms appends one line
to PDM_BENCH_GC_LOG: pid, wall-clock start (time.time()), duration in ms, generation, objects
collected. A callback per collection costs ~1 us, against ~10,000 allocations between two.
"""

from __future__ import annotations

import gc
import importlib
import os
import time

_module, _, _attr = os.environ.get("PDM_BENCH_APP", "pdm_project.wsgi:application").partition(":")
application = getattr(importlib.import_module(_module), _attr or "application")

_path = os.environ.get("PDM_BENCH_GC_LOG")
_start = [0.0, 0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _start[0], _start[1] = time.time(), time.perf_counter()
        return
    ms = (time.perf_counter() - _start[1]) * 1000
    if ms >= 1.0 or info["generation"] == 2:
        with open(_path, "a") as fh:  # rare: a write per long pause does not disturb the rest
            fh.write(f"{os.getpid()} {_start[0]:.6f} {ms:.3f} {info['generation']} {info['collected']}\n")


if _path:
    gc.callbacks.append(_on_gc)
