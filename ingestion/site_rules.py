"""What a site's calendar may hold: time zone, shifts and weekly off days (pure, no Django).

A site is one electrical supply of a tenant (docs/CONTRACTS.md §3.4). Energy is kept in
30-minute blocks aligned to UTC (§18), so everything a site adds on top of UTC must fall on
those blocks: the time zone's offsets are whole half-hours (India's +05:30 is; Nepal's
+05:45 is not) and shift boundaries are whole half-hours of site time. Each check returns
``(rule, message)`` or None, so every entry point (admin form, API, command) names the same
rule with the same words.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Asia/Kolkata"
#: CEA CO2 Baseline Database v20 (data to FY 2023-24): weighted average of the Indian grid
DEFAULT_GRID_FACTOR_T_PER_MWH = 0.727
DEFAULT_IDLE_BELOW_LOAD_PCT = 30.0
DEFAULT_SHIFTS: tuple[dict[str, str], ...] = (
    {"name": "A", "start": "06:00", "end": "14:00"},
    {"name": "B", "start": "14:00", "end": "22:00"},
    {"name": "C", "start": "22:00", "end": "06:00"},
)
DEFAULT_WEEKLY_OFF: tuple[str, ...] = ("sunday",)
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SITE_CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
_DAY_MIN = 24 * 60

Problem = tuple[str, str]


def clock_minutes(text: Any) -> int | None:
    """Minutes after midnight of an ``HH:MM`` clock time (00:00-23:59), None if malformed."""
    if not isinstance(text, str):
        return None
    match = _CLOCK.match(text)
    if match is None:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def clock_slot(text: str) -> int:
    """The 30-minute block (0-47) a validated ``HH:MM`` clock time starts; ValueError if the
    text is not a clock time (the callers have validated it with half_hour_clock_problem)."""
    minutes = clock_minutes(text)
    if minutes is None:
        raise ValueError(f"not a clock time HH:MM: {text!r}")
    return minutes // 30


def half_hour_clock_problem(text: Any, what: str) -> Problem | None:
    """A clock time that is ``HH:MM`` on a whole half-hour (the 30-minute block grid)."""
    minutes = clock_minutes(text)
    if minutes is None:
        return "format", f"{what} must be a clock time HH:MM (00:00-23:30), got {text!r}"
    if minutes % 30:
        return "half_hour", f"{what} {text} is not on a whole half-hour (energy is kept in 30-minute blocks)"
    return None


def timezone_problem(name: Any) -> Problem | None:
    """An IANA zone whose UTC offsets are whole half-hours in every month of 1970-2100."""
    if not isinstance(name, str) or not name:
        return "unknown_timezone", "timezone must be an IANA time zone name such as Asia/Kolkata"
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown_timezone", f"unknown time zone {name!r}; use an IANA name such as Asia/Kolkata"
    for year in range(1970, 2101):
        for month in (1, 4, 7, 10):
            offset = datetime(year, month, 1, tzinfo=UTC).astimezone(zone).utcoffset()
            if offset is not None and offset.total_seconds() % 1800:
                return (
                    "offset_not_half_hour",
                    f"time zone {name} has the UTC offset {offset} in {year}-{month:02d}: energy is kept "
                    "in 30-minute blocks, so a site's offsets must be whole half-hours",
                )
    return None


def shifts_problem(shifts: Any) -> Problem | None:
    """Shifts: named, on half-hours, and together covering the site day exactly once."""
    if not isinstance(shifts, list) or not shifts:
        return (
            "format",
            'shifts must be a non-empty list such as [{"name": "A", "start": "06:00", "end": "14:00"}]',
        )
    names: set[str] = set()
    covered = [""] * (_DAY_MIN // 30)
    for i, shift in enumerate(shifts):
        if not isinstance(shift, dict) or set(shift) != {"name", "start", "end"}:
            return "format", f"shifts[{i}] must be an object with exactly name, start and end"
        name = shift["name"]
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 40 or name != name.strip():
            return "format", f"shifts[{i}].name must be 1-40 characters without leading or trailing spaces"
        if name in names:
            return "duplicate_name", f"shifts[{i}].name {name!r} is used twice"
        names.add(name)
        for key in ("start", "end"):
            problem = half_hour_clock_problem(shift[key], f"shifts[{i}].{key}")
            if problem:
                return problem
        start, end = clock_slot(shift["start"]), clock_slot(shift["end"])
        if start == end:
            return "empty_shift", f"shift {name} starts and ends at {shift['start']}"
        slot = start
        while slot != end:
            if covered[slot]:
                return (
                    "overlapping_shifts",
                    f"shifts {covered[slot]} and {name} overlap at {slot // 2:02d}:{slot % 2 * 30:02d}",
                )
            covered[slot] = name
            slot = (slot + 1) % len(covered)
    if not all(covered):
        first = covered.index("")
        return (
            "shifts_must_cover_day",
            f"no shift covers {first // 2:02d}:{first % 2 * 30:02d}: shifts must cover the whole site day",
        )
    return None


def weekly_off_problem(days: Any) -> Problem | None:
    if not isinstance(days, list) or any(d not in WEEKDAYS for d in days) or len(set(days)) != len(days):
        return "choice", f"weekly_off_days must be a list of distinct day names from {', '.join(WEEKDAYS)}"
    if len(days) == len(WEEKDAYS):
        return "choice", "weekly_off_days cannot hold every day of the week"
    return None


def site_problems(
    *,
    code: Any,
    timezone: Any,
    grid_factor_t_per_mwh: Any,
    contract_demand_kva: Any,
    idle_below_load_pct: Any,
    shifts: Any,
    weekly_off_days: Any,
) -> dict[str, Problem]:
    """Every field problem of a site, by field name (empty when the site is valid)."""
    problems: dict[str, Problem] = {}
    if not isinstance(code, str) or not re.match(SITE_CODE_PATTERN, code):
        problems["code"] = "format", f"code must match {SITE_CODE_PATTERN} (the assets' supply_site)"
    tz = timezone_problem(timezone)
    if tz:
        problems["timezone"] = tz
    if not _number_in(grid_factor_t_per_mwh, 0.0, 2.0):
        problems["grid_factor_t_per_mwh"] = "range", "grid_factor_t_per_mwh must be between 0 and 2 tCO2/MWh"
    if contract_demand_kva is not None and not _number_in(contract_demand_kva, 0.0, 1e7, low_open=True):
        problems["contract_demand_kva"] = "range", "contract_demand_kva must be greater than 0 kVA, or empty"
    if not _number_in(idle_below_load_pct, 0.0, 100.0, low_open=True):
        problems["idle_below_load_pct"] = "range", "idle_below_load_pct must be in (0, 100] % of rated power"
    shift = shifts_problem(shifts)
    if shift:
        problems["shifts"] = shift
    off = weekly_off_problem(weekly_off_days)
    if off:
        problems["weekly_off_days"] = off
    return problems


def _number_in(value: Any, low: float, high: float, low_open: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return False
    return (low < value if low_open else low <= value) and value <= high
