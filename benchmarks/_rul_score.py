"""Scoring of RUL estimates against the twin's threshold time, shared by `rul.py` and `_rul_offline.py`.

A *cell* is one fault at one checkpoint: {"family", "checkpoint", "true_days", "rul_days", "low",
"high", "reason", ...}.  Checkpoints are at 25 / 50 / 75 % of the way from `degrading_start` to
`threshold_time` (the time the fault's noise-free design RMS reaches the zone C/D boundary, the
platform's failure threshold, CONTRACTS §11), so the true remaining life is always positive.

Leave-one-family-out (`held_out`): the one thing the evaluation fits, the 80 % interval's scale, is
fitted per held-out family on the other families' cells only (split-conformal: the 80 % quantile of
each cell's *needed scale*, the factor on the interval's log-widths around the estimate that just
holds the truth), and the held-out family's figures use that scale.  The point estimates are the
estimator's own (nothing in them is fitted by the benchmark).
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

CHECKPOINTS = (0.25, 0.50, 0.75)
TARGET_COVERAGE = 0.80


def key(frac: float) -> str:
    return f"at_{round(frac * 100)}"


def is_within(est: float, true: float) -> bool:
    return est == 0.0 if true <= 0 else abs(est - true) <= 0.2 * true


def needed_scale(c: dict) -> float:
    """The smallest factor s on the interval's log-widths (low' = rul (low / rul)^s, high' likewise)
    with which it holds the true value; inf when no factor does (an estimate of 0, a width of 0)."""
    rul, true = c["rul_days"], c["true_days"]
    if true == rul:
        return 0.0
    if rul <= 0 or true <= 0:
        return math.inf
    if true > rul:
        w = math.log(c["high"] / rul) if c["high"] and c["high"] > rul else 0.0
        return math.log(true / rul) / w if w > 0 else math.inf
    w = math.log(rul / c["low"]) if c["low"] and 0 < c["low"] < rul else (math.inf if c["low"] == 0 else 0.0)
    if w == math.inf:
        return 0.0  # an interval down to 0 holds every smaller value
    return math.log(rul / true) / w if w > 0 else math.inf


def fit_scale(cells: list[dict], level: float = TARGET_COVERAGE) -> float | None:
    """Split-conformal scale: the ceil((n + 1) level)-th smallest needed scale of the numbered cells."""
    s = sorted(needed_scale(c) for c in cells if c["rul_days"] is not None and c["low"] is not None)
    if not s:
        return None
    k = min(len(s), math.ceil((len(s) + 1) * level)) - 1
    return s[k]


def rescale(c: dict, scale: float) -> dict:
    """The cell with its interval's log-widths multiplied by `scale`."""
    if c["rul_days"] is None or c["low"] is None or not math.isfinite(scale):
        return c
    rul = c["rul_days"]
    out = dict(c)
    if rul > 0:
        out["low"] = rul * (c["low"] / rul) ** scale if c["low"] > 0 else 0.0
        out["high"] = rul * (c["high"] / rul) ** scale
    return out


def figures(cells: list[dict]) -> dict:
    """Figures of one checkpoint's cells (docs/benchmarks.md, rul.py)."""
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
        "no_number": (n - k) / n if n else None,
        "mae_days": float(np.mean(errs)) if k else None,
        "median_error_days": float(np.median(signed)) if k else None,
        "median_ratio": float(np.median(ratios)) if ratios else None,
        "within_20pct": float(np.mean(within)) if k else None,
        "within_20pct_all": float(np.sum(within) / n) if n else None,
        "interval_coverage": float(np.mean(covered)) if covered else None,
        "null_reasons": dict(Counter(c.get("reason") or "null" for c in cells if c["rul_days"] is None)),
        "methods": dict(Counter(str(c.get("method") or c.get("reason")) for c in num)),
    }


def table(cells: list[dict]) -> dict:
    """{at_25: figures, at_50: ..., at_75: ...} of `cells`."""
    return {key(f): figures([c for c in cells if c["checkpoint"] == f]) for f in CHECKPOINTS}


def leave_one_family_out(cells: list[dict]) -> dict:
    """Per family: its figures with the interval scale fitted on the other families; `held_out`: the
    figures of all families' held-out cells together; `as_emitted`: the estimator's own intervals."""
    families = sorted({c["family"] for c in cells})
    per_family, held = {}, []
    for fam in families:
        cal = [c for c in cells if c["family"] != fam]
        scale = fit_scale(cal) if cal else None
        own = [c for c in cells if c["family"] == fam]
        test = [rescale(c, scale) for c in own] if scale is not None else own
        held += test
        per_family[fam] = {"interval_scale": scale, **table(test)}
    return {
        "families": families,
        "per_family": per_family,
        "held_out": table(held),
        "as_emitted": table(cells),
        "held_out_cells": held,
    }


def print_tables(title: str, tables: dict[str, dict]) -> None:
    """One line per (row, checkpoint): n, coverage, MAE, bias, ratio, within 20 %, interval coverage."""

    def f(x, spec=".2f") -> str:
        return "-" if x is None else format(x, spec)

    print(f"\n{title}")
    print(
        f"{'':22} {'cp':>3} {'n':>4} {'numb':>5} {'MAE_d':>6} {'bias_d':>6} {'ratio':>5} {'w20':>5} {'w20all':>6} {'int80':>5}"
    )
    for name, t in tables.items():
        for fr in CHECKPOINTS:
            v = t[key(fr)]
            print(
                f"{name:22} {int(fr * 100):>3} {v['n']:>4} {f(v['coverage']):>5} {f(v['mae_days']):>6} "
                f"{f(v['median_error_days'], '+.2f'):>6} {f(v['median_ratio']):>5} {f(v['within_20pct']):>5} "
                f"{f(v['within_20pct_all']):>6} {f(v['interval_coverage']):>5}"
            )
