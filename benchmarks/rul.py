"""RUL benchmark: accuracy of the stored remaining-useful-life estimates on run-to-failure fleets.

Uses the same fleets as `benchmarks/detection.py` (benchmarks/_fleet_eval.py; shared on-disk
cache, so after `detection.py` nothing is simulated again): per seed 6 faulty assets, one per
failure mode, run to failure + healthy assets, 60 s interval, 14 days, through the whole pipeline.

Ground truth (docs/benchmarks.md, "RUL ground truth"): the platform's RUL is the time until the
machine reaches its failure threshold, zone C/D of ISO 10816-3 (CONTRACTS §11). The generator's
`threshold_time` label is when a vibration fault's noise-free design RMS reaches that boundary; the
twin's machines fail later (`failure_time`, at 1.3-1.5 x C/D, a level no real platform can know).

For each fault and checkpoint c = degrading_start + f x (failure_time - degrading_start),
f = 25 / 50 / 75 %, the assessment taken is the one with the newest `as_of` <= c. Its RUL refers
to h = its grid point (`evaluated_at`) floored to the hour (CONTRACTS §11.1), so the true remaining
life is threshold_time - h (days). Per checkpoint, over the vibration-mode faults (bearing_outer,
bearing_inner, imbalance, misalignment):

* `n`: faults evaluated;
* `coverage`: share of them whose assessment has a number (`rul_days` not null); nulls are counted
  by `rul_reason` in `null_reasons`;
* `mae_days`: mean |rul_days - true| over the assessments with a number (capped values included);
* `within_20pct`: share of the numbered estimates with |rul_days - true| <= 0.2 x true (a true
  remaining life <= 0 needs rul_days = 0); `within_20pct_all`: the same over all n (a null is a miss);
* `median_ratio` (rul_days / true), `median_error_days` (signed, + = optimistic), channels/methods.

Also reported:
* `old_definition`: the figures of the previous definition, every fault (all six modes) judged
  against `failure_time` at the same checkpoints;
* `non_vibration`: overheating and electrical faults, which leave vibration unchanged and reach no
  contract threshold the twin's failure is tied to (docs/generator.md): coverage, channels, and
  their estimates against `failure_time` (information, no goal);
* `checkpoints_of_useful_life` (diagnostic): checkpoints at 25/50/75 % of
  [degrading_start, threshold_time) instead;
* healthy assets: the share of assessments (after the baseline window) carrying a RUL number, and
  one <= 7 days (which raises risk to High through the `rul_7d` override).

    python benchmarks/rul.py [--quick] [--seeds 1 2 3 4 5 6] [--jobs 2] [--no-cache]

The last output line is one JSON object with `at_25`, `at_50`, `at_75`.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fleet_eval as fe  # noqa: E402

CHECKPOINTS = (0.25, 0.50, 0.75)
GOAL_WITHIN = 0.70  # at 50 % and 75 %
DAY = 86400.0
VIBRATION_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment")


def fmt(x, spec=".3f") -> str:
    return "-" if x is None else format(x, spec)


def assessment_at(rec: dict, t: float) -> dict | None:
    """The assessment with the newest as_of <= t, as a dict."""
    names = rec["assessment_fields"]
    rows = rec["assessments"]
    if "_as_of" not in rec:
        rec["_as_of"] = [fe.ts(r[0]) for r in rows]
    i = bisect.bisect_right(rec["_as_of"], t) - 1
    return dict(zip(names, rows[i], strict=True)) if i >= 0 else None


def threshold_times(fleet: dict) -> dict[str, float | None]:
    """asset_id -> the `threshold_time` label (Unix s) of the fleet's faulty assets."""
    return {
        lab["asset_id"]: fe.ts(lab.get("threshold_time"))
        for lab in fleet["labels"]
        if lab.get("type") == "asset" and lab.get("mode")
    }


def is_within(est: float, true: float) -> bool:
    return est == 0.0 if true <= 0 else abs(est - true) <= 0.2 * true


def cell(f: fe.Fault, checkpoint: float, end: float) -> dict:
    """The assessment at `checkpoint` judged against the end of life `end` (Unix s)."""
    a = assessment_at(f.record, checkpoint)
    if a is None:
        return {"assessment": False, "true_days": None, "rul_days": None, "reason": "no_assessment"}
    h = fe.ts(a["evaluated_at"]) // 3600 * 3600
    return {
        "assessment": True,
        "true_days": (end - h) / DAY,
        "rul_days": a["rul_days"],
        "low": a["rul_low_days"],
        "high": a["rul_high_days"],
        "reason": a["rul_reason"],
        "channel": a["rul_channel"],
        "method": a["rul_method"],
        "capped": bool(a["rul_capped"]),
    }


def figures(cells: list[dict]) -> dict:
    """The per-checkpoint figures of the module docstring over `cells`."""
    n = len(cells)
    num = [c for c in cells if c["rul_days"] is not None]
    k = len(num)
    errs = [abs(c["rul_days"] - c["true_days"]) for c in num]
    signed = [c["rul_days"] - c["true_days"] for c in num]
    ratios = [c["rul_days"] / c["true_days"] for c in num if c["true_days"] > 0]
    within = [is_within(c["rul_days"], c["true_days"]) for c in num]
    covered = [c["low"] <= c["true_days"] <= c["high"] for c in num if c["low"] is not None]
    return {
        "n": n,
        "coverage": k / n if n else None,
        "mae_days": float(np.mean(errs)) if k else None,
        "median_error_days": float(np.median(signed)) if k else None,
        "median_ratio": float(np.median(ratios)) if ratios else None,
        "within_20pct": float(np.mean(within)) if k else None,
        "within_20pct_all": float(np.sum(within) / n) if n else None,
        "interval_coverage": float(np.mean(covered)) if covered else None,
        "null_reasons": dict(Counter(c["reason"] or "null" for c in cells if c["rul_days"] is None)),
        "channels": dict(
            Counter(f"{c['channel']}/{c['method'] or c['reason']}" for c in num),
        ),
        "capped": sum(c["capped"] for c in num),
    }


def print_table(title: str, table: dict) -> None:
    print(f"\n{title}")
    print(
        f"{'checkpoint':10} {'n':>3} {'coverage':>8} {'MAE_d':>6} {'bias_d':>6} {'ratio':>5} {'within20':>8} "
        f"{'w20_all':>7} {'int80':>5}  nulls / channels"
    )
    for frac in CHECKPOINTS:
        v = table[f"at_{int(frac * 100)}"]
        print(
            f"{int(frac * 100):>9}% {v['n']:>3} {fmt(v['coverage'], '.2f'):>8} {fmt(v['mae_days'], '.2f'):>6} "
            f"{fmt(v['median_error_days'], '+.2f'):>6} {fmt(v['median_ratio'], '.2f'):>5} "
            f"{fmt(v['within_20pct'], '.2f'):>8} {fmt(v['within_20pct_all'], '.2f'):>7} "
            f"{fmt(v['interval_coverage'], '.2f'):>5}  {v['null_reasons']} {v['channels']}"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fe.add_common_args(p)
    args = p.parse_args(argv)
    configs = fe.configs_from_args(args)
    config = fe.describe(configs)
    print("config:", json.dumps(config), flush=True)
    t0 = time.perf_counter()
    fleets = fe.run_fleets(configs, jobs=args.jobs, use_cache=not args.no_cache, keep=args.keep)
    wall = time.perf_counter() - t0

    faults, healthy_recs, thr = [], [], {}
    for fleet in fleets:
        fs, hs = fe.faults_of(fleet)
        faults += fs
        healthy_recs += [fleet["assets"][h] for h in hs]
        for aid, t in threshold_times(fleet).items():
            thr[(fleet["config"]["seed"], aid)] = t
    vib = {
        (f.fleet, f.asset_id)
        for f in faults
        if f.mode in VIBRATION_MODES and thr.get((f.fleet, f.asset_id)) is not None
    }

    result: dict = {"benchmark": "rul", "config": config, "truth": "threshold_time"}
    detail = []
    tables: dict[str, dict] = {"main": {}, "old": {}, "non_vibration": {}, "useful_life": {}}
    for frac in CHECKPOINTS:
        key = f"at_{int(frac * 100)}"
        main_cells, old_cells, other_cells, life_cells = [], [], [], []
        for f in faults:
            c = f.degrading_start + frac * f.degradation_s
            old = cell(f, c, f.failure)
            old_cells.append(old)
            d = {
                "seed": f.fleet,
                "asset_id": f.asset_id,
                "mode": f.mode,
                "family": f.family,
                "checkpoint": frac,
            }
            if (f.fleet, f.asset_id) in vib:
                t_thr = thr[(f.fleet, f.asset_id)]
                new = cell(f, c, t_thr)
                main_cells.append(new)
                life_cells.append(cell(f, f.degrading_start + frac * (t_thr - f.degrading_start), t_thr))
                detail.append({**d, **new, "true_days_failure": old["true_days"]})
            else:
                other_cells.append(old)
                detail.append({**d, **old, "true_days_failure": old["true_days"]})
        tables["main"][key] = figures(main_cells)
        tables["old"][key] = figures(old_cells)
        tables["non_vibration"][key] = figures(other_cells)
        tables["useful_life"][key] = figures(life_cells)
        result[key] = tables["main"][key]
    result["old_definition"] = tables["old"]
    result["non_vibration"] = tables["non_vibration"]
    result["checkpoints_of_useful_life"] = tables["useful_life"]

    print(
        f"\n{'seed':>4} {'asset':8} {'mode':14} {'thr':>4} | "
        + " | ".join(f"{int(f * 100)}%: true  est  [low, high] (reason)" for f in CHECKPOINTS)
    )
    for f in faults:
        cells = [d for d in detail if d["seed"] == f.fleet and d["asset_id"] == f.asset_id]
        t_thr = thr.get((f.fleet, f.asset_id))
        tfrac = "   -" if t_thr is None else f"{(t_thr - f.degrading_start) / f.degradation_s:4.2f}"
        out = []
        for d in cells:
            if not d["assessment"]:
                out.append("      -")
                continue
            out.append(
                f"{d['true_days']:5.2f} {fmt(d['rul_days'], '5.2f'):>5} "
                f"[{fmt(d.get('low'), '.2f')}, {fmt(d.get('high'), '.2f')}] ({d['reason'] or d['channel']})"
            )
        print(f"{f.fleet:>4} {f.asset_id:8} {f.mode:14} {tfrac} | " + " | ".join(out))
    print("(thr: threshold_time as a fraction of the degradation period; true = days to threshold_time for")
    print(" vibration modes, to failure_time for the others)")

    per_mode = {}
    for m in config["modes"]:
        per_mode[m] = {}
        for frac in CHECKPOINTS:
            ds = [d for d in detail if d["mode"] == m and d["checkpoint"] == frac]
            per_mode[m][f"at_{int(frac * 100)}"] = figures(ds) if ds else None
    result["per_mode"] = {
        m: {k: {x: v[x] for x in ("n", "coverage", "within_20pct")} if v else None for k, v in per.items()}
        for m, per in per_mode.items()
    }

    # per degradation-law family (vibration faults against threshold_time, the others against failure_time)
    result["per_family"] = {}
    for fam in sorted({d["family"] or "unknown" for d in detail}):
        result["per_family"][fam] = {}
        for frac in CHECKPOINTS:
            ds = [d for d in detail if (d["family"] or "unknown") == fam and d["checkpoint"] == frac]
            v = figures(ds)
            result["per_family"][fam][f"at_{int(frac * 100)}"] = {
                x: v[x] for x in ("n", "coverage", "within_20pct", "mae_days", "interval_coverage")
            }

    # healthy assets: false prognoses
    n_h = n_num = n_short = 0
    for rec in healthy_recs:
        we = fe.default_window_end(rec)
        for r in rec["assessments"]:
            if we is not None and fe.ts(r[0]) < we:
                continue
            n_h += 1
            if r[4] is not None:
                n_num += 1
                n_short += r[4] <= 7
    result["healthy"] = {
        "assessments": n_h,
        "with_number": n_num / n_h if n_h else None,
        "rul_le_7d": n_short / n_h if n_h else None,
    }

    print_table(
        "vibration faults, truth threshold_time (checkpoints: share of [degrading_start, failure_time)):",
        tables["main"],
    )
    print_table("old definition: every fault against failure_time:", tables["old"])
    print_table(
        "overheating and electrical faults against failure_time (information: no contract threshold):",
        tables["non_vibration"],
    )
    print_table(
        "diagnostic: vibration faults, checkpoints at 25/50/75 % of [degrading_start, threshold_time):",
        tables["useful_life"],
    )
    print("(ratio: median rul_days / true; int80: share of true values inside the 80 % interval)")
    print("\nper mode, within 20 % (coverage) at 25 / 50 / 75 % (vibration modes: threshold_time;")
    print("others: failure_time):")
    for m, v in result["per_mode"].items():
        print(
            f"  {m:14} "
            + "  ".join(
                f"{fmt(v[k]['within_20pct'], '.2f')} ({fmt(v[k]['coverage'], '.2f')})" if v[k] else "-"
                for k in ("at_25", "at_50", "at_75")
            )
        )
    print("\nper degradation-law family, within 20 % (coverage) at 25 / 50 / 75 %:")
    for fam, v in result["per_family"].items():
        print(
            f"  {fam:20} "
            + "  ".join(
                f"{fmt(v[k]['within_20pct'], '.2f')} ({fmt(v[k]['coverage'], '.2f')})"
                for k in ("at_25", "at_50", "at_75")
            )
        )
    hv = result["healthy"]
    print(
        f"\nhealthy assets after baseline: {hv['assessments']} assessments, with a RUL number "
        f"{fmt(hv['with_number'], '.3f')}, RUL <= 7 d {fmt(hv['rul_le_7d'], '.3f')}"
    )
    goals = {}
    print("\ngoals (within +-20 % >= 70 % at 50 % and 75 %, vibration faults against threshold_time):")
    for key in ("at_50", "at_75"):
        for sub in ("within_20pct", "within_20pct_all"):
            v = result[key][sub]
            ok = v is not None and v >= GOAL_WITHIN
            goals[f"{key}.{sub}"] = {"value": v, "goal": f">= {GOAL_WITHIN}", "met": ok}
            print(f"  {key}.{sub:18} {fmt(v):>6} {'met' if ok else 'MISSED'}")
    result["goals"] = goals
    result["detail"] = detail
    result["wall_s"] = wall
    cached = sum(bool(f.get("cached")) for f in fleets)
    print(f"\nwall {wall:.0f} s ({len(fleets) - cached} fleets simulated, {cached} cached)")
    print(json.dumps(result, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
