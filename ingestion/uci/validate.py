"""Validation of the minute frame with pandera (vectorised checks) and the quality report.

Rules (docs/uci-import.md, CONTRACTS §3.5): ranges from the data set's seed (active power
0-20 kW, voltage 200-260 V), non-negative reactive power, current and sub-metering, and two
physical consistency rules:

* ``intensity_consistency``: the apparent power from the current, ``V x I / 1000``, agrees with
  the one from the powers, ``sqrt(P^2 + Q^2)``, within 10 % + 0.06 kVA (the current is logged
  to 0.2 A: 0.2 A x 260 V = 0.052 kVA);
* ``sub_metering_within_total``: the three sub-meters' energy in the minute (Wh) is not above
  the whole house's, ``P x 1000 / 60``, plus 3 Wh (each sub-meter is rounded to 1 Wh).

A row breaking a rule is rejected (written to the rejects file, left out of the hourly
series); a row with missing values is kept as missing. Duplicated timestamps keep the first
row and reject the others. No Django.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .transform import VALUE_COLUMNS

MINUTE_US = 60_000_000
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
EXAMPLES = 5


def _between(lo: float, hi: float, name: str) -> pa.Check:
    """``lo <= x <= hi`` or missing, on the whole column at once (missing values are counted
    by the report, not rejected; testing them here spares pandera a copy without them)."""

    def check(s: pd.Series) -> pd.Series:
        x = s.to_numpy()
        return pd.Series(((x >= lo) & (x <= hi)) | np.isnan(x), index=s.index)

    return pa.Check(check, name=name, ignore_na=False)


def _col(df: pd.DataFrame, name: str) -> np.ndarray:
    return df[name].to_numpy()


def _intensity_ok(df: pd.DataFrame) -> pd.Series:
    v, i = _col(df, "voltage_v"), _col(df, "current_a")
    p, q = _col(df, "active_power_kw"), _col(df, "reactive_power_kw")
    s_from_power = np.hypot(p, q)
    ok = np.abs(v * i / 1000.0 - s_from_power) <= 0.1 * s_from_power + 0.06
    # NaN in any of the four makes the comparison False and the sum NaN: a missing value passes.
    return pd.Series(ok | np.isnan(v + i + p + q), index=df.index)


def _sub_ok(df: pd.DataFrame) -> pd.Series:
    subs = _col(df, "sub_metering_1_wh") + _col(df, "sub_metering_2_wh") + _col(df, "sub_metering_3_wh")
    total_wh = _col(df, "active_power_kw") * 1000.0 / 60.0
    return pd.Series((subs <= total_wh + 3.0) | np.isnan(subs) | np.isnan(total_wh), index=df.index)


SCHEMA = pa.DataFrameSchema(
    {
        "active_power_kw": pa.Column(float, _between(0, 20, "active_power_range"), nullable=True),
        "reactive_power_kw": pa.Column(float, _between(0, 20, "reactive_power_range"), nullable=True),
        "voltage_v": pa.Column(float, _between(200, 260, "voltage_range"), nullable=True),
        "current_a": pa.Column(float, _between(0, 100, "current_range"), nullable=True),
        "sub_metering_1_wh": pa.Column(float, _between(0, 1000, "sub_metering_range"), nullable=True),
        "sub_metering_2_wh": pa.Column(float, _between(0, 1000, "sub_metering_range"), nullable=True),
        "sub_metering_3_wh": pa.Column(float, _between(0, 1000, "sub_metering_range"), nullable=True),
    },
    checks=[
        pa.Check(_intensity_ok, name="intensity_consistency", ignore_na=False),
        pa.Check(_sub_ok, name="sub_metering_within_total", ignore_na=False),
    ],
    strict=False,
    coerce=False,
)
RULES = (
    "active_power_range",
    "reactive_power_range",
    "voltage_range",
    "current_range",
    "sub_metering_range",
    "intensity_consistency",
    "sub_metering_within_total",
    "duplicate_timestamp",
)


@dataclass
class Validated:
    good: pd.DataFrame  # rows that passed (missing values kept as NaN)
    rejects: pd.DataFrame  # line, time_us, rule, the row's values
    report: dict[str, Any] = field(default_factory=dict)


def _rule_failures(minutes: pd.DataFrame) -> pd.DataFrame:
    """(row position, rule) of every failing check, from pandera's lazy validation. ``minutes``
    has a default index (position = label); nothing is coerced, so pandera checks it in place
    instead of copying it."""
    try:
        SCHEMA.validate(minutes, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        if fc["index"].isna().any():  # a check that did not run, or a column of the wrong type
            raise RuntimeError(f"validation could not run: {err}") from err
        return pd.DataFrame(
            {"pos": fc["index"].astype("int64").to_numpy(), "rule": fc["check"].astype(str).to_numpy()}
        )
    return pd.DataFrame({"pos": np.array([], dtype="int64"), "rule": np.array([], dtype=object)})


def _duplicated(times: np.ndarray) -> np.ndarray:
    """Rows whose time an earlier row has. A file in time order (the published one) is
    settled by one comparison of neighbours; otherwise by hashing."""
    if len(times) < 2 or bool((times[1:] > times[:-1]).all()):
        return np.zeros(len(times), dtype=bool)
    return pd.Series(times).duplicated(keep="first").to_numpy()


def validate_minutes(minutes: pd.DataFrame) -> Validated:
    """Split the minute frame into good rows and rejects, and build the quality report."""
    minutes = minutes.reset_index(drop=True)
    fails = _rule_failures(minutes)
    dup = _duplicated(minutes["time_us"].to_numpy())
    dup_pos = np.flatnonzero(dup)
    fails = pd.concat(
        [fails, pd.DataFrame({"pos": dup_pos, "rule": "duplicate_timestamp"})], ignore_index=True
    )
    fails = fails.drop_duplicates().sort_values(["pos", "rule"], kind="stable")
    bad = np.zeros(len(minutes), dtype=bool)
    bad[fails["pos"].to_numpy()] = True
    rejects = minutes.iloc[fails["pos"].to_numpy()].reset_index(drop=True)
    rejects.insert(2, "rule", fails["rule"].to_numpy())
    good = minutes
    if bad.any():
        good = good[~bad]
    if not bool((np.diff(good["time_us"].to_numpy()) >= 0).all()):
        good = good.sort_values("time_us", kind="stable")
    if good is not minutes:  # a clean file in time order is kept as it is, not copied
        good = good.reset_index(drop=True)
    report = quality_report(minutes, good, rejects, dup_count=int(dup.sum()))
    return Validated(good=good, rejects=rejects, report=report)


def _iso(us: int) -> str:
    return pd.Timestamp(int(us), unit="us", tz="UTC").isoformat().replace("+00:00", "Z")


def _months(times: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The UTC months (``YYYY-MM``) from the first row's to the last's, and each row's index
    into them: the calendar is worked out once per day of the span, not once per row."""
    day = times // DAY_US
    first = int(day.min())
    days = np.arange(first, int(day.max()) + 1).astype("datetime64[D]")
    month_of_day = days.astype("datetime64[M]").astype("int64")
    month_of_day -= month_of_day[0]
    labels = [
        str(m) for m in np.arange(days[0].astype("datetime64[M]"), days[-1].astype("datetime64[M]") + 1)
    ]
    return labels, month_of_day[day - first]


def quality_report(
    minutes: pd.DataFrame, good: pd.DataFrame, rejects: pd.DataFrame, dup_count: int
) -> dict[str, Any]:
    times = minutes["time_us"].to_numpy()
    months, month_at = _months(times)
    missing = {c: np.isnan(minutes[c].to_numpy()) for c in VALUE_COLUMNS}
    rows_per_month = np.bincount(month_at, minlength=len(months))
    by_month = {c: np.bincount(month_at, weights=missing[c], minlength=len(months)) for c in VALUE_COLUMNS}
    by_rule = {}
    for rule in RULES:
        hit = rejects[rejects["rule"] == rule]
        by_rule[rule] = {
            "count": len(hit),
            "examples": [
                {
                    "line": int(r.line),
                    "time": _iso(r.time_us),
                    **{c: (None if pd.isna(getattr(r, c)) else float(getattr(r, c))) for c in VALUE_COLUMNS},
                }
                for r in hit.head(EXAMPLES).itertuples(index=False)
            ],
        }
    ordered = times if bool((np.diff(times) >= 0).all()) else np.sort(times)
    step = np.diff(ordered)
    gap_at = np.flatnonzero(step > HOUR_US)
    gaps = [
        {
            "after": _iso(ordered[i]),
            "before": _iso(ordered[i + 1]),
            "missing_minutes": int(step[i] // MINUTE_US - 1),
        }
        for i in gap_at
    ]
    all_missing = int(np.logical_and.reduce(list(missing.values())).sum())
    return {
        "rows": len(minutes),
        "rows_good": len(good),
        "rows_rejected": int(rejects["line"].nunique()) if len(rejects) else 0,
        "rows_all_missing": all_missing,
        "first_time": _iso(ordered[0]) if len(ordered) else None,
        "last_time": _iso(ordered[-1]) if len(ordered) else None,
        "missing_by_column": {c: int(missing[c].sum()) for c in VALUE_COLUMNS},
        "missing_by_month": {
            label: {"rows": int(rows_per_month[k]), **{c: int(by_month[c][k]) for c in VALUE_COLUMNS}}
            for k, label in enumerate(months)
            if rows_per_month[k]
        },
        "out_of_range_by_rule": by_rule,
        "gaps_over_1h": {"count": len(gaps), "gaps": gaps[:100]},
        "duplicates": {"count": dup_count},
    }


def report_markdown(report: dict[str, Any]) -> str:
    lines = [
        "# UCI household power: quality report",
        "",
        f"- rows read: {report['rows']}",
        f"- rows kept: {report['rows_good']}",
        f"- rows rejected: {report['rows_rejected']}",
        f"- rows with every value missing (`?`): {report['rows_all_missing']}",
        f"- first / last minute (UTC): {report['first_time']} / {report['last_time']}",
        f"- duplicated timestamps: {report['duplicates']['count']}",
        f"- gaps longer than 1 h: {report['gaps_over_1h']['count']}",
        "",
        "## Missing values by column",
        "",
        "| column | missing |",
        "|---|---|",
        *(f"| `{c}` | {n} |" for c, n in report["missing_by_column"].items()),
        "",
        "## Missing values by month (UTC)",
        "",
        "| month | rows | " + " | ".join(VALUE_COLUMNS) + " |",
        "|---|---|" + "---|" * len(VALUE_COLUMNS),
        *(
            f"| {m} | {v['rows']} | " + " | ".join(str(v[c]) for c in VALUE_COLUMNS) + " |"
            for m, v in report["missing_by_month"].items()
        ),
        "",
        "## Rejected rows by rule",
        "",
        "| rule | rows | examples (line: values) |",
        "|---|---|---|",
    ]
    for rule, v in report["out_of_range_by_rule"].items():
        ex = "; ".join(
            f"{e['line']}: " + ", ".join(f"{c}={e[c]}" for c in VALUE_COLUMNS if e[c] is not None)
            for e in v["examples"][:3]
        )
        lines.append(f"| `{rule}` | {v['count']} | {ex} |")
    lines += ["", "## Gaps longer than 1 h", "", "| after | before | missing minutes |", "|---|---|---|"]
    lines += [
        f"| {g['after']} | {g['before']} | {g['missing_minutes']} |" for g in report["gaps_over_1h"]["gaps"]
    ]
    return "\n".join(lines) + "\n"


def report_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + "\n"
