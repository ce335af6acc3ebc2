"""The period a scheduled report covers: the previous whole local day, ISO week or month."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reporting.schedules.periods import previous_period


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_previous_day_is_yesterdays_local_midnights_in_utc():
    # 2026-03-10 06:00 IST = 00:30 UTC; yesterday in Kolkata is 2026-03-09, 00:00 IST = 18:30 UTC the day before
    start, end = previous_period(rule="previous_day", now=utc(2026, 3, 10, 0, 30), zone_name="Asia/Kolkata")
    assert (start, end) == (utc(2026, 3, 8, 18, 30), utc(2026, 3, 9, 18, 30))


def test_previous_day_depends_on_the_local_date_not_the_utc_date():
    # 20:00 UTC on the 9th is already 01:30 on the 10th in Kolkata
    start, _ = previous_period(rule="previous_day", now=utc(2026, 3, 9, 20, 0), zone_name="Asia/Kolkata")
    assert start == utc(2026, 3, 8, 18, 30)
    start, _ = previous_period(rule="previous_day", now=utc(2026, 3, 9, 20, 0), zone_name="UTC")
    assert start == utc(2026, 3, 8)


def test_previous_week_runs_monday_to_monday():
    # Wednesday 2026-03-11 (UTC): the previous ISO week is Mon 2026-03-02 .. Mon 2026-03-09
    assert previous_period(rule="previous_week", now=utc(2026, 3, 11, 12), zone_name="UTC") == (
        utc(2026, 3, 2),
        utc(2026, 3, 9),
    )
    # run on the Monday itself: the week that just ended
    assert previous_period(rule="previous_week", now=utc(2026, 3, 9, 0, 5), zone_name="UTC")[1] == utc(
        2026, 3, 9
    )


def test_previous_month_spans_the_calendar_month_including_january_after_december():
    assert previous_period(rule="previous_month", now=utc(2026, 3, 1, 6), zone_name="UTC") == (
        utc(2026, 2, 1),
        utc(2026, 3, 1),
    )
    assert previous_period(rule="previous_month", now=utc(2027, 1, 15), zone_name="UTC") == (
        utc(2026, 12, 1),
        utc(2027, 1, 1),
    )


def test_a_day_across_a_daylight_saving_change_has_23_hours():
    # Europe/Berlin springs forward on 2026-03-29: that local day is 23 h long
    start, end = previous_period(rule="previous_day", now=utc(2026, 3, 30, 5), zone_name="Europe/Berlin")
    assert (start, end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))
    assert (end - start).total_seconds() == 23 * 3600


def test_rejects_unknown_rule_and_naive_now():
    with pytest.raises(ValueError, match="unknown period rule"):
        previous_period(rule="previous_year", now=utc(2026, 1, 1), zone_name="UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        previous_period(rule="previous_day", now=datetime(2026, 1, 1), zone_name="UTC")
