"""Offline check of the vibration RUL math on many generator seeds, without the pipeline.

`benchmarks/rul.py` runs fleets through the whole platform (about 2-9 minutes per seed on a shared
2-core machine), so it is limited to a few seeds; the 24 vibration faults of seeds 1-6 are too few to
tell an estimator's accuracy from luck (one fault = 4 points of `within_20pct`). This script
simulates the same fleet scenarios with the generator API (seconds per seed), emulates the RUL
inputs the platform builds (CONTRACTS §11.1) and calls the platform's own `assessment.rul.estimate_rul`:

* baseline: p50 / p95 of `vibration_rms_mm_s` over the running readings of the first 72 h (the default
  baseline window; the platform's baseline statistics come from `analytics`, so small differences);
* hourly medians of the running readings (`analytics.running`), an hour counted when at least half of
  its readings run, of the vibration and of the load (current / rated current), the load's reference
  its baseline median; trend window (max(h - 14 d, baseline end), h), completed hours only;
* checkpoints and truth as `benchmarks/rul.py` (`threshold_time`, checkpoints on
  [degrading_start, failure_time)); healthy assets: every whole hour after the baseline window.

Not a substitute for `rul.py` (no health channel, no combination, no stored assessments): a check
that the vibration estimator generalises beyond the benchmark's seeds.

    python benchmarks/_rul_offline.py [--seeds 7 8 ... 30] [--end YYYY-MM-DD] [--anchor-interval-s S] [--by-mode]

`--families F ...` restricts the faults' degradation laws to these families (default all six; one family
gives fleets whose faults all follow it). `--anchor-interval-s S` overrides the generator's `waveform.anchor_interval_s` for every asset
(default: the evaluation fleets' own, `_fleet_eval.FleetConfig.anchor_interval_s`: 0 = exact
mode, one synthesised window per event, since 2026-12-01; 3600 before); `--by-mode` adds `within_20pct` per failure mode and checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(Path(__file__).resolve().parent))

import _fleet_eval as fe  # noqa: E402

from analytics.running import running_mask  # noqa: E402
from assessment.rul import estimate_rul  # noqa: E402
from generator.faults import VIBRATION_DEFECTS  # noqa: E402
from generator.fleet import asset_schedule, simulate_asset, simulate_site  # noqa: E402
from generator.labels import threshold_time_s  # noqa: E402
from generator.scenario import build_fleet, validate_scenario  # noqa: E402

DAY = 86400.0
HOUR = 3600.0
BASELINE_S = 72 * HOUR
CHECKPOINTS = (0.25, 0.50, 0.75)


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


def evaluate_seed(cfg: fe.FleetConfig) -> tuple[list[dict], list[float | None]]:
    fleet = build_fleet(validate_scenario(cfg.scenario()))
    site = simulate_site(fleet)
    cells, healthy = [], []
    for a in fleet.assets:
        sch = asset_schedule(fleet, a, site)
        s = simulate_asset(fleet, a, site, sch)
        t = site.t_rel[s.emit]
        v = s.signals["vibration_rms_mm_s"][s.emit].astype(np.float64)
        rpm = s.signals["rpm"][s.emit].astype(np.float64)
        load = s.signals["current_a"][s.emit].astype(np.float64) / a.rated_current_a
        run = running_mask(s.signals["current_a"][s.emit].astype(np.float64), a.rated_current_a, rpm)
        base = (t < BASELINE_S) & run
        p50, p95 = float(np.median(v[base])), float(np.percentile(v[base], 95))
        load_ref = float(np.median(load[base]))
        keys, meds = hourly_running_medians(t, v, run)
        _, loads = hourly_running_medians(t, load, run)
        cd = a.zones[2]

        def rul_at(h_s: float, keys=keys, meds=meds, loads=loads, p50=p50, p95=p95, cd=cd, load_ref=load_ref):
            sel = (keys * HOUR >= BASELINE_S) & ((keys + 1) * HOUR <= h_s) & (keys * HOUR >= h_s - 14 * DAY)
            return estimate_rul(
                (keys[sel] * HOUR + HOUR / 2) / DAY,
                meds[sel],
                healthy_level=p50,
                threshold=cd,
                now=h_s / DAY,
                healthy_upper=p95,
                load=loads[sel],
                load_ref=load_ref,
            )

        tm = s.timing
        if tm is None:
            for k in range(int(BASELINE_S // HOUR) + 1, int(t[-1] // HOUR) + 1):
                healthy.append(rul_at(k * HOUR).rul_days)
            continue
        if tm.mode not in VIBRATION_DEFECTS:
            continue
        thr = threshold_time_s(fleet, a, sch)
        for f in CHECKPOINTS:
            h = (tm.degrading_s + f * (tm.failure_s - tm.degrading_s)) // HOUR * HOUR
            r = rul_at(h)
            cells.append(
                {
                    "seed": cfg.seed,
                    "asset_id": a.asset_id,
                    "mode": tm.mode,
                    "family": tm.law.family,
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


def by_mode(cells: list[dict], key: str = "mode") -> dict:
    """within_20pct (of all cells, a missing number counted as a miss) per `key` (mode or law family)
    and checkpoint; printed."""
    out: dict = {}
    for mode in sorted({c[key] for c in cells}):
        row = {}
        for f in CHECKPOINTS:
            cs = [c for c in cells if c[key] == mode and c["checkpoint"] == f]
            hit = [
                c["rul_days"] is not None and abs(c["rul_days"] - c["true_days"]) <= 0.2 * c["true_days"]
                for c in cs
            ]
            row[f"at_{int(f * 100)}"] = sum(hit) / len(cs) if cs else None
        out[mode] = row
        print(f"  {mode:14} n {len(cs):>3}  w20_all " + " ".join(f"{v:4.2f}" for v in row.values()))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=list(range(7, 31)))
    p.add_argument("--end", help="run end date YYYY-MM-DD (default: as benchmarks/rul.py, the last Monday)")
    p.add_argument(
        "--anchor-interval-s",
        type=float,
        help="override waveform.anchor_interval_s for every asset (default: the evaluation fleets' own, 0 = exact mode)",
    )
    p.add_argument(
        "--by-mode", action="store_true", help="also print within_20pct per failure mode and per law family"
    )
    p.add_argument(
        "--families",
        nargs="+",
        choices=fe.FAMILIES,
        metavar="FAMILY",
        help="degradation-law families the faults draw from (default: all six)",
    )
    p.add_argument(
        "--dump", type=Path, help="write every checkpoint cell (estimate, interval, truth) to this JSON file"
    )
    args = p.parse_args(argv)
    cells, healthy = [], []
    sensor = {} if args.anchor_interval_s is None else {"anchor_interval_s": args.anchor_interval_s}
    if args.families:
        sensor["families"] = tuple(args.families)
    for cfg in fe.fleet_configs(args.seeds, end=args.end, **sensor):
        c, h = evaluate_seed(cfg)
        cells += c
        healthy += h
    if args.dump is not None:
        args.dump.write_text(json.dumps(cells, indent=1))
    result: dict = {"seeds": args.seeds, "vibration_faults": len(cells) // len(CHECKPOINTS)}
    print(f"seeds {args.seeds[0]}..{args.seeds[-1]}: {result['vibration_faults']} vibration faults")
    print(
        f"{'checkpoint':10} {'n':>3} {'coverage':>8} {'within20':>8} {'w20_all':>7} {'ratio q10/50/90':>17} {'int80':>5}"
    )
    for f in CHECKPOINTS:
        cs = [c for c in cells if c["checkpoint"] == f]
        num = [c for c in cs if c["rul_days"] is not None]
        w = [abs(c["rul_days"] - c["true_days"]) <= 0.2 * c["true_days"] for c in num]
        ratio = [c["rul_days"] / c["true_days"] for c in num]
        cover = [c["low"] <= c["true_days"] <= c["high"] for c in num]
        q = np.quantile(ratio, [0.1, 0.5, 0.9]) if ratio else [math.nan] * 3
        fig = {
            "n": len(cs),
            "coverage": len(num) / len(cs),
            "within_20pct": float(np.mean(w)) if w else None,
            "within_20pct_all": sum(w) / len(cs),
            "ratio_q10_q50_q90": [float(x) for x in q],
            "interval_coverage": float(np.mean(cover)) if cover else None,
        }
        result[f"at_{int(f * 100)}"] = fig
        print(
            f"{int(f * 100):>9}% {len(cs):>3} {fig['coverage']:8.2f} {fig['within_20pct'] or 0:8.2f} "
            f"{fig['within_20pct_all']:7.2f}   {q[0]:4.2f} {q[1]:4.2f} {q[2]:4.2f}   {fig['interval_coverage'] or 0:5.2f}"
        )
    if args.by_mode:
        result["by_mode"] = by_mode(cells)
        result["by_family"] = by_mode(cells, "family")
    num = [x for x in healthy if x is not None]
    result["healthy"] = {
        "hours": len(healthy),
        "with_number": len(num) / len(healthy) if healthy else None,
        "rul_le_7d": sum(x <= 7 for x in num) / len(healthy) if healthy else None,
    }
    hv = result["healthy"]
    print(
        f"healthy assets: {hv['hours']} hours, with a number {hv['with_number']:.4f}, <= 7 d {hv['rul_le_7d']:.4f}"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
