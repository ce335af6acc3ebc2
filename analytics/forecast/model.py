"""Hourly load forecast: quantile gradient boosting that corrects a seasonal baseline, with a
conformal widening of the 80 % interval learnt on a held-back window.

Pure math (no Django): the input is an hourly series of mean kW labelled by the UTC start of
the hour (NaN = hour not measured), the output is the next ``horizon_h`` hours from an origin.
Why each choice (docs/forecast.md):

* **Baseline, then correction.** The target is ``y / base``: ``base`` is the same hour a week
  before moved by the last day's change against the same day a week earlier (``baseline``).
  Trees only learn how far the hour will be from that reference, so where they know nothing
  the forecast stays the (strong) seasonal reference instead of a piecewise-constant guess.
* **Level normalisation.** Every load feature is a ratio (to ``base`` or to the mean load of
  the 168 h before the origin), so a plant that doubled its load, or a series never seen
  before, is forecast at its own level.
* **Direct multi-horizon.** One sample per (origin, lead hour); the lead hour ``h`` is a feature
  and lag features use only values at or before the origin (``y(t - 24 ceil(h/24))``,
  ``y(t - 168)``...), so training never sees the future of its own origin.
* **Calendar with holidays of the lags.** Whether the target day, and the days the daily and
  weekly lags come from, are public holidays: a holiday a week ago is not copied.
* **Quantiles then calibration.** HistGradientBoostingRegressor with ``loss="quantile"`` gives
  the median and the 10 % / 90 % quantiles; on the last ``calibration_days`` of origins of the
  training data (models fitted without them) the conformity score ``max(q10 - y, y - q90)``
  divided by the raw width ``q90 - q10`` is collected and its 80 % empirical quantile widens
  (or narrows) the final interval by that many widths (normalised conformalised quantile
  regression), and the median's median relative error there is removed as a bias.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor

HOUR = pd.Timedelta(hours=1)
WEEK_H = 168
QUANTILES = (0.1, 0.5, 0.9)
INTERVAL = 0.8
# Refused below this: two weeks of lags (t - 336) plus two weeks of origins to learn from.
MIN_HISTORY_H = 28 * 24
MIN_COVERED_SHARE = 0.6
# Bounds of the last day's change against a week earlier applied to the baseline.
SHIFT_MIN, SHIFT_MAX = 0.8, 1.25
# Smallest raw interval width (ratio units) the conformal widening is scaled by.
MIN_WIDTH = 1e-3
RATIO_DECIMALS = 9
_CALENDAR_FEATURES = {
    "lead_h",
    "hour",
    "dow",
    "weekend",
    "holiday",
    "holiday_lag_day",
    "holiday_lag_week",
    "level_log",
}


class ForecastRefused(ValueError):
    """History too short or too sparse: ``reason`` says which, ``rule`` is machine-readable."""

    def __init__(self, rule: str, reason: str) -> None:
        super().__init__(reason)
        self.rule = rule
        self.reason = reason


@dataclass(frozen=True)
class ForecastConfig:
    horizon_h: int = WEEK_H
    timezone: str = "UTC"
    holidays: Collection[date] = ()
    training_days: int = 365
    calibration_days: int = 28
    origin_every_h: int = 6
    max_iter: int = 150
    learning_rate: float = 0.08
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 40
    random_state: int = 0


@dataclass
class Forecast:
    times: pd.DatetimeIndex  # UTC hour starts
    median_kw: np.ndarray
    low_kw: np.ndarray
    high_kw: np.ndarray


@dataclass
class FittedForecaster:
    config: ForecastConfig
    models: dict[float, HistGradientBoostingRegressor]
    widen: float  # conformal widening, in widths of the raw interval (may be negative)
    bias: float  # median relative error of the median on the calibration window
    feature_names: list[str]
    use_temperature: bool
    training_start: pd.Timestamp
    training_end: pd.Timestamp  # exclusive: the origin after the last training hour
    samples: int
    calibration: dict[str, float] = field(default_factory=dict)


def hourly_frame(load_kw: pd.Series, temperature_c: pd.Series | None = None) -> pd.DataFrame:
    """A regular hourly UTC frame ``load_kw`` (+ ``temperature_c``) from possibly gappy input."""
    if load_kw.index.tz is None:
        raise ValueError("load_kw index must be timezone-aware (UTC)")
    idx = load_kw.index.tz_convert("UTC").floor("h")
    load = pd.Series(load_kw.to_numpy(dtype=float), index=idx).groupby(level=0).mean()
    full = pd.date_range(load.index.min(), load.index.max(), freq="h", tz="UTC")
    frame = pd.DataFrame({"load_kw": load.reindex(full)})
    if temperature_c is not None and len(temperature_c.dropna()):
        t_idx = temperature_c.index.tz_convert("UTC").floor("h")
        temp = pd.Series(temperature_c.to_numpy(dtype=float), index=t_idx).groupby(level=0).mean()
        frame["temperature_c"] = temp.reindex(full)
    return frame


def check_history(frame: pd.DataFrame) -> None:
    """Refuse (``ForecastRefused``) a history too short or too sparse to learn weekly lags."""
    hours = len(frame)
    covered = int(frame["load_kw"].notna().sum())
    if hours < MIN_HISTORY_H:
        raise ForecastRefused(
            "history_too_short",
            f"{hours} h of history; at least {MIN_HISTORY_H} h (28 days) of hourly load are needed",
        )
    recent = frame["load_kw"].iloc[-MIN_HISTORY_H:]
    share = float(recent.notna().mean())
    if share < MIN_COVERED_SHARE or covered < MIN_HISTORY_H * MIN_COVERED_SHARE:
        raise ForecastRefused(
            "history_too_sparse",
            f"only {share:.0%} of the last 28 days have load; at least {MIN_COVERED_SHARE:.0%} are needed",
        )


def _calendar(times: pd.DatetimeIndex, config: ForecastConfig) -> dict[str, np.ndarray]:
    local = times.tz_convert(ZoneInfo(config.timezone))
    dates = local.date
    hol = set(config.holidays)
    holiday = np.fromiter((d in hol for d in dates), dtype=float, count=len(dates))
    dow = local.day_of_week.to_numpy()
    return {
        "hour": local.hour.to_numpy().astype(float),
        "dow": dow.astype(float),
        "weekend": (dow >= 5).astype(float),
        "holiday": holiday,
    }


class _Series:
    """Positional reads of an hourly series: a value, or the mean of a trailing window (NaN
    where nothing is known; positions before the start or after the end read as missing)."""

    def __init__(self, values: np.ndarray) -> None:
        self.values = values
        self.n = len(values)
        self.csum = np.concatenate([[0.0], np.cumsum(np.nan_to_num(values))])
        self.ccount = np.concatenate([[0], np.cumsum(~np.isnan(values))])

    def at(self, pos: np.ndarray) -> np.ndarray:
        ok = (pos >= 0) & (pos < self.n)
        out = np.full(pos.shape, np.nan)
        out[ok] = self.values[pos[ok]]
        return out

    def window_mean(self, end: np.ndarray, width: int) -> np.ndarray:
        """Mean of the known values at positions ``end - width + 1 .. end``."""
        end_c = np.clip(end, -1, self.n - 1)
        start = np.clip(end - width + 1, 0, self.n)
        s = self.csum[end_c + 1] - self.csum[np.minimum(start, end_c + 1)]
        c = self.ccount[end_c + 1] - self.ccount[np.minimum(start, end_c + 1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((c > 0) & (end >= 0), s / np.maximum(c, 1), np.nan)


def holiday_flags(times: pd.DatetimeIndex, back_h: np.ndarray, config: ForecastConfig) -> np.ndarray:
    """1.0 where the site-local day of ``times - back_h`` is a public holiday."""
    if not config.holidays:
        return np.zeros(len(times))
    local = (times - pd.to_timedelta(back_h, unit="h")).tz_convert(ZoneInfo(config.timezone))
    days = local.normalize().tz_localize(None).to_numpy().astype("datetime64[D]")
    hol = np.array(sorted(config.holidays), dtype="datetime64[D]")
    return np.isin(days, hol).astype(float)


def baseline(
    lag_week: np.ndarray,
    same_hour_weeks: np.ndarray,
    lag_day: np.ndarray,
    shift: np.ndarray,
    level: np.ndarray,
) -> np.ndarray:
    """The reference the trees correct: the same hour a week before (else the mean of the same
    hour 1-3 weeks before, else the latest same hour) times ``shift``, the last 24 h's mean over
    the same 24 h a week earlier clipped to [0.8, 1.25]; the level where none is known or the
    reference is below 5 % of the level."""
    base = np.where(np.isfinite(lag_week), lag_week, same_hour_weeks)
    base = np.where(np.isfinite(base), base, lag_day) * shift
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(base) & (base > 0.05 * level), base, level)


def _design(
    y: np.ndarray,
    temp: np.ndarray | None,
    times: pd.DatetimeIndex,
    origins: np.ndarray,
    horizon_h: int,
    config: ForecastConfig,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Samples for every origin position ``o`` (the last known hour) and lead 1..horizon_h.

    Returns (features, target ratio ``y / base``, base, target position); positions beyond ``y``
    have a NaN target. Every lag reads ``y`` at a position <= its origin.
    """
    ys = _Series(y)
    lead = np.arange(1, horizon_h + 1)
    o = np.repeat(origins, horizon_h)
    h = np.tile(lead, len(origins))
    t = o + h

    def per_origin(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, horizon_h)

    level = per_origin(ys.window_mean(origins, WEEK_H))
    with np.errstate(invalid="ignore"):
        level = np.where(level > 0, level, np.nan)
    days_back = np.ceil(h / 24).astype(int) * 24
    weeks_back = np.ceil(h / WEEK_H).astype(int) * WEEK_H
    lag_day = ys.at(t - days_back)
    lag_week = ys.at(t - weeks_back)
    lag_2week = ys.at(t - weeks_back - WEEK_H)
    lag_3week = ys.at(t - weeks_back - 2 * WEEK_H)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: NaN is the answer
        same_hour_weeks = np.nanmean(np.vstack([lag_week, lag_2week, lag_3week]), axis=0)
        same_hour_days = np.nanmean(np.vstack([ys.at(t - days_back - 24 * k) for k in range(7)]), axis=0)
    roll24_o = ys.window_mean(origins, 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        shift_o = np.clip(roll24_o / ys.window_mean(origins - WEEK_H, 24), SHIFT_MIN, SHIFT_MAX)
    # The day's change applies to the week just ahead; further weeks keep last week's level.
    shift = np.where(weeks_back == WEEK_H, per_origin(np.where(np.isfinite(shift_o), shift_o, 1.0)), 1.0)
    base = baseline(lag_week, same_hour_weeks, lag_day, shift, level)
    tt = times[np.minimum(t, len(times) - 1)] + pd.to_timedelta(np.maximum(t - (len(times) - 1), 0), unit="h")
    tt = pd.DatetimeIndex(tt)
    feats = {
        "lead_h": h.astype(float),
        **_calendar(tt, config),
        "holiday_lag_day": holiday_flags(tt, days_back, config),
        "holiday_lag_week": holiday_flags(tt, weeks_back, config),
        "base": base / level,
        "shift": shift,
        "lag_day": lag_day / base,
        "lag_2week": lag_2week / base,
        "same_hour_weeks": same_hour_weeks / base,
        "same_hour_days": same_hour_days / base,
        "dev_week": (lag_day - ys.at(t - days_back - WEEK_H)) / level,
        "roll24": per_origin(roll24_o) / level,
        "roll6": per_origin(ys.window_mean(origins, 6)) / level,
        "last": ys.at(o) / level,
        "level_log": np.log(level),
    }
    # Ratios of sums differ in their last bits between a series and its multiple; rounded, the
    # trees see the same values, so a series ten times larger is forecast exactly ten times larger.
    feats = {k: np.round(v, RATIO_DECIMALS) if k not in _CALENDAR_FEATURES else v for k, v in feats.items()}
    if temp is not None:
        ts = _Series(temp)
        t24 = ts.window_mean(origins, 24)
        feats["temp_roll24"] = per_origin(t24)
        feats["temp_roll24_vs_week"] = per_origin(t24 - ts.window_mean(origins - WEEK_H, 24))
        feats["temp_last"] = ts.at(o)
        feats["temp_lag_day"] = ts.at(t - days_back)
        feats["temp_lag_week"] = ts.at(t - weeks_back)
    return pd.DataFrame(feats), ys.at(t) / base, base, t


def _origins(frame: pd.DataFrame, config: ForecastConfig, end_pos: int) -> np.ndarray:
    """Training origin positions (the last known hour): every ``origin_every_h`` hours counted
    back from ``end_pos``, with two weeks of lags behind them, within ``training_days``."""
    first = max(2 * WEEK_H, len(frame) - config.training_days * 24)
    pos = np.arange(end_pos, first - 1, -config.origin_every_h)[::-1]
    return pos


def _fit_models(
    x: pd.DataFrame, target: np.ndarray, config: ForecastConfig
) -> dict[float, HistGradientBoostingRegressor]:
    models = {}
    for q in QUANTILES:
        m = HistGradientBoostingRegressor(
            loss="quantile",
            quantile=q,
            max_iter=config.max_iter,
            learning_rate=config.learning_rate,
            max_leaf_nodes=config.max_leaf_nodes,
            min_samples_leaf=config.min_samples_leaf,
            random_state=config.random_state,
            categorical_features=None,
        )
        m.fit(x, target)
        models[q] = m
    return models


def _training_set(frame: pd.DataFrame, config: ForecastConfig, origins: np.ndarray, last_pos: int):
    y = frame["load_kw"].to_numpy(dtype=float)
    temp = frame["temperature_c"].to_numpy(dtype=float) if "temperature_c" in frame else None
    x, target, level, t = _design(y, temp, frame.index, origins, config.horizon_h, config)
    keep = (t <= last_pos) & np.isfinite(target) & np.isfinite(level)
    return x[keep].reset_index(drop=True), target[keep], level[keep], t[keep]


def fit(frame: pd.DataFrame, config: ForecastConfig) -> FittedForecaster:
    """Fit on every hour of ``frame`` (the whole frame is the past). Raises ``ForecastRefused``."""
    check_history(frame)
    last_pos = len(frame) - 1
    origins = _origins(frame, config, last_pos - 1)
    per_day = 24 // config.origin_every_h
    if len(origins) < 14 * per_day:
        raise ForecastRefused(
            "history_too_short", "fewer than 14 days of origins with two weeks of lags behind them"
        )
    cal_days = min(config.calibration_days, len(origins) // (2 * per_day))
    cut = origins[-cal_days * per_day]
    # Calibration: models fitted on the samples whose target hour is before the first held-back
    # origin, judged on the held-back origins.
    early = origins[origins < cut]
    x_e, y_e, _, _ = _training_set(frame, config, early, cut)
    held = origins[origins >= cut]
    x_h, y_h, _, _ = _training_set(frame, config, held, last_pos)
    widen, bias, calib = 0.0, 0.0, {}
    if len(x_e) > 200 and len(x_h) > 24:
        cal_models = _fit_models(x_e, y_e, config)
        med = cal_models[0.5].predict(x_h)
        bias = float(np.median((y_h - med) / np.maximum(np.abs(med), 1e-9)))
        med_b = med * (1 + bias)
        lo = np.minimum(cal_models[0.1].predict(x_h), med) * (1 + bias)
        hi = np.maximum(cal_models[0.9].predict(x_h), med) * (1 + bias)
        # Conformity scores in units of the raw interval's width (normalised CQR): the widening
        # follows the models' own idea of the uncertainty of each hour.
        scores = np.maximum(lo - y_h, y_h - hi) / np.maximum(hi - lo, MIN_WIDTH)
        widen = float(np.quantile(scores, INTERVAL, method="higher"))
        calib = {
            "calibration_samples": float(len(y_h)),
            "raw_coverage": float(np.mean((y_h >= lo) & (y_h <= hi))),
            "mae_ratio": float(np.mean(np.abs(y_h - med_b))),
        }
    x, target, _, _ = _training_set(frame, config, origins, last_pos)
    models = _fit_models(x, target, config)
    return FittedForecaster(
        config=config,
        models=models,
        widen=widen,
        bias=bias,
        feature_names=list(x.columns),
        use_temperature="temperature_c" in frame,
        training_start=frame.index[max(0, origins[0] - 3 * WEEK_H)],
        training_end=frame.index[-1] + HOUR,
        samples=len(x),
        calibration=calib,
    )


def predict(fitted: FittedForecaster, frame: pd.DataFrame, horizon_h: int | None = None) -> Forecast:
    """Forecast the ``horizon_h`` hours after the frame's last hour (the origin)."""
    config = fitted.config
    horizon = min(horizon_h or config.horizon_h, config.horizon_h)
    y = frame["load_kw"].to_numpy(dtype=float)
    temp = (
        frame["temperature_c"].to_numpy(dtype=float)
        if fitted.use_temperature and "temperature_c" in frame
        else None
    )
    if fitted.use_temperature and temp is None:
        temp = np.full(len(y), np.nan)
    origin = np.array([len(frame) - 1])
    x, _, level, _ = _design(y, temp, frame.index, origin, horizon, config)
    if not np.isfinite(level).all():
        raise ForecastRefused("history_too_sparse", "no load in the 168 h before the origin")
    x = x[fitted.feature_names]
    scale = level * (1 + fitted.bias)
    med = fitted.models[0.5].predict(x)
    lo = np.minimum(fitted.models[0.1].predict(x), med)
    hi = np.maximum(fitted.models[0.9].predict(x), med)
    median_kw = np.maximum(med * scale, 0.0)
    lo_b, hi_b = lo * (1 + fitted.bias), hi * (1 + fitted.bias)
    pad = fitted.widen * np.maximum(hi_b - lo_b, MIN_WIDTH)
    low_kw = np.maximum((lo_b - pad) * level, 0.0)
    high_kw = np.maximum((hi_b + pad) * level, median_kw)
    low_kw = np.minimum(low_kw, median_kw)
    times = pd.date_range(frame.index[-1] + HOUR, periods=horizon, freq="h", tz="UTC")
    return Forecast(times=times, median_kw=median_kw, low_kw=low_kw, high_kw=high_kw)


def seasonal_naive(frame: pd.DataFrame, horizon_h: int, season_h: int) -> np.ndarray:
    """Same hour ``season_h`` earlier, repeated for leads beyond one season (the reference)."""
    y = frame["load_kw"].to_numpy(dtype=float)
    n = len(y)
    lead = np.arange(1, horizon_h + 1)
    back = np.ceil(lead / season_h).astype(int) * season_h
    pos = n - 1 + lead - back
    return y[pos]


def metrics(
    actual: np.ndarray, median: np.ndarray, low: np.ndarray | None, high: np.ndarray | None, scale: float
) -> dict[str, float]:
    """MAE, RMSE, MAPE (%), MASE (MAE / ``scale``, the in-sample MAE of seasonal-naive) and
    the share of actual values inside [low, high], over the hours with an actual value."""
    ok = np.isfinite(actual) & np.isfinite(median)
    a, m = actual[ok], median[ok]
    err = a - m
    out = {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mape_pct": float(np.mean(np.abs(err) / np.abs(a)) * 100) if np.all(np.abs(a) > 0) else float("nan"),
        "mase": float(np.mean(np.abs(err)) / scale) if scale > 0 else float("nan"),
        "n": int(ok.sum()),
    }
    if low is not None and high is not None:
        out["interval_coverage"] = float(np.mean((a >= low[ok]) & (a <= high[ok])))
    return out
