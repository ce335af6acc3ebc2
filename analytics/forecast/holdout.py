"""The backtest stored with each forecast version (pure math, no Django; CONTRACTS §19.1).

A version's figures must say how well *this* scope is forecast, not how well the method does
elsewhere: models fitted on the history before the last ``BACKTEST_DAYS`` days forecast each of
those days from its own origin (the day before's last hour, day-ahead, 24 h), and are scored
against what was measured, beside seasonal-naive (the same hour a week earlier) and persistence
(the same hour a day earlier) on the same hours. Nothing after an origin is read to forecast it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import model as fm

BACKTEST_DAYS = 14
DAY_H = 24


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if np.isfinite(a) and np.isfinite(b) and b > 0 else None


def _mae(actual: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(actual) & np.isfinite(pred)
    return float(np.mean(np.abs(actual[ok] - pred[ok]))) if ok.any() else float("nan")


def day_ahead_backtest(frame: pd.DataFrame, config: fm.ForecastConfig, days: int = BACKTEST_DAYS) -> dict:
    """Day-ahead figures over the last ``days`` days of ``frame`` (the whole frame is the past).

    Returns ``{"days", "hours", "start", "end", "mae_kw", "seasonal_naive_mae_kw",
    "persistence_mae_kw", "mae_vs_seasonal_naive", "mae_vs_persistence", "interval_coverage"}``
    scored on the hours where the model, both references and the measurement all have a value;
    or ``{"refused": rule, "reason": sentence}`` when the history before those days is itself too
    short to fit (``fm.ForecastRefused``) or no hour could be scored.
    """
    n = len(frame)
    cut = n - days * DAY_H
    if cut <= 0:
        return {"refused": "history_too_short", "reason": f"fewer than {days} days of history to hold back"}
    try:
        fitted = fm.fit(frame.iloc[:cut], config)
    except fm.ForecastRefused as exc:
        return {"refused": exc.rule, "reason": f"the history before the last {days} days: {exc.reason}"}
    actual, med, low, high, snaive, persist = ([] for _ in range(6))
    for origin in range(cut - 1, n - DAY_H, DAY_H):
        past = frame.iloc[: origin + 1]
        try:
            fc = fm.predict(fitted, past, horizon_h=DAY_H)
        except fm.ForecastRefused:
            continue
        actual.append(frame["load_kw"].to_numpy(dtype=float)[origin + 1 : origin + 1 + DAY_H])
        med.append(fc.median_kw)
        low.append(fc.low_kw)
        high.append(fc.high_kw)
        snaive.append(fm.seasonal_naive(past, DAY_H, fm.WEEK_H))
        persist.append(fm.seasonal_naive(past, DAY_H, DAY_H))
    if not actual:
        return {"refused": "history_too_sparse", "reason": "no day of the held-back days could be forecast"}
    a, m, lo, hi, s, p = (np.concatenate(x) for x in (actual, med, low, high, snaive, persist))
    ok = np.isfinite(a) & np.isfinite(m) & np.isfinite(s) & np.isfinite(p)
    if not ok.any():
        return {"refused": "history_too_sparse", "reason": "no measured hour in the held-back days to score"}
    a, m, lo, hi, s, p = (x[ok] for x in (a, m, lo, hi, s, p))
    mae, mae_s, mae_p = _mae(a, m), _mae(a, s), _mae(a, p)
    times = frame.index
    return {
        "days": len(actual),
        "hours": int(ok.sum()),
        "start": times[cut].isoformat(),
        "end": (times[-1] + fm.HOUR).isoformat(),
        "mae_kw": mae,
        "seasonal_naive_mae_kw": mae_s,
        "persistence_mae_kw": mae_p,
        "mae_vs_seasonal_naive": _ratio(mae, mae_s),
        "mae_vs_persistence": _ratio(mae, mae_p),
        "interval_coverage": float(np.mean((a >= lo) & (a <= hi))),
    }
