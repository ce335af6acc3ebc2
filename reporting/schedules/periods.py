"""Which period a scheduled report covers: the previous whole day, ISO week or calendar month in a
time zone (docs/CONTRACTS.md §16.5). Pure date arithmetic, no Django, so it is tested on its own.

A period is half-open `[start, end)` in UTC whose ends are local midnights of the zone, so a day
can be 23 or 25 hours long across a daylight-saving change; the schedule's run time decides only
which period is "previous", never its length.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodRule(StrEnum):
    PREVIOUS_DAY = "previous_day"
    PREVIOUS_WEEK = "previous_week"  # Monday 00:00 to Monday 00:00, local
    PREVIOUS_MONTH = "previous_month"  # the 1st 00:00 to the next 1st 00:00, local


def _local_midnight_utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(UTC)


def previous_period(*, rule: str, now: datetime, zone_name: str) -> tuple[datetime, datetime]:
    """`[start, end)` in UTC of the last whole period of `rule` that ended at or before `now`,
    counted in `zone_name` (an IANA zone). `now` must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(zone_name)
    today = now.astimezone(zone).date()
    if rule == PeriodRule.PREVIOUS_DAY:
        first, last = today - timedelta(days=1), today
    elif rule == PeriodRule.PREVIOUS_WEEK:
        this_monday = today - timedelta(days=today.weekday())
        first, last = this_monday - timedelta(days=7), this_monday
    elif rule == PeriodRule.PREVIOUS_MONTH:
        last = today.replace(day=1)
        first = (last - timedelta(days=1)).replace(day=1)
    else:
        raise ValueError(f"unknown period rule {rule!r}; one of {', '.join(PeriodRule)}")
    return _local_midnight_utc(first, zone), _local_midnight_utc(last, zone)
