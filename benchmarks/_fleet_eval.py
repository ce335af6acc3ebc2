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

and the results are then read back from the stores (``python benchmarks/_fleet_eval.py
--extract OUT``, run with that fleet's environment): per-event anomaly scores from the
time-series store (measurement ``scores``), assessments, alerts and baselines from SQL.

Results are cached on disk (``var/bench-cache/``, or ``$PDM_BENCH_CACHE``) under a key made
of the fleet configuration and a hash of the code that produces them (generator, ingestion,
analytics, assessment, knowledge library, this file), so `make bench` simulates each fleet
once for both benchmarks and any code change re-runs it (`run_all.py` computes the hash once
and passes it on in ``PDM_BENCH_CODE_HASH``).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical")
# the generator's degradation-law families (generator/laws.py FAMILIES)
FAMILIES = ("exponential", "power_law", "logistic", "linear_accelerating", "step_ramp", "intermittent")
# Asset types, in fleet order: the faulty slots first (a mode is rotated over them by seed, so
# each mode meets different machine types across seeds), then the healthy ones.
FAULTY_TYPES = ("motor", "pump", "fan", "compressor", "motor", "pump")
HEALTHY_TYPES = ("motor", "pump", "fan", "compressor", "motor", "pump", "fan", "compressor")
CODE_DIRS = ("generator", "ingestion", "analytics", "assessment", "pdm_project", "docs/knowledge")
ENV_DROP = ("DATABASE_URL", "INFLUXDB_URL", "CELERY_BROKER_URL", "REDIS_URL")
CACHE_DIR = Path(os.environ.get("PDM_BENCH_CACHE", ROOT / "var" / "bench-cache"))
FORMAT = 5  # bump when the extracted record changes


@dataclass(frozen=True)
class FleetConfig:
    seed: int
    days: float = 14.0
    interval_s: int = 60
    n_healthy: int = 4
    modes: tuple[str, ...] = MODES
    onset_days: tuple[float, float] = (4.0, 5.0)  # after the 72 h baseline window (+1 day margin)
    ttf_days: tuple[float, float] = (4.0, 7.5)  # onset -> failure; ends >= 1.5 days before the run
    end: str = ""  # ISO date of the run's end (00:00 UTC); set by `fleet_configs`
    # The vibration sensor: 0 = every 60 s reading from its own synthesised waveform, as an online
    # condition-monitoring system reports (the generator's exact mode). The generator's default
    # (3600: one window per hour, readings interpolated between them) is a speed shortcut that
    # gives an hour one window's worth of information; the RUL fit's level scatter came from it
    # (docs/benchmarks.md, "anchor interval").
    anchor_interval_s: float = 0.0
    # Degradation-law families the faults draw from (docs/generator.md, "Degradation laws"); empty =
    # the generator's default, all six. One family gives a fleet whose every fault follows it, e.g. the
    # held-out fleets of a leave-one-family-out evaluation.
    families: tuple[str, ...] = ()

    @property
    def start(self) -> datetime:
        return datetime.combine(date.fromisoformat(self.end), dtime(), tzinfo=UTC) - timedelta(days=self.days)

    def scenario(self) -> dict:
        """The generator scenario: explicit assets and faults, drawn reproducibly from the seed."""
        rng = np.random.default_rng([self.seed, 20_251])
        n_faulty = len(self.modes)
        types = list(FAULTY_TYPES[:n_faulty]) + [
            HEALTHY_TYPES[i % len(HEALTHY_TYPES)] for i in range(self.n_healthy)
        ]
        assets = [{"type": t} for t in types]
        faults = []
        for i, mode in enumerate(self.modes):
            onset = float(np.round(rng.uniform(*self.onset_days), 3))
            ttf = float(np.round(rng.uniform(*self.ttf_days), 3))
            faults.append(
                {
                    "asset": (i + self.seed) % n_faulty,
                    "mode": mode,
                    "onset_days": onset,
                    "time_to_failure_days": ttf,
                }
            )
        doc = {
            "seed": self.seed,
            "start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration_days": self.days,
            "interval_s": self.interval_s,
            "waveform": {"anchor_interval_s": self.anchor_interval_s},
            "assets": assets,
            "faults": faults,
        }
        if self.families:
            doc["degradation"] = {"families": list(self.families)}
        return doc


def default_end(today: date | None = None) -> str:
    """The most recent Monday (00:00 UTC) at or before today: stable within a week, and the run
    stays well inside the 90-day raw retention and never reaches the future."""
    today = today or datetime.now(UTC).date()
    return (today - timedelta(days=today.weekday())).isoformat()


def fleet_configs(seeds, *, end: str | None = None, **kw) -> list[FleetConfig]:
    """One config per seed. Each seed ends (seed - 1) x 2 days before `end` (mod 7) so the weekly
    off day falls at different points (in or after the baseline window) across seeds."""
    base = date.fromisoformat(end or default_end())
    return [
        FleetConfig(seed=s, end=(base - timedelta(days=((s - 1) * 2) % 7)).isoformat(), **kw) for s in seeds
    ]


# --- cache -------------------------------------------------------------------------------------


def code_hash() -> str:
    h = hashlib.sha256()
    files = [Path(__file__)]
    for d in CODE_DIRS:
        files += sorted(p for p in (ROOT / d).rglob("*") if p.suffix in (".py", ".md", ".yaml", ".json"))
    for p in files:
        if "__pycache__" in p.parts or "tests" in p.parts:
            continue
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def cache_key(cfg: FleetConfig, code: str) -> str:
    blob = json.dumps([FORMAT, asdict(cfg), code], sort_keys=True)
    return f"fleet-s{cfg.seed}-{cfg.end}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


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
        _run([PY, str(Path(__file__).resolve()), "--extract", str(out)], env, log)
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


# --- reading results (runs inside the fleet's environment) ----------------------------------------


def _iso(t) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert_record(a) -> dict:
    """What the evaluation reads of an alert, machine or site."""
    return {
        "cause": a.cause,
        "severity": a.severity,
        "state": a.state,
        "opened_at": _iso(a.opened_at),
        "last_seen_at": _iso(a.last_seen_at),
        "resolved_event_time": _iso(a.resolved_event_time),
        "occurrences": a.occurrences,
    }


def extract(out: Path) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
    django.setup()
    from analytics.models import Baseline
    from assessment.models import Alert, Assessment
    from assessment.selectors import limits_for_asset
    from ingestion.models import Asset
    from ingestion.timeseries import get_store

    store = get_store()
    lo, hi = datetime(2000, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)
    assets = {}
    for asset in Asset.objects.order_by("asset_id"):
        aid = asset.asset_id
        pts = store.read(measurement="scores", asset_id=aid, start=lo, end=hi, fields=["anomaly_score"])
        scores_t = [int(p.time.timestamp()) for p in pts if p.fields.get("anomaly_score") is not None]
        scores_s = [
            round(float(p.fields["anomaly_score"]), 5)
            for p in pts
            if p.fields.get("anomaly_score") is not None
        ]
        # running state at each scored time (rpm > 0; current > 0 when rpm is absent), for diagnostics
        ev = {
            int(p.time.timestamp()): p.fields
            for p in store.read(
                measurement="events",
                asset_id=aid,
                start=lo,
                end=hi,
                fields=["rpm", "current_a", "vibration_rms_mm_s"],
            )
        }
        running = []
        for t in scores_t:
            f = ev.get(t) or {}
            rpm, cur = f.get("rpm"), f.get("current_a")
            running.append(int((rpm if rpm is not None else (cur or 0.0)) > 0))
        # events the platform did not score (machine not running steadily, CONTRACTS §6.7) after the
        # active model's window end: the detection benchmark also reports the old all-events figures
        active = Baseline.objects.filter(asset=asset, active=True).first()
        scored = set(scores_t)
        lo_s = int(active.window_end.timestamp()) if active is not None else None
        unscored_t = [] if lo_s is None else sorted(t for t in ev if t >= lo_s and t not in scored)
        # when the platform's vibration RUL threshold (zone C/D) is reached: the end of the first
        # completed hour at which the median of the last three hourly medians is >= CD (§11.2 step 2)
        cd = float(limits_for_asset(asset=asset).zone_boundaries[2])
        hours: dict[int, list[float]] = {}
        for t, f in ev.items():
            v = f.get("vibration_rms_mm_s")
            if v is not None:
                hours.setdefault(t // 3600, []).append(float(v))
        keys = sorted(hours)
        meds = [float(np.median(hours[k])) for k in keys]
        zone_d_time = None
        for i in range(2, len(keys)):
            if float(np.median(meds[i - 2 : i + 1])) >= cd:
                zone_d_time = (keys[i] + 1) * 3600
                break
        first = store.read(measurement="events", asset_id=aid, start=lo, end=hi, limit=1)
        last = store.read(measurement="events", asset_id=aid, start=lo, end=hi, limit=1, descending=True)
        baselines = [
            {
                "version": b.version,
                "status": b.status,
                "active": b.active,
                "window_end": _iso(b.window_end),
                "false_anomaly_rate": b.false_anomaly_rate,
                "message": b.message,
            }
            for b in Baseline.objects.filter(asset=asset).order_by("version")
        ]
        rows = Assessment.objects.filter(asset=asset).order_by("as_of")
        assessments = [
            [
                _iso(a.as_of),
                _iso(a.evaluated_at),
                a.health_score,
                a.risk_level,
                a.rul_days,
                a.rul_low_days,
                a.rul_high_days,
                a.rul_reason,
                a.rul_channel,
                a.rul_method,
                a.rul_capped,
                a.stale,
                a.baseline_missing,
                a.anomaly_score,
            ]
            for a in rows.only(
                "as_of",
                "evaluated_at",
                "health_score",
                "risk_level",
                "rul_days",
                "rul_low_days",
                "rul_high_days",
                "rul_reason",
                "rul_channel",
                "rul_method",
                "rul_capped",
                "stale",
                "baseline_missing",
                "anomaly_score",
            )
        ]
        alerts = [
            {
                **_alert_record(a),
                "likely_mode": (a.guidance or {}).get("likely_mode"),
                "passage_modes": [p.get("mode") for p in (a.guidance or {}).get("passages", [])],
            }
            for a in Alert.objects.filter(asset=asset).order_by("opened_at", "cause")
        ]
        assets[aid] = {
            "asset_type": asset.asset_type,
            "cd_mm_s": cd,
            "zone_d_time": zone_d_time,
            "first_event": _iso(first[0].time) if first else None,
            "last_event": _iso(last[0].time) if last else None,
            "baselines": baselines,
            "scores_t": scores_t,
            "scores": scores_s,
            "running": running,
            "unscored_t": unscored_t,
            "assessment_fields": [
                "as_of",
                "evaluated_at",
                "health_score",
                "risk_level",
                "rul_days",
                "rul_low_days",
                "rul_high_days",
                "rul_reason",
                "rul_channel",
                "rul_method",
                "rul_capped",
                "stale",
                "baseline_missing",
                "anomaly_score",
            ],
            "assessments": assessments,
            "alerts": alerts,
        }
    # site supply alerts (asset = null, docs/CONTRACTS.md §15.6); absent from records made before them
    site_alerts = [
        {"site": a.site, **_alert_record(a)}
        for a in Alert.objects.filter(asset__isnull=True).order_by("opened_at", "cause")
    ]
    out.write_text(json.dumps({"assets": assets, "site_alerts": site_alerts}))


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


def add_common_args(p) -> None:
    p.add_argument(
        "--quick", action="store_true", help="1 seed, 6 faulty + 2 healthy assets, 12 days (~3-5 min)"
    )
    p.add_argument("--seeds", type=int, nargs="+", help="generator seeds (default 1-6)")
    p.add_argument("--days", type=float, help="run length in days (default 14)")
    p.add_argument("--healthy", type=int, help="healthy assets per fleet (default 4)")
    p.add_argument("--end", help="run end date YYYY-MM-DD (00:00 UTC; default the last Monday)")
    p.add_argument(
        "--anchor-interval-s",
        type=float,
        default=0.0,
        help="generator waveform.anchor_interval_s (default 0: one waveform per reading; 3600 before 2026-12-01)",
    )
    p.add_argument(
        "--families",
        nargs="+",
        choices=FAMILIES,
        metavar="FAMILY",
        help=f"degradation-law families the faults draw from (default all: {', '.join(FAMILIES)})",
    )
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="fleets run at once")
    p.add_argument("--no-cache", action="store_true", help="re-run fleets even when a cached result exists")
    p.add_argument("--keep", action="store_true", help="keep each fleet's temp dir (SQLite, files, log)")


def configs_from_args(args) -> list[FleetConfig]:
    if args.quick:
        seeds = args.seeds or [1]
        kw = dict(
            days=args.days or 12.0,
            n_healthy=args.healthy if args.healthy is not None else 2,
            ttf_days=(3.5, 5.5),
        )
    else:
        seeds = args.seeds or [1, 2, 3, 4, 5, 6]
        kw = dict(days=args.days or 14.0, n_healthy=args.healthy if args.healthy is not None else 4)
    families = tuple(args.families or ())
    return fleet_configs(
        seeds, end=args.end, anchor_interval_s=args.anchor_interval_s, families=families, **kw
    )


def describe(configs: list[FleetConfig]) -> dict:
    c = configs[0]
    return {
        "seeds": [x.seed for x in configs],
        "days": c.days,
        "interval_s": c.interval_s,
        "anchor_interval_s": c.anchor_interval_s,
        "faulty_per_fleet": len(c.modes),
        "healthy_per_fleet": c.n_healthy,
        "modes": list(c.modes),
        "onset_days": list(c.onset_days),
        "ttf_days": list(c.ttf_days),
        "ends": [x.end for x in configs],
        "families": list(c.families) or "all",
    }


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="internal: extract one fleet's results (run in its env)")
    ap.add_argument("--extract", required=True)
    a = ap.parse_args()
    with contextlib.suppress(BrokenPipeError):
        extract(Path(a.extract))
