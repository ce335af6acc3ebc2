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


def hourly_series(good: pd.DataFrame) -> pd.DataFrame:
    valid = good[good["active_power_kw"].notna()]
    hour_us = (valid["time_us"].to_numpy() // HOUR_US) * HOUR_US
    grouped = valid.assign(hour_us=hour_us).groupby("hour_us", sort=True)
    out = pd.DataFrame(
        {
            "active_power_kw": grouped["active_power_kw"].mean(),
            "energy_kwh": grouped["active_power_kw"].sum() / 60.0,
            "reactive_power_kvar": grouped["reactive_power_kw"].mean(),
            "voltage_v": grouped["voltage_v"].mean(),
            "current_a": grouped["current_a"].mean(),
            "sub_metering_1_wh": grouped["sub_metering_1_wh"].sum(),
            "sub_metering_2_wh": grouped["sub_metering_2_wh"].sum(),
            "sub_metering_3_wh": grouped["sub_metering_3_wh"].sum(),
            "minutes_covered": grouped["active_power_kw"].count().astype("int64"),
        }
    )
    times = pd.to_datetime(out.index.to_numpy(), unit="us", utc=True)
    out.insert(0, "time", times)
    local = times.tz_convert(CIVIL_TZ)
    years = range(int(local.year.min()), int(local.year.max()) + 1) if len(local) else []
    french = holidays.country_holidays("FR", years=years)
    out["hour_local"] = local.hour.astype("int64")
    out["day_of_week"] = local.day_of_week.astype("int64")
    out["is_weekend"] = (local.day_of_week >= 5).astype("int64")
    out["is_holiday"] = np.fromiter((d in french for d in local.date), dtype="int64", count=len(local))
    return out.reset_index(drop=True)
