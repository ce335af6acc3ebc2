"""RUL benchmark: leave-one-family-out accuracy of the stored remaining-useful-life estimates.

The estimator must hold on degradation shapes it was not tuned on, so the fleets are grouped by the
twin's degradation-law family (docs/generator.md, "Degradation laws": exponential, power law,
logistic, linear-then-accelerating, step then ramp, intermittent bursts). Per family, fleets whose
every fault follows that family (generator `degradation.families: [F]`), one per seed: 4 faulty
assets, one per vibration failure mode (bearing_outer, bearing_inner, imbalance, misalignment), run
to failure, + healthy assets, 60 s interval, through the whole platform (benchmarks/_fleet_eval.py;
results cached on disk).

Truth (CONTRACTS §11): the platform's RUL is the time until its failure threshold, the zone C/D
boundary of ISO 10816-3, is crossed; the generator's `threshold_time` label is when the fault's
noise-free design RMS reaches it. Checkpoints are 25 / 50 / 75 % of the way from `degrading_start`
to `threshold_time`; at each, the assessment with the newest `as_of` <= the checkpoint is taken and
its RUL (days from h = its `evaluated_at` floored to the hour, CONTRACTS §11.1) is judged against
threshold_time - h.

Leave-one-family-out (benchmarks/_rul_score.py): the one quantity the evaluation fits, the scale of
the 80 % interval (split-conformal), is fitted on the other families' faults and applied to the held-out
family's; the point estimates are the platform's own, and its constants were developed on other seeds
(benchmarks/_rul_offline.py, seeds 7+). Per family and for all held-out families together (`held_out`),
at each checkpoint: `within_20pct` (share of the numbered estimates within +-20 % of the truth),
`within_20pct_all` (a checkpoint with no number is a miss), `mae_days`, `interval_coverage` (the 80 %
interval holds the truth), `no_number` (share of checkpoints with no number). `as_emitted`: the same
with the platform's own intervals. Healthy assets: the share of their assessments after the baseline
window that carry a RUL number (goal: none).

    python benchmarks/rul.py [--quick] [--seeds 1 2] [--families F ...] [--jobs 2] [--no-cache]

The last output line is one JSON object; `held_out.at_50.within_20pct` and the like are nested keys.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _fleet_eval as fe  # noqa: E402
import _rul_score as sc  # noqa: E402

DAY = 86400.0
VIBRATION_MODES = ("bearing_outer", "bearing_inner", "imbalance", "misalignment")
GOAL_WITHIN = 0.6  # held-out, at 50 % and 75 %
GOAL_INTERVAL = (0.70, 0.90)  # held-out, at each checkpoint


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


def cell(f: fe.Fault, frac: float, t_thr: float) -> dict:
    """The assessment at the checkpoint `frac` of [degrading_start, threshold_time) judged against it."""
    c = f.degrading_start + frac * (t_thr - f.degrading_start)
    base = {"seed": f.fleet, "asset_id": f.asset_id, "mode": f.mode, "family": f.family, "checkpoint": frac}
    a = assessment_at(f.record, c)
    if a is None:
        return {
            **base,
            "true_days": None,
            "rul_days": None,
            "low": None,
            "high": None,
            "reason": "no_assessment",
        }
    h = fe.ts(a["evaluated_at"]) // 3600 * 3600
    return {
        **base,
        "true_days": (t_thr - h) / DAY,
        "rul_days": a["rul_days"],
        "low": a["rul_low_days"],
        "high": a["rul_high_days"],
        "reason": a["rul_reason"],
        "channel": a["rul_channel"],
        "method": a["rul_method"],
        "capped": bool(a["rul_capped"]),
    }


def family_configs(args) -> list[fe.FleetConfig]:
    """One fleet per (family, seed): vibration modes only, every fault drawn from that family."""
    base = fe.configs_from_args(args)
    families = args.families or list(fe.FAMILIES)
    if args.quick and args.healthy is None:
        base = [dataclasses.replace(c, n_healthy=1) for c in base]
    return [dataclasses.replace(c, modes=VIBRATION_MODES, families=(fam,)) for fam in families for c in base]


def healthy_figures(recs: list[dict]) -> dict:
    n_h = n_num = n_short = 0
    for rec in recs:
        we = fe.default_window_end(rec)
        for r in rec["assessments"]:
            if we is not None and fe.ts(r[0]) < we:
                continue
            n_h += 1
            if r[4] is not None:
                n_num += 1
                n_short += r[4] <= 7
    return {
        "assets": len(recs),
        "assessments": n_h,
        "with_number": n_num / n_h if n_h else None,
        "rul_le_7d": n_short / n_h if n_h else None,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    fe.add_common_args(p)
    args = p.parse_args(argv)
    configs = family_configs(args)
    config = fe.describe(configs)
    config["families"] = sorted({c.families[0] for c in configs})
    config["seeds"] = sorted({c.seed for c in configs})
    print("config:", json.dumps(config), flush=True)
    t0 = time.perf_counter()
    fleets = fe.run_fleets(configs, jobs=args.jobs, use_cache=not args.no_cache, keep=args.keep)
    wall = time.perf_counter() - t0

    cells, healthy_recs, skipped = [], [], []
    for fleet in fleets:
        faults, hs = fe.faults_of(fleet)
        healthy_recs += [fleet["assets"][h] for h in hs]
        thr = threshold_times(fleet)
        for f in faults:
            t_thr = thr.get(f.asset_id)
            if t_thr is None or f.mode not in VIBRATION_MODES:
                skipped.append((f.fleet, f.asset_id, f.mode))
                continue
            cells += [cell(f, frac, t_thr) for frac in sc.CHECKPOINTS]
    cells = [c for c in cells if c["true_days"] is not None]
    lofo = sc.leave_one_family_out(cells)

    print(
        f"\n{'seed':>4} {'asset':8} {'mode':14} {'family':20} | "
        + " | ".join(f"{int(f * 100)}%: true est [low, high]" for f in sc.CHECKPOINTS)
    )
    held = {(c["seed"], c["asset_id"], c["family"], c["checkpoint"]): c for c in lofo["held_out_cells"]}
    for c in cells:
        if c["checkpoint"] != sc.CHECKPOINTS[0]:
            continue
        row = []
        for frac in sc.CHECKPOINTS:
            d = held.get((c["seed"], c["asset_id"], c["family"], frac))
            if d is None:
                row.append("-")
                continue
            row.append(
                f"{d['true_days']:5.2f} {fmt(d['rul_days'], '5.2f')} [{fmt(d['low'], '.2f')}, {fmt(d['high'], '.2f')}]"
                + (f" ({d['reason']})" if d["reason"] else "")
            )
        print(f"{c['seed']:>4} {c['asset_id']:8} {c['mode']:14} {c['family']:20} | " + " | ".join(row))
    print("(true: days to threshold_time; intervals as held out: scaled with the other families' factor)")

    sc.print_tables(
        "per family (held out; the interval scale fitted on the other families):", lofo["per_family"]
    )
    sc.print_tables("all families:", {"held_out": lofo["held_out"], "as_emitted": lofo["as_emitted"]})
    print(
        "\ninterval scale per held-out family: "
        + ", ".join(f"{k} {fmt(v['interval_scale'], '.2f')}" for k, v in lofo["per_family"].items())
    )
    hv = healthy_figures(healthy_recs)
    print(
        f"\nhealthy assets: {hv['assets']} assets, {hv['assessments']} assessments after the baseline window, "
        f"with a RUL number {fmt(hv['with_number'], '.4f')}, RUL <= 7 d {fmt(hv['rul_le_7d'], '.4f')}"
    )

    goals = {}
    ho = lofo["held_out"]
    print(
        f"\ngoals (held out, all families): within +-20 % >= {GOAL_WITHIN} at 50 % and 75 %; 80 % interval "
        f"coverage in [{GOAL_INTERVAL[0]}, {GOAL_INTERVAL[1]}] at each checkpoint; healthy: no number"
    )
    for k in ("at_50", "at_75"):
        v = ho[k]["within_20pct"]
        goals[f"held_out.{k}.within_20pct"] = {
            "value": v,
            "goal": f">= {GOAL_WITHIN}",
            "met": v is not None and v >= GOAL_WITHIN,
        }
    for k in ("at_25", "at_50", "at_75"):
        v = ho[k]["interval_coverage"]
        goals[f"held_out.{k}.interval_coverage"] = {
            "value": v,
            "goal": f"{GOAL_INTERVAL[0]}-{GOAL_INTERVAL[1]}",
            "met": v is not None and GOAL_INTERVAL[0] <= v <= GOAL_INTERVAL[1],
        }
    goals["healthy.with_number"] = {"value": hv["with_number"], "goal": "0", "met": hv["with_number"] == 0}
    for name, g in goals.items():
        print(f"  {name:34} {fmt(g['value']):>6} {'met' if g['met'] else 'MISSED'}")
    cached = sum(bool(f.get("cached")) for f in fleets)
    print(f"\nwall {wall:.0f} s ({len(fleets) - cached} fleets simulated, {cached} cached)")
    result = {
        "benchmark": "rul",
        "config": config,
        "truth": "threshold_time",
        "checkpoints": "fractions of [degrading_start, threshold_time)",
        "held_out": ho,
        "as_emitted": lofo["as_emitted"],
        "per_family": lofo["per_family"],
        "healthy": hv,
        "goals": goals,
        "skipped_faults": skipped,
        "detail": cells,
        "wall_s": wall,
    }
    print(json.dumps(result, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
