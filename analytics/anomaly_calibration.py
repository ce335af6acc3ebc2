"""Calibration of the anomaly terms to a score in [0, 1) (docs/CONTRACTS.md §8.2), no Django.

Each term is mapped so that its training median is 0 and its training 99.9th percentile is 1,
``a = max(0, (x - q50) / (q999 - q50))``, and ``a / (1 + a)`` is the score: 0.5 is where a term
reaches its healthy 99.9th percentile.  Scores only: no thresholds, no decisions.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def calibrate(raw: np.ndarray, q50: float, q99: float) -> np.ndarray:
    """One term: ``a = max(0, (x - q50) / (q999 - q50))`` (``q99`` holds the 99.9th
    percentile), mapped to ``a / (1 + a)`` in [0, 1) - the score of that term alone."""
    return _to_unit(_excess(raw, q50, q99))


def _excess(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``max(0, (x - lo) / max(hi - lo, 1e-6))``; NaN stays NaN."""
    span = max(hi - lo, 1e-6)
    with np.errstate(invalid="ignore"):
        return np.maximum(0.0, (np.asarray(x, dtype=np.float64) - lo) / span)


def _to_unit(a: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        out = a / (1.0 + a)
    return np.where(np.isinf(a), 1.0 - np.finfo(np.float64).epsneg, out)


def combine_calibrated(
    raw: np.ndarray,
    distance: np.ndarray,
    q50: float,
    q99: float,
    d50: float,
    d999: float,
    *,
    margin: float = 1.0,
) -> np.ndarray:
    """``anomaly_score = a / (1 + a)`` with ``a = max(a_forest, a_distance)`` (§8.2); each term
    is its excess over the training median in units of ``margin`` x (p99.9 - median)."""
    a_f = _excess(raw, q50, q50 + margin * (q99 - q50))
    a_d = _excess(distance, d50, d50 + margin * (d999 - d50))
    return _to_unit(np.fmax(a_f, a_d))


def false_anomaly_rate(scores: Iterable[float] | np.ndarray | pd.Series, threshold: float = 0.5) -> float:
    """Share of (finite) scores >= 0.5, i.e. at or above the healthy 99.9th percentile."""
    s = np.asarray(scores, dtype=np.float64)
    s = s[np.isfinite(s)]
    return float(np.mean(s >= threshold)) if s.size else float("nan")
