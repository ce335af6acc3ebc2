"""Write household power files in the exact UCI format (for tests and the benchmark).

The values are synthetic but physically consistent (a daily load profile with appliance
spikes, ``I = sqrt(P^2 + Q^2) x 1000 / V`` logged to 0.2 A, sub-meters within the total) so
the validation rejects only the defects that are planted on purpose. No Django.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .transform import HEADER

FULL_ROWS = 2_075_259
FULL_START = datetime(2006, 12, 16, 17, 24)


@dataclass
class Defects:
    """Row positions (0-based data rows) of planted defects, to check the quality report."""

    missing_rows: list[int] = field(default_factory=list)  # every value '?'
    missing_voltage: list[int] = field(default_factory=list)  # only Voltage '?'
    power_over_20kw: list[int] = field(default_factory=list)
    voltage_low: list[int] = field(default_factory=list)
    intensity_inconsistent: list[int] = field(default_factory=list)
    sub_over_total: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)  # row repeats the previous timestamp
    gap_after: list[tuple[int, int]] = field(default_factory=list)  # (row, minutes skipped)


def minute_values(n: int, start: datetime, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range(start, periods=n, freq="min")
    hour = t.hour.to_numpy() + t.minute.to_numpy() / 60
    weekend = t.day_of_week.to_numpy() >= 5
    profile = (
        0.35 + 0.9 * np.exp(-((hour - 8) ** 2) / 3) + 1.6 * np.exp(-((hour - 20) ** 2) / 5) + 0.4 * weekend
    )
    spikes = (rng.random(n) < 0.03) * rng.uniform(1.0, 4.0, n)
    p = np.round(np.clip(profile * rng.lognormal(0, 0.25, n) + spikes, 0.08, 11.0), 3)
    q = np.round(np.clip(0.12 + 0.05 * rng.standard_normal(n), 0.0, 1.2), 3)
    v = np.round(240.5 + 3.0 * np.sin(2 * np.pi * hour / 24) + rng.normal(0, 1.5, n), 2)
    i = np.round(np.hypot(p, q) * 1000 / v / 0.2) * 0.2
    wh = p * 1000 / 60
    s1 = np.floor(wh * rng.uniform(0, 0.3, n) * (rng.random(n) < 0.1))
    s2 = np.floor(wh * rng.uniform(0, 0.3, n) * (rng.random(n) < 0.2))
    s3 = np.floor(np.minimum(wh * rng.uniform(0, 0.4, n), 20))
    return pd.DataFrame({"t": t, "p": p, "q": q, "v": v, "i": np.round(i, 1), "s1": s1, "s2": s2, "s3": s3})


def write_text(values: pd.DataFrame, out: io.BufferedIOBase | io.TextIOBase) -> bytes:
    t = values["t"]
    date = t.dt.day.astype(str) + "/" + t.dt.month.astype(str) + "/" + t.dt.year.astype(str)
    frame = pd.DataFrame({"Date": date, "Time": t.dt.strftime("%H:%M:%S")})
    for src, col in zip(HEADER[2:], ["p", "q", "v", "i", "s1", "s2", "s3"], strict=True):
        frame[src] = values[col]
    body = frame.to_csv(sep=";", index=False, float_format="%.3f", na_rep="?", lineterminator="\n")
    # A row with no measurement ends "?;?;?;?;?;?;" in the original: Sub_metering_3 is empty.
    return body.replace(";?;?;?;?;?;?;?\n", ";?;?;?;?;?;?;\n").encode("ascii")


def write_archive(path: Path, text: bytes, member: str = "household_power_consumption.txt") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(member, text)
    return path


def full_size_archive(
    path: Path, rows: int = FULL_ROWS, missing_share: float = 0.0125, seed: int = 1
) -> Path:
    """A file of the original's size and span with about the original's share of '?' rows."""
    values = minute_values(rows, FULL_START, seed=seed)
    rng = np.random.default_rng(seed + 1)
    # Missing values come in runs (outages), as in the original.
    starts = rng.choice(rows, size=max(1, int(rows * missing_share / 60)), replace=False)
    mask = np.zeros(rows, dtype=bool)
    for s in starts:
        mask[s : s + int(rng.integers(1, 120))] = True
    values.loc[mask, ["p", "q", "v", "i", "s1", "s2", "s3"]] = np.nan
    return write_archive(path, write_text(values, io.BytesIO()))


def defects_fixture(
    rows: int = 3 * 24 * 60, start: datetime = datetime(2007, 3, 30, 0, 0)
) -> tuple[bytes, Defects]:
    """A small file crossing a month end and a daylight-saving change, with known defects."""
    values = minute_values(rows, start, seed=7)
    d = Defects(
        missing_rows=list(range(100, 110)) + list(range(2500, 2503)),
        missing_voltage=[200, 201],
        power_over_20kw=[300],
        voltage_low=[400, 401, 402],
        intensity_inconsistent=[500],
        sub_over_total=[600, 601],
        duplicates=[700],
        gap_after=[(1000, 90)],
    )
    cols = ["p", "q", "v", "i", "s1", "s2", "s3"]
    values.loc[d.missing_rows, cols] = np.nan
    values.loc[d.missing_voltage, "v"] = np.nan
    values.loc[d.power_over_20kw, ["p", "i"]] = [23.5, 98.0]
    values.loc[d.voltage_low, "v"] = 180.0
    values.loc[d.voltage_low, "i"] = (
        np.round(np.hypot(values.loc[d.voltage_low, "p"], values.loc[d.voltage_low, "q"]) * 1000 / 180 / 0.2)
        * 0.2
    )
    values.loc[d.intensity_inconsistent, "i"] = values.loc[d.intensity_inconsistent, "i"] + 30.0
    values.loc[d.sub_over_total, ["p", "i", "s3"]] = [0.6, 2.6, 30.0]
    t = values["t"].copy()
    t.iloc[d.duplicates[0]] = t.iloc[d.duplicates[0] - 1]
    row, skip = d.gap_after[0]
    t.iloc[row + 1 :] = t.iloc[row + 1 :] + timedelta(minutes=skip)
    values["t"] = t
    return write_text(values, io.BytesIO()), d
