"""Offline leave-one-family-out check of the vibration RUL math on generator fleets, without the pipeline.

`benchmarks/rul.py` runs fleets through the whole platform (minutes per fleet on a shared 2-core
machine); this script simulates fleets of the same scenario with the generator API, emulates the RUL
inputs the platform builds (CONTRACTS §11.1) and calls the platform's own `assessment.rul.estimate_rul`:

* per degradation-law family (default all six), fleets whose every fault follows it: 4 faulty assets,
  one per vibration mode, + `--healthy` healthy ones (default 1), one fleet per seed;
* baseline: p50 / p95 of `vibration_rms_mm_s` over the running readings of the first 72 h (the default
  baseline window; the platform's baseline statistics come from `analytics`, so small differences);
* hourly medians of the running readings (`analytics.running`), an hour counted when at least half of
  its readings run, of the vibration and of the load (current / rated current), the load's reference
  its baseline median; trend window (max(h - 14 d, baseline end), h), completed hours only;
* checkpoints and truth as `benchmarks/rul.py` (25 / 50 / 75 % of [degrading_start, threshold_time)),
  scored by `_rul_score.py` (per family, the interval scale fitted on the other families); healthy
  assets: every `--healthy-step-h`-th whole hour after the baseline window.

The simulated inputs are cached on disk (`<bench cache>/rul-offline/`, keyed by the fleet config and the
generator and analytics code), so an estimator change is re-scored in seconds. Not a substitute for
`rul.py` (no health channel, no combination, no stored assessments): the development tool, on seeds
other than the benchmark's.

    python benchmarks/_rul_offline.py [--seeds 7 8] [--families F ...] [--jobs 2] [--healthy 1] [--dump cells.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import pickle
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(Path(__file__).resolve().parent))

import _fleet_eval as fe  # noqa: E402
import _rul_score as sc  # noqa: E402

from analytics.running import running_mask  # noqa: E402
from assessment.rul import estimate_rul  # noqa: E402
from generator.faults import VIBRATION_DEFECTS  # noqa: E402
from generator.fleet import asset_schedule, simulate_asset, simulate_site  # noqa: E402
from generator.labels import threshold_time_s  # noqa: E402
from generator.scenario import build_fleet, validate_scenario  # noqa: E402

DAY = 86400.0
HOUR = 3600.0
BASELINE_S = 72 * HOUR
CHECKPOINTS = sc.CHECKPOINTS
VIBRATION_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment")


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
    return np.asarray(ks), np.asarray(ms)


def _inputs_key(cfg: fe.FleetConfig) -> str:
    h = hashlib.sha256(json.dumps([1, asdict(cfg)], sort_keys=True).encode())
    for d in ("generator", "analytics"):
        for p in sorted((ROOT / d).rglob("*.py")):
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def seed_inputs(cfg: fe.FleetConfig, *, use_cache: bool = True) -> list[dict]:
    """The RUL inputs of one fleet's vibration faults and healthy assets (hourly running medians of
    the vibration and the load, baseline statistics, zone C/D, the fault's timing and threshold time);
    cached on disk (the simulation is the slow part; the estimator then runs in seconds)."""
    path = fe.CACHE_DIR / "rul-offline" / f"s{cfg.seed}-{_inputs_key(cfg)}.pkl"
    if use_cache and path.exists():
        with path.open("rb") as fh:
            return pickle.load(fh)  # noqa: S301 (this script's own cache file)
    fleet = build_fleet(validate_scenario(cfg.scenario()))
    site = simulate_site(fleet)
    out = []
    for a in fleet.assets:
        sch = asset_schedule(fleet, a, site)
        tm = sch.timing
        if tm is not None and tm.mode not in VIBRATION_DEFECTS:
            continue
        s = simulate_asset(fleet, a, site, sch)
        t = site.t_rel[s.emit]
        v = s.signals["vibration_rms_mm_s"][s.emit].astype(np.float64)
        rpm = s.signals["rpm"][s.emit].astype(np.float64)
        load = s.signals["current_a"][s.emit].astype(np.float64) / a.rated_current_a
        run = running_mask(s.signals["current_a"][s.emit].astype(np.float64), a.rated_current_a, rpm)
        base = (t < BASELINE_S) & run
        keys, meds = hourly_running_medians(t, v, run)
        _, loads = hourly_running_medians(t, load, run)
        out.append(
            {
                "seed": cfg.seed,
                "asset_id": a.asset_id,
                "mode": None if tm is None else tm.mode,
                "family": None if tm is None else tm.law.family,
                "degrading_s": None if tm is None else tm.degrading_s,
                "failure_s": None if tm is None else tm.failure_s,
                "threshold_s": None if tm is None else threshold_time_s(fleet, a, sch),
                "end_s": float(t[-1]),
                "keys": keys,
                "meds": meds,
                "loads": loads,
                "p50": float(np.median(v[base])),
                "p95": float(np.percentile(v[base], 95)),
                "load_ref": float(np.median(load[base])),
                "cd": float(a.zones[2]),
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        pickle.dump(out, fh)
    return out


def rul_at(x: dict, h_s: float, estimator=estimate_rul):
    keys = x["keys"]
    sel = (keys * HOUR >= BASELINE_S) & ((keys + 1) * HOUR <= h_s) & (keys * HOUR >= h_s - 14 * DAY)
    return estimator(
        (keys[sel] * HOUR + HOUR / 2) / DAY,
        x["meds"][sel],
        healthy_level=x["p50"],
        threshold=x["cd"],
        now=h_s / DAY,
        healthy_upper=x["p95"],
        load=x["loads"][sel],
        load_ref=x["load_ref"],
    )


def evaluate_inputs(
    inputs: list[dict], estimator=estimate_rul, healthy_step_h: int = 1
) -> tuple[list[dict], list]:
    """Checkpoint cells of the faults (25 / 50 / 75 % of [degrading_start, threshold_time)) and the
    healthy assets' RUL at every `healthy_step_h`-th whole hour after the baseline window."""
    cells, healthy = [], []
    for x in inputs:
        if x["mode"] is None:
            for k in range(int(BASELINE_S // HOUR) + 1, int(x["end_s"] // HOUR) + 1, healthy_step_h):
                healthy.append(rul_at(x, k * HOUR, estimator).rul_days)
            continue
        thr = x["threshold_s"]
        if thr is None:
            continue
        for f in CHECKPOINTS:
            h = (x["degrading_s"] + f * (thr - x["degrading_s"])) // HOUR * HOUR
            r = rul_at(x, h, estimator)
            cells.append(
                {
                    "seed": x["seed"],
                    "asset_id": x["asset_id"],
                    "mode": x["mode"],
                    "family": x["family"],
                    "checkpoint": f,
                    "true_days": (thr - h) / DAY,
                    "rul_days": r.rul_days,
                    "low": r.low_days,
                    "high": r.high_days,
                    "method": r.method,
                    "reason": r.reason,
                }
            )
    return cells, healthy


def _family_inputs(job: tuple) -> list[dict]:
    fam, seeds, end, sensor, use_cache, n_healthy = job
    out = []
    configs = fe.fleet_configs(
        seeds, end=end, modes=VIBRATION_MODES, families=(fam,), n_healthy=n_healthy, **sensor
    )
    for cfg in configs:
        out += seed_inputs(cfg, use_cache=use_cache)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    p.add_argument("--end", help="run end date YYYY-MM-DD (default: as benchmarks/rul.py, the last Monday)")
    p.add_argument(
        "--anchor-interval-s",
        type=float,
        help="override waveform.anchor_interval_s for every asset (default: the evaluation fleets' own, 0 = exact mode)",
    )
    p.add_argument(
        "--families",
        nargs="+",
        choices=fe.FAMILIES,
        default=list(fe.FAMILIES),
        metavar="FAMILY",
        help="degradation-law families, one set of fleets each (default: all six)",
    )
    p.add_argument("--healthy", type=int, default=1, help="healthy assets per fleet (default 1)")
    p.add_argument("--jobs", type=int, default=2, help="families simulated at once")
    p.add_argument("--no-cache", action="store_true", help="simulate again even when cached inputs exist")
    p.add_argument("--healthy-step-h", type=int, default=1, help="healthy assets: every n-th hour")
    p.add_argument(
        "--dump", type=Path, help="write every checkpoint cell (estimate, interval, truth) to this JSON file"
    )
    args = p.parse_args(argv)
    sensor = {} if args.anchor_interval_s is None else {"anchor_interval_s": args.anchor_interval_s}
    end = args.end or fe.default_end()
    jobs = [(fam, args.seeds, end, sensor, not args.no_cache, args.healthy) for fam in args.families]
    t0 = time.perf_counter()
    if args.jobs > 1:
        with multiprocessing.Pool(args.jobs) as pool:
            per_family = pool.map(_family_inputs, jobs)
    else:
        per_family = [_family_inputs(j) for j in jobs]
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    cells, healthy = [], []
    for inputs in per_family:
        c, h = evaluate_inputs(inputs, healthy_step_h=args.healthy_step_h)
        cells += c
        healthy += h
    t_est = time.perf_counter() - t0
    if args.dump is not None:
        args.dump.write_text(json.dumps(cells, indent=1))
    lofo = sc.leave_one_family_out(cells)
    print(f"seeds {args.seeds}, families {args.families}: {len(cells) // len(CHECKPOINTS)} vibration faults")
    sc.print_tables("per family (interval scale fitted on the other families):", lofo["per_family"])
    sc.print_tables(
        "held out, all families:", {"held_out": lofo["held_out"], "as_emitted": lofo["as_emitted"]}
    )
    num = [x for x in healthy if x is not None]
    result: dict = {
        "seeds": args.seeds,
        "families": args.families,
        "vibration_faults": len(cells) // len(CHECKPOINTS),
        "held_out": lofo["held_out"],
        "as_emitted": lofo["as_emitted"],
        "per_family": lofo["per_family"],
        "healthy": {
            "hours": len(healthy),
            "with_number": len(num) / len(healthy) if healthy else None,
            "rul_le_7d": sum(x <= 7 for x in num) / len(healthy) if healthy else None,
        },
        "simulate_s": t_sim,
        "estimate_s": t_est,
    }
    hv = result["healthy"]
    print(
        f"healthy assets: {hv['hours']} hours, with a number {hv['with_number']}, <= 7 d {hv['rul_le_7d']}; "
        f"simulate {t_sim:.0f} s, estimate {t_est:.0f} s"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
