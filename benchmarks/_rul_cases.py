"""The RUL benchmark's cases: hourly series of simulated run-to-failure and healthy machines, cached.

Simulates the evaluation fleets' scenarios (`_fleet_config.FleetConfig`, 60 s readings, one
synthesised waveform per reading) with the generator API, without the platform, and builds the
inputs the platform's RUL step reads (docs/CONTRACTS.md §11.1): per asset the hourly medians of the
running readings of `vibration_rms_mm_s` and of the load (current / rated current), the baseline
statistics over the running readings of the 72 h default baseline window (p50, p95 of the vibration,
median load) and the asset's zone C/D boundary; for a vibration fault its degradation-law family,
`degrading_start` and the labelled `threshold_time` (generator/labels.py). Healthy assets keep only
their series. Stored per fleet under `var/bench-cache/` (or `$PDM_BENCH_CACHE`) with a key of the
fleet's config and a hash of the generator's source, so changing the estimator never re-simulates.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(Path(__file__).resolve().parent))

from _fleet_config import FleetConfig, fleet_configs  # noqa: E402

from analytics.running import running_mask  # noqa: E402
from generator.faults import VIBRATION_DEFECTS  # noqa: E402
from generator.fleet import asset_schedule, simulate_asset, simulate_site  # noqa: E402
from generator.labels import threshold_time_s  # noqa: E402
from generator.scenario import build_fleet, validate_scenario  # noqa: E402

HOUR = 3600.0
BASELINE_S = 72 * HOUR
FORMAT = 1
CACHE_DIR = Path(os.environ.get("PDM_BENCH_CACHE", ROOT / "var" / "bench-cache"))


def _generator_hash() -> str:
    h = hashlib.sha256()
    # this module's own changes bump FORMAT
    for p in [*sorted((ROOT / "generator").rglob("*.py")), ROOT / "analytics" / "running.py"]:
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def hourly_running_medians(t: np.ndarray, v: np.ndarray, run: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hour index, median of the running readings) of the hours that mostly run."""
    hour = (t // HOUR).astype(np.int64)
    keys, first = np.unique(hour, return_index=True)
    ends = np.append(first[1:], hour.size)
    ks, ms = [], []
    for k, a, b in zip(keys, first, ends, strict=True):
        r = run[a:b]
        if 2 * int(r.sum()) >= b - a and r.any():
            ks.append(k)
            ms.append(float(np.median(v[a:b][r])))
    return np.asarray(ks, dtype=np.int64), np.asarray(ms)


def simulate_cases(cfg: FleetConfig) -> list[dict]:
    fleet = build_fleet(validate_scenario(cfg.scenario()))
    site = simulate_site(fleet)
    out = []
    for a in fleet.assets:
        sch = asset_schedule(fleet, a, site)
        tm = sch.timing
        if tm is not None and tm.mode not in VIBRATION_DEFECTS:
            continue  # overheating / electrical: no vibration threshold is crossed
        s = simulate_asset(fleet, a, site, sch)
        t = site.t_rel[s.emit]
        v = s.signals["vibration_rms_mm_s"][s.emit].astype(np.float64)
        cur = s.signals["current_a"][s.emit].astype(np.float64)
        run = running_mask(cur, a.rated_current_a, s.signals["rpm"][s.emit].astype(np.float64))
        load = cur / a.rated_current_a
        base = (t < BASELINE_S) & run
        keys, meds = hourly_running_medians(t, v, run)
        _, loads = hourly_running_medians(t, load, run)
        case = {
            "seed": cfg.seed,
            "asset_id": a.asset_id,
            "hours": keys,
            "vib": meds,
            "load": loads,
            "p50": float(np.median(v[base])),
            "p95": float(np.percentile(v[base], 95)),
            "load_ref": float(np.median(load[base])),
            "threshold": float(a.zones[2]),
            "baseline_end_s": BASELINE_S,
            "mode": None,
        }
        if tm is not None:
            thr = threshold_time_s(fleet, a, sch)
            if thr is None:
                continue
            case.update(mode=tm.mode, family=tm.law.family, degrading_s=tm.degrading_s, threshold_s=thr)
        out.append(case)
    return out


def _cached(cfg: FleetConfig, code: str) -> list[dict]:
    key = hashlib.sha256(json.dumps([FORMAT, code, asdict(cfg)], sort_keys=True).encode()).hexdigest()[:20]
    path = CACHE_DIR / f"rul-cases-{key}.pkl"
    if path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 (written by this module)
    cases = simulate_cases(cfg)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(cases, fh)
    tmp.replace(path)
    return cases


def load_cases(seeds: list[int], families: tuple[str, ...], *, end: str, jobs: int = 1) -> list[dict]:
    """Cases of fleets whose faults all follow one family, per family and seed (a balanced sample per
    family), plus their healthy assets; fleets simulated in `jobs` processes, cached."""
    code = _generator_hash()
    cfgs = [c for fam in families for c in fleet_configs(seeds, end=end, families=(fam,))]
    if jobs > 1:
        with ProcessPoolExecutor(jobs) as ex:
            parts = list(ex.map(_cached, cfgs, [code] * len(cfgs)))
    else:
        parts = [_cached(c, code) for c in cfgs]
    return [c for p in parts for c in p]
