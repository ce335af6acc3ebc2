"""Rolling-origin backtest of the hourly load forecast against seasonal-naive and persistence.

    python benchmarks/forecast.py [--series taylor|generator|all] [--weeks 8] [--refit-days 7]

Series:

* ``taylor`` (real): half-hourly electricity demand of England and Wales, Monday 5 June to
  Sunday 27 August 2000 (MW), from J. W. Taylor (2003), J. Oper. Res. Soc. 54, 799-805; as
  bundled by the R package ``forecast`` (``taylor``) and the PyPI package ``pmdarima``
  (``pmdarima.datasets.load_taylor``, pinned in requirements.txt). Hourly = mean of the two
  half-hours; times in Europe/London.
* ``--csv PATH`` (any other series): ``--time-column`` (with zone, or naive in ``--tz``) and
  ``--value-column``, resampled to hourly means.

Procedure: one origin a day (the last hour before local midnight) over the last ``--weeks``
weeks; at each origin the model sees only the hours up to it (it is refitted every
``--refit-days`` origins on the hours before that origin, so training never sees the
future); forecasts for the next 24 h (day-ahead) and 168 h (week-ahead, scored where the
series has the hours). References at the same origins: seasonal-naive (same hour last week)
and persistence (same hour yesterday, repeated daily for the week). Metrics: MAE, RMSE, MAPE,
MASE (MAE / in-sample MAE of seasonal-naive before the first origin), and the share of actual
hours inside the 80 % interval. The last line is one JSON object; its top-level ``day_ahead``
is that of the real series.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analytics.forecast import model as fm  # noqa: E402


def taylor_series() -> tuple[pd.DataFrame, str]:
    from pmdarima.datasets import load_taylor

    values = load_taylor()
    idx = pd.date_range("2000-06-05 00:00", periods=len(values), freq="30min", tz="Europe/London")
    s = pd.Series(values, index=idx.tz_convert("UTC")).resample("h").mean()
    return fm.hourly_frame(s), "Europe/London"


def csv_series(path: str, time_column: str, value_column: str, tz: str) -> tuple[pd.DataFrame, str]:
    """Any load series: a CSV with a time column (with zone, or naive in ``tz``) and a value."""
    raw = pd.read_csv(path, usecols=[time_column, value_column])
    t = pd.to_datetime(raw[time_column])
    t = t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT") if t.dt.tz is None else t
    s = pd.Series(raw[value_column].to_numpy(dtype=float), index=pd.DatetimeIndex(t)).dropna()
    s = s[s.index.notna()].tz_convert("UTC").resample("h").mean()
    return fm.hourly_frame(s), tz


def backtest(frame: pd.DataFrame, tz: str, weeks: int, refit_days: int, max_iter: int) -> dict:
    config = fm.ForecastConfig(timezone=tz, horizon_h=168, max_iter=max_iter)
    y = frame["load_kw"].to_numpy(dtype=float)
    local = frame.index.tz_convert(tz)
    ends = np.flatnonzero(local.hour == 23)
    ends = ends[(ends >= len(frame) - weeks * 7 * 24 - 1) & (ends < len(frame) - 24)]
    first = ends[0]
    hist = y[: first + 1]
    scale = float(np.nanmean(np.abs(hist[168:] - hist[:-168])))
    acc: dict[str, dict[str, list]] = {
        h: {k: [] for k in ("actual", "model", "low", "high", "snaive", "persist")}
        for h in ("day_ahead", "week_ahead")
    }
    fitted = None
    fit_s = 0.0
    for i, e in enumerate(ends):
        past = frame.iloc[: e + 1]
        if fitted is None or i % refit_days == 0:
            t0 = time.perf_counter()
            fitted = fm.fit(past, config)
            fit_s += time.perf_counter() - t0
        fc = fm.predict(fitted, past, 168)
        sn = fm.seasonal_naive(past, 168, 168)
        pe = fm.seasonal_naive(past, 168, 24)
        for name, hzn in (("day_ahead", 24), ("week_ahead", 168)):
            k = min(hzn, len(y) - e - 1)
            if name == "week_ahead" and k < hzn:
                continue
            a = acc[name]
            a["actual"].append(y[e + 1 : e + 1 + k])
            a["model"].append(fc.median_kw[:k])
            a["low"].append(fc.low_kw[:k])
            a["high"].append(fc.high_kw[:k])
            a["snaive"].append(sn[:k])
            a["persist"].append(pe[:k])
    out: dict = {"origins": len(ends), "first_origin": str(frame.index[first]), "fit_s": round(fit_s, 1)}
    for name, a in acc.items():
        if not a["actual"]:
            continue
        cat = {k: np.concatenate(v) for k, v in a.items()}
        m = fm.metrics(cat["actual"], cat["model"], cat["low"], cat["high"], scale)
        sn = fm.metrics(cat["actual"], cat["snaive"], None, None, scale)
        pe = fm.metrics(cat["actual"], cat["persist"], None, None, scale)
        out[name] = {
            **{k: round(v, 4) for k, v in m.items()},
            "mae_vs_seasonal_naive": round(m["mae"] / sn["mae"], 4),
            "mae_vs_persistence": round(m["mae"] / pe["mae"], 4),
            "seasonal_naive": {k: round(v, 4) for k, v in sn.items()},
            "persistence": {k: round(v, 4) for k, v in pe.items()},
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", default="taylor", choices=["taylor", "csv"])
    ap.add_argument("--csv")
    ap.add_argument("--time-column", default="time")
    ap.add_argument("--value-column", default="load")
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--refit-days", type=int, default=7)
    ap.add_argument("--max-iter", type=int, default=150)
    args = ap.parse_args()
    results = {}
    names = [args.series]
    for name in names:
        if name == "taylor":
            frame, tz = taylor_series()
        else:
            frame, tz = csv_series(args.csv, args.time_column, args.value_column, args.tz)
        t0 = time.perf_counter()
        results[name] = backtest(frame, tz, args.weeks, args.refit_days, args.max_iter)
        results[name]["wall_s"] = round(time.perf_counter() - t0, 1)
        print(name, json.dumps(results[name]), file=sys.stderr)
    head = results[names[0]]
    print(json.dumps({"series": names[0], **head}))


if __name__ == "__main__":
    main()
