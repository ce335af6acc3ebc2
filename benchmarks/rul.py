"""RUL benchmark, leave one degradation-law family out: does the estimator hold on laws it was not tuned on?

Cases (benchmarks/_rul_cases.py): for each of the generator's six degradation-law families, fleets whose
every fault follows that family (seeds `--seeds`, 60 s readings, one waveform per reading, 14 days), so
each family has its own balanced set of vibration faults (bearing_outer, bearing_inner, imbalance,
misalignment), plus the fleets' healthy assets. The inputs are those the platform's RUL step builds
(docs/CONTRACTS.md §11.1: hourly medians of the running readings, the load, the baseline p50 / p95 of the
72 h baseline window, the zone C/D boundary) and the estimate is the platform's own
`assessment.rul.estimate_rul`; the pipeline around it (ingest, features, storage) is `rul_pipeline.py`.

Truth: the platform's RUL target is the time until the failure threshold is crossed (CONTRACTS §11):
for a vibration fault the labelled `threshold_time`, when the noise-free design RMS reaches zone C/D.
Checkpoints at f = 25 / 50 / 75 % of the way from `degrading_start` to `threshold_time`; the estimate
at the whole hour h = checkpoint floored, the true remaining life threshold_time - h.

Leave one family out: the only constants the benchmark fits are the interval's (`INTERVAL_BASE`,
`INTERVAL_SCALE` of assessment/rul.py: how wide the 80 % interval is for a given disagreement of the
laws). For each family they are fitted on the checkpoints of the other five (the pair on a grid whose
coverage is closest to 0.80 at each checkpoint, then the narrowest), and the held-out family's
intervals are rebuilt with them (`assessment.rul.rul_interval`). The point estimate has no constant
fitted on these fleets. Figures per family and over the pooled held-out checkpoints:

* `within_20pct`: share of checkpoints with |rul - true| <= 0.2 true (no number counts as a miss);
  `within_20pct_numbered` the same over the checkpoints with a number;
* `mae_days` over the checkpoints with a number; `interval_coverage`: share of those whose 80 %
  interval holds the truth; `no_number`: share of checkpoints without a number (by reason);
* healthy assets: share of hours after the baseline window with a number (must be 0).

    python benchmarks/rul.py [--seeds 101 102 103 104] [--families ...] [--jobs 2] [--end 2026-11-30]

The last output line is one JSON object: `held_out.at_50.within_20pct`, `held_out.at_75.within_20pct`,
`held_out.at_50.interval_coverage`, `held_out.at_75.interval_coverage`, ..., `per_family.<family>...`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.append(str(Path(__file__).resolve().parent))

import _rul_cases as rc  # noqa: E402
from _fleet_config import FAMILIES  # noqa: E402

from assessment.rul import (  # noqa: E402
    CAP_DAYS,
    INTERVAL_BASE,
    INTERVAL_SCALE,
    POINT_QUANTILE,
    WEIGHT_TEMPERATURE,
    combine_laws,
    estimate_rul,
)

DAY = 86400.0
HOUR = 3600.0
CHECKPOINTS = (0.25, 0.50, 0.75)
WINDOW_S = 14 * DAY
TARGET_COVERAGE = 0.80
GOAL_WITHIN = 0.60
GOAL_COVERAGE = (0.70, 0.90)
TEMPERATURE_GRID = (1.0, 4.0, 16.0, 64.0, 256.0, math.inf)
QUANTILE_GRID = (0.2, 0.35, 0.5)
BASE_GRID = np.round(np.arange(0.0, 1.21, 0.05), 3)
SCALE_GRID = np.round(np.arange(0.0, 4.01, 0.25), 3)


def rul_at(case: dict, h_s: float):
    """The platform's vibration RUL at the whole hour h (seconds from the run start)."""
    keys = case["hours"]
    start = max(h_s - WINDOW_S, case["baseline_end_s"])
    sel = (keys * HOUR >= start) & ((keys + 1) * HOUR <= h_s)
    return estimate_rul(
        (keys[sel] * HOUR + HOUR / 2) / DAY,
        case["vib"][sel],
        healthy_level=case["p50"],
        threshold=case["threshold"],
        now=h_s / DAY,
        healthy_upper=case["p95"],
        load=case["load"][sel],
        load_ref=case["load_ref"],
    )


def fault_cells(case: dict) -> list[dict]:
    out = []
    for f in CHECKPOINTS:
        h = (case["degrading_s"] + f * (case["threshold_s"] - case["degrading_s"])) // HOUR * HOUR
        r = rul_at(case, h)
        out.append(
            {
                "seed": case["seed"],
                "asset_id": case["asset_id"],
                "mode": case["mode"],
                "family": case["family"],
                "checkpoint": f,
                "true_days": (case["threshold_s"] - h) / DAY,
                "rul_days": r.rul_days,
                "low": r.low_days,
                "high": r.high_days,
                "reason": r.reason,
                "method": r.method,
                "laws": r.laws,
            }
        )
    return out


def healthy_numbers(case: dict) -> tuple[int, int]:
    """(hours evaluated after the baseline window, hours with a number)."""
    n = k = 0
    last = int(case["hours"][-1]) + 1 if case["hours"].size else 0
    for hour in range(int(case["baseline_end_s"] // HOUR) + 1, last + 1):
        n += 1
        k += rul_at(case, hour * HOUR).rul_days is not None
    return n, k


Constants = tuple[float, float, float, float]  # (weight temperature, interval base, scale, point quantile)
PRODUCT: Constants = (WEIGHT_TEMPERATURE, INTERVAL_BASE, INTERVAL_SCALE, POINT_QUANTILE)
NAMES = ("temperature", "base", "scale", "quantile")


def with_constants(c: dict, k: Constants) -> dict:
    """The cell as the estimator would have given it with the constants k (the laws' fits do not
    depend on them: `assessment.rul.combine_laws` recombines them)."""
    if c["laws"] is None:
        return c
    m = combine_laws(c["laws"], temperature=k[0], base=k[1], scale=k[2], quantile=k[3])
    return {
        **c,
        "rul_days": min(m.rul_days, CAP_DAYS),
        "low": min(m.low_days, CAP_DAYS),
        "high": min(m.high_days, CAP_DAYS),
        "method": m.method,
    }


def coverage(cells: list[dict]) -> float | None:
    hit = [c["low"] <= c["true_days"] <= c["high"] for c in cells if c["rul_days"] is not None]
    return float(np.mean(hit)) if hit else None


def calibrate(cells: list[dict]) -> Constants:
    """The constants fitted on `cells`: the temperature with the most checkpoints within +-20 % at
    25 / 50 / 75 % (ties: the larger T, the softer weighting); then (base, scale) whose coverage at
    every checkpoint is closest to TARGET_COVERAGE (worst checkpoint's squared miss, then the sum),
    the narrowest on ties (mean ln F)."""
    best_t, best_q = max(
        ((t, q) for t in TEMPERATURE_GRID for q in QUANTILE_GRID),
        key=lambda tq: (
            sum(is_within_cell(with_constants(c, (tq[0], 0.0, 0.0, tq[1]))) for c in cells),
            -abs(tq[1] - 0.5),
            tq[0],
        ),
    )
    recombined = [with_constants(c, (best_t, 0.0, 0.0, best_q)) for c in cells]
    by_cp = [[c for c in recombined if c["checkpoint"] == f and c["laws"] is not None] for f in CHECKPOINTS]
    spreads = np.array([c["laws"]["spread_high"] for c in cells if c["laws"] is not None] or [0.0])
    best = None
    for b in BASE_GRID:
        for k in SCALE_GRID:
            miss = [
                (coverage([with_constants(c, (best_t, b, k, best_q)) for c in cs]) or 0.0) - TARGET_COVERAGE
                for cs in by_cp
            ]
            width = float(np.mean(np.sqrt(b * b + (k * spreads) ** 2)))
            key = (round(max(m * m for m in miss), 4), round(sum(m * m for m in miss), 4), width)
            if best is None or key < best[0]:
                best = (key, float(b), float(k))
    assert best is not None
    return best_t, best[1], best[2], best_q


def is_within_cell(c: dict) -> bool:
    return c["rul_days"] is not None and is_within(c["rul_days"], c["true_days"])


def is_within(est: float, true: float) -> bool:
    return est == 0.0 if true <= 0 else abs(est - true) <= 0.2 * true


def figures(cells: list[dict]) -> dict:
    n = len(cells)
    num = [c for c in cells if c["rul_days"] is not None]
    within = [is_within(c["rul_days"], c["true_days"]) for c in num]
    ratios = [c["rul_days"] / c["true_days"] for c in num if c["true_days"] > 0]
    return {
        "n": n,
        "within_20pct": sum(within) / n if n else None,
        "within_20pct_numbered": float(np.mean(within)) if num else None,
        "mae_days": float(np.mean([abs(c["rul_days"] - c["true_days"]) for c in num])) if num else None,
        "median_ratio": float(np.median(ratios)) if ratios else None,
        "interval_coverage": coverage(cells),
        "no_number": (n - len(num)) / n if n else None,
        "null_reasons": dict(Counter(c["reason"] for c in cells if c["rul_days"] is None)),
        "methods": dict(Counter(c["method"] or c["reason"] for c in num)),
    }


def table(cells: list[dict]) -> dict:
    return {f"at_{int(f * 100)}": figures([c for c in cells if c["checkpoint"] == f]) for f in CHECKPOINTS}


def fmt(x, spec=".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_row(name: str, t: dict, extra: str = "") -> None:
    print(
        f"  {name:20} "
        + "  ".join(
            f"{fmt(t[k]['within_20pct'])} {fmt(t[k]['mae_days']):>5} {fmt(t[k]['interval_coverage']):>4} "
            f"{fmt(t[k]['no_number']):>4}"
            for k in ("at_25", "at_50", "at_75")
        )
        + extra
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[101, 102, 103, 104])
    p.add_argument("--families", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    p.add_argument("--end", default="2026-11-30", help="run end date YYYY-MM-DD (fixed: reproducible cases)")
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--dump", type=Path, help="write every checkpoint cell to this JSON file")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    cases = rc.load_cases(args.seeds, tuple(args.families), end=args.end, jobs=args.jobs)
    t_sim = time.perf_counter() - t0
    faults = [c for c in cases if c["mode"] is not None]
    healthy = {(c["seed"], c["asset_id"]): c for c in cases if c["mode"] is None}  # same in every family
    cells = [x for c in faults for x in fault_cells(c)]
    n_h = k_h = 0
    for c in healthy.values():
        n, k = healthy_numbers(c)
        n_h, k_h = n_h + n, k_h + k

    result: dict = {
        "benchmark": "rul",
        "evaluation": "leave-one-family-out",
        "seeds": args.seeds,
        "families": args.families,
        "faults": len(faults),
        "truth": "threshold_time (zone C/D crossing of the noise-free design RMS)",
        "product_constants": dict(zip(NAMES, PRODUCT, strict=True)),
    }
    fams = sorted({c["family"] for c in cells})
    per_family, held_cells, constants = {}, [], {}
    for fam in fams:
        train = [c for c in cells if c["family"] != fam]
        k = calibrate(train) if train else PRODUCT
        constants[fam] = dict(zip(NAMES, k, strict=True))
        held = [with_constants(c, k) for c in cells if c["family"] == fam]
        per_family[fam] = table(held)
        per_family[fam]["faults"] = len(held) // len(CHECKPOINTS)
        per_family[fam]["constants"] = constants[fam]
        held_cells += held
    pooled = table(held_cells)  # each cell with its own family's held-out constants
    result["held_out"] = pooled
    result["per_family"] = per_family
    k_all = calibrate(cells)
    result["calibrated_on_all"] = dict(zip(NAMES, k_all, strict=True))
    result["with_product_constants"] = table([with_constants(c, PRODUCT) for c in cells])
    result["healthy"] = {"hours": n_h, "with_number": k_h / n_h if n_h else None}

    print(f"{len(faults)} vibration faults ({len(cells)} checkpoints), {len(healthy)} healthy assets")
    print("\nheld out, per family: within20 MAE_d int80 no_number at 25 / 50 / 75 % (interval constants)")
    for fam in fams:
        k = constants[fam]
        print_row(
            fam,
            per_family[fam],
            f"   (T {k['temperature']:g}, q {k['quantile']:.2f}, base {k['base']:.2f}, scale {k['scale']:.1f})",
        )
    print_row("HELD OUT (pooled)", pooled)
    print("\nmethod (the law with the largest weight) per checkpoint, pooled:")
    for key, v in pooled.items():
        print(f"  {key}: {v['methods']}  nulls {v['null_reasons']}  median ratio {fmt(v['median_ratio'])}")
    print(
        f"\nconstants fitted on all families: {result['calibrated_on_all']} (product: {result['product_constants']})"
    )
    print_row("ALL, product consts", result["with_product_constants"])
    hv = result["healthy"]
    print(
        f"healthy assets: {hv['hours']} hours after the baseline, with a number {fmt(hv['with_number'], '.4f')}"
    )
    goals = {}
    for key in ("at_50", "at_75"):
        v = pooled[key]["within_20pct"]
        goals[f"held_out.{key}.within_20pct"] = {
            "value": v,
            "goal": f">= {GOAL_WITHIN}",
            "met": v >= GOAL_WITHIN,
        }
    for key in ("at_25", "at_50", "at_75"):
        v = pooled[key]["interval_coverage"]
        ok = v is not None and GOAL_COVERAGE[0] <= v <= GOAL_COVERAGE[1]
        goals[f"held_out.{key}.interval_coverage"] = {"value": v, "goal": "0.70-0.90", "met": ok}
    goals["healthy.with_number"] = {"value": hv["with_number"], "goal": "0", "met": hv["with_number"] == 0}
    print("\ngoals:")
    for k, g in goals.items():
        print(f"  {k:36} {fmt(g['value'], '.3f'):>6} {g['goal']:>8} {'met' if g['met'] else 'MISSED'}")
    result["goals"] = goals
    result["wall_s"] = {"simulate_or_cache": t_sim, "total": time.perf_counter() - t0}
    if args.dump is not None:
        args.dump.write_text(json.dumps(held_cells, indent=1, default=float))
    print(f"\nwall {result['wall_s']['total']:.0f} s (cases {t_sim:.0f} s)")
    print(json.dumps(result, default=lambda x: None if isinstance(x, float) and math.isnan(x) else float(x)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
