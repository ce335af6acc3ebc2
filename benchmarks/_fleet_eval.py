"""Shared fleet runs for the evaluation benchmarks (`detection.py`, `rul.py`).

One *fleet* = one generator seed: 6 faulty assets (one per failure mode, onset after the
72 h default baseline window, run to failure) + healthy assets, 60 s interval, ~14 days.
Each fleet goes through the real platform in its own subprocesses and its own temporary
``PDM_DATA_DIR`` (fresh SQLite, SQL time-series store, eager tasks), exactly as an operator
would load one::

    python -m generator simulate --scenario fleet.yaml ...      # events, labels, manifest
    python manage.py migrate
    python manage.py register_fleet assets.json --tenant bench --create-tenant
    python manage.py import_events events.jsonl --tenant bench  # ingest + whole pipeline

and the results are then read back from the stores (``python benchmarks/_fleet_extract.py
--extract OUT``, run with that fleet's environment). Results are cached on disk
(`_fleet_cache.py`). The fleets' configuration and the benchmarks' shared options are in
`_fleet_config.py` (re-exported here); this module runs the fleets and turns their records
into the faults and windows the benchmarks score.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from _fleet_cache import CACHE_DIR, cache_key, code_hash
from _fleet_config import (  # re-exported: the benchmarks reach everything through `fe`
    FAMILIES,
    MODES,
    ROOT,
    FleetConfig,
    add_common_args,
    configs_from_args,
    default_end,
    describe,
    fleet_configs,
)

__all__ = [
    "CACHE_DIR",
    "FAMILIES",
    "MODES",
    "ROOT",
    "Fault",
    "FleetConfig",
    "active_window_end",
    "add_common_args",
    "cache_key",
    "code_hash",
    "configs_from_args",
    "default_end",
    "default_window_end",
    "describe",
    "faults_of",
    "fleet_configs",
    "run_fleet",
    "run_fleets",
    "ts",
]

PY = sys.executable
ENV_DROP = ("DATABASE_URL", "INFLUXDB_URL", "CELERY_BROKER_URL", "REDIS_URL")


# --- running one fleet ---------------------------------------------------------------------------


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ENV_DROP}
    env.update(
        PDM_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE=env.get("DJANGO_SETTINGS_MODULE", "pdm_project.settings"),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        PYTHONUNBUFFERED="1",
    )
    return env


def _run(cmd: list[str], env: dict, log: Path) -> None:
    with log.open("ab") as fh:
        fh.write(f"\n$ {' '.join(cmd)}\n".encode())
        fh.flush()
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT).returncode
    if rc:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {rc}; log {log}:\n{tail}")


def run_fleet(cfg: FleetConfig, *, keep: bool = False) -> dict:
    """Simulate and process one fleet in a fresh data dir; return the extracted record."""
    work = Path(tempfile.mkdtemp(prefix=f"pdm-bench-s{cfg.seed}-"))
    data = work / "data"
    data.mkdir()
    env = _env(data)
    log = work / "run.log"
    timings = {}
    try:
        (work / "fleet.json").write_text(json.dumps(cfg.scenario(), indent=1))
        t0 = time.perf_counter()
        _run(
            [
                PY,
                "-m",
                "generator",
                "simulate",
                "--scenario",
                str(work / "fleet.json"),
                "--out",
                str(work / "events.jsonl"),
                "--labels",
                str(work / "labels.jsonl"),
                "--labels-format",
                "intervals",
                "--manifest",
                str(work / "assets.json"),
            ],
            env,
            log,
        )
        timings["simulate_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], env, log)
        _run(
            [
                PY,
                "manage.py",
                "register_fleet",
                str(work / "assets.json"),
                "--tenant",
                "bench",
                "--create-tenant",
            ],
            env,
            log,
        )
        timings["setup_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        _run(
            [
                PY,
                "manage.py",
                "import_events",
                str(work / "events.jsonl"),
                "--tenant",
                "bench",
                "--no-progress",
            ],
            env,
            log,
        )
        timings["import_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = work / "extract.json"
        _run(
            [PY, str(Path(__file__).resolve().parent / "_fleet_extract.py"), "--extract", str(out)], env, log
        )
        timings["extract_s"] = time.perf_counter() - t0
        record = json.loads(out.read_text())
        record["labels"] = [json.loads(line) for line in (work / "labels.jsonl").open() if line.strip()]
        record["labels"] = [r for r in record["labels"] if r.get("type") in ("asset", "grid_event")]
        record["config"] = asdict(cfg)
        record["scenario"] = cfg.scenario()
        record["timings"] = timings
        record["n_events"] = sum(1 for _ in (work / "events.jsonl").open("rb"))
        return record
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def run_fleets(
    configs, *, jobs: int = 2, use_cache: bool = True, keep: bool = False, log=print
) -> list[dict]:
    """Run (or load from cache) every fleet; up to `jobs` fleets at once (each is one process)."""
    # run_all.py pins the hash for all its scripts, so a concurrent edit between two benchmarks of
    # one `make bench` does not make the second simulate the fleets again
    code = os.environ.get("PDM_BENCH_CODE_HASH") or code_hash()
    CACHE_DIR.mkdir(parents=True, exist_ok=True)

    def one(cfg: FleetConfig) -> dict:
        path = CACHE_DIR / f"{cache_key(cfg, code)}.json.gz"
        if use_cache and path.exists():
            with gzip.open(path, "rt") as fh:
                rec = json.load(fh)
            rec["cached"] = True
            log(f"  fleet seed={cfg.seed}: cached ({path.name})")
            return rec
        t0 = time.perf_counter()
        rec = run_fleet(cfg, keep=keep)
        rec["wall_s"] = time.perf_counter() - t0
        tmp = path.with_suffix(".tmp")
        with gzip.open(tmp, "wt") as fh:
            json.dump(rec, fh)
        tmp.replace(path)
        rec["cached"] = False
        log(
            f"  fleet seed={cfg.seed}: {rec['n_events']} events, {rec['wall_s']:.0f} s "
            f"(import+pipeline {rec['timings']['import_s']:.0f} s)"
        )
        return rec

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, configs))


# --- helpers for the benchmarks ----------------------------------------------------------------------


def ts(s: str | None) -> float | None:
    """RFC 3339 'Z' string -> Unix seconds."""
    if s is None:
        return None
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


@dataclass
class Fault:
    fleet: int  # seed
    asset_id: str
    asset_type: str
    mode: str
    onset: float
    degrading_start: float
    failure: float
    record: dict = field(repr=False)
    family: str | None = None  # the degradation law's family (labels before the families: None)

    @property
    def degradation_s(self) -> float:
        return self.failure - self.degrading_start


def faults_of(fleet: dict) -> tuple[list[Fault], list[str]]:
    """(faults that reached failure inside the run, healthy asset ids) of one fleet record."""
    faults, healthy = [], []
    for lab in fleet["labels"]:
        if lab.get("type") != "asset":
            continue
        aid = lab["asset_id"]
        rec = fleet["assets"].get(aid)
        if rec is None:
            continue
        if lab.get("mode") is None:
            healthy.append(aid)
        elif lab.get("failure_time"):
            faults.append(
                Fault(
                    fleet=fleet["config"]["seed"],
                    asset_id=aid,
                    asset_type=rec["asset_type"],
                    mode=lab["mode"],
                    onset=ts(lab["onset"]),
                    degrading_start=ts(lab["degrading_start"]),
                    failure=ts(lab["failure_time"]),
                    record=rec,
                    family=(lab.get("law") or {}).get("family"),
                )
            )
    return faults, healthy


def active_window_end(rec: dict) -> float | None:
    act = [b for b in rec["baselines"] if b["active"]]
    return ts(act[0]["window_end"]) if act else None


def default_window_end(rec: dict) -> float | None:
    """End of the default baseline window (active or not): the earliest time scores could exist."""
    ends = [ts(b["window_end"]) for b in rec["baselines"]]
    if ends:
        return min(ends)
    return None if rec["first_event"] is None else ts(rec["first_event"]) + 72 * 3600
