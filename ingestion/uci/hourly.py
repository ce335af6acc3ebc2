"""Hourly series of the validated minutes, with calendar features. No Django.

Per UTC hour ``[h, h + 1 h)`` over the minutes that passed validation and have an active power:
``active_power_kw`` (mean), ``energy_kwh`` (sum of P / 60: each minute's mean power for one
minute), ``reactive_power_kvar``, ``voltage_v``, ``current_a`` (means), ``sub_metering_<n>_wh``
(sums), ``minutes_covered`` (0..60). Hours without any such minute are absent (never filled).
Calendar features are in the site's civil time (Europe/Paris, daylight saving included):
``hour_local``, ``day_of_week`` (0 = Monday), ``is_weekend``, ``is_holiday`` (French public
holidays of the ``holidays`` package).
"""

from __future__ import annotations

import holidays
import numpy as np
import pandas as pd

from .validate import HOUR_US

CIVIL_TZ = "Europe/Paris"
SUB_METERS = ("sub_metering_1_wh", "sub_metering_2_wh", "sub_metering_3_wh")
OUTPUT = (
    "active_power_kw",
    "energy_kwh",
    "reactive_power_kvar",
    "voltage_v",
    "current_a",
    *SUB_METERS,
    "minutes_covered",
)


def _per_hour(slot: np.ndarray, x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sum of the non-missing values and their count, per hour slot."""
    present = ~np.isnan(x)
    return (
        np.bincount(slot, weights=np.where(present, x, 0.0), minlength=n),
        np.bincount(slot, weights=present, minlength=n),
    )


def hourly_series(good: pd.DataFrame) -> pd.DataFrame:
    """One row per hour with at least one minute that has an active power. Means and sums
    skip missing values (an hour's voltage is the mean of the minutes that have one)."""
    p_all = good["active_power_kw"].to_numpy()
    valid = ~np.isnan(p_all)
    hour = good["time_us"].to_numpy()[valid] // HOUR_US
    columns = {}
    if len(hour):
        first = int(hour.min())
        slot = hour - first
        n = int(slot.max()) + 1
        covered = np.bincount(slot, minlength=n)
        hours = np.flatnonzero(covered)
        sums = {}
        for name in ("active_power_kw", "reactive_power_kw", "voltage_v", "current_a", *SUB_METERS):
            total, count = _per_hour(slot, good[name].to_numpy()[valid], n)
            sums[name] = (total[hours], count[hours])
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = {k: np.where(c > 0, t / np.maximum(c, 1), np.nan) for k, (t, c) in sums.items()}
        columns = {
            "active_power_kw": mean["active_power_kw"],
            "energy_kwh": sums["active_power_kw"][0] / 60.0,
            "reactive_power_kvar": mean["reactive_power_kw"],
            "voltage_v": mean["voltage_v"],
            "current_a": mean["current_a"],
            **{name: sums[name][0] for name in SUB_METERS},
            "minutes_covered": covered[hours].astype("int64"),
        }
        hour_us = (hours + first) * HOUR_US
    else:
        columns = {name: np.array([], dtype="float64") for name in OUTPUT[:-1]}
        columns["minutes_covered"] = np.array([], dtype="int64")
        hour_us = np.array([], dtype="int64")
    out = pd.DataFrame(columns)
    times = pd.to_datetime(hour_us, unit="us", utc=True)
    out.insert(0, "time", times)
    local = times.tz_convert(CIVIL_TZ)
    years = range(int(local.year.min()), int(local.year.max()) + 1) if len(local) else []
    french = holidays.country_holidays("FR", years=years)
    day = local.normalize().tz_localize(None).to_numpy().astype("datetime64[D]")
    out["hour_local"] = local.hour.astype("int64")
    out["day_of_week"] = local.day_of_week.astype("int64")
    out["is_weekend"] = (local.day_of_week >= 5).astype("int64")
    out["is_holiday"] = np.isin(day, np.array(sorted(french), dtype="datetime64[D]")).astype("int64")
    return out
