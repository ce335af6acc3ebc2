"""Hourly condition sums (§16.1) from feature points given as columns, as a live run reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics.energy.conditions import FEATURE_FIELDS, ConditionSums, hourly_sums, hourly_sums_columns

H0 = datetime(2026, 1, 1, tzinfo=UTC)


def row(gap, interval, pf, low_pf, volt, freq) -> dict[str, object]:
    values = {
        "energy_gap_s": gap,
        "interval_s": interval,
        "power_factor": pf,
        "low_pf": low_pf,
        "voltage_out_of_band": volt,
        "frequency_out_of_band": freq,
    }
    return {name: value for name, value in values.items() if value is not None}


ROWS = [
    (H0 - timedelta(minutes=1), row(0.0, 60.0, 0.5, 1, 0, 0)),  # the hour before: left out
    (H0, row(0.0, 60.0, 0.9, 0, 1, 0)),
    (H0 + timedelta(hours=1, microseconds=-1), row(20.0, 60.0, 0.8, 1, 0, 0)),
    (H0 + timedelta(hours=1), row(None, 60.0, None, None, None, 1)),  # the second hour's first instant
    (H0 + timedelta(hours=2), row(0.0, 60.0, 0.95, 0, 0, 0)),  # after the last hour: left out
]


def _columns() -> tuple[list[int], dict[str, list[object]]]:
    """The rows as a store's read_columns gives them: None where a point lacks a field."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    times = [(t - epoch) // timedelta(microseconds=1) for t, _ in ROWS]
    return times, {name: [values.get(name) for _, values in ROWS] for name in FEATURE_FIELDS}


def test_columns_are_summed_per_hour_with_points_outside_left_out():
    times, columns = _columns()
    first, second = hourly_sums_columns(times, columns, H0, 2)
    assert (first.gap_count, first.interval_count, first.pf_count) == (2, 2, 2)
    assert first.gap_s == 20.0 and first.pf_min == 0.8
    assert first.pf_sum == pytest.approx(1.7)
    # a flag holds for the interval minus its gap: 60 - 20 s of low PF, 60 s out of the voltage band
    assert (first.low_pf_s, first.voltage_out_of_band_s, first.frequency_out_of_band_s) == (40.0, 60.0, 0.0)
    assert second == ConditionSums(interval_count=1, frequency_out_of_band_s=60.0)


def test_columns_give_the_sums_of_the_same_points_as_mappings():
    times, columns = _columns()
    assert hourly_sums_columns(times, columns, H0, 3) == hourly_sums(ROWS, H0, 3)


def test_a_first_hour_given_in_another_zone_is_the_same_instant():
    times, columns = _columns()
    ist = H0.astimezone(ZoneInfo("Asia/Kolkata"))  # 05:30 local
    assert hourly_sums_columns(times, columns, ist, 2) == hourly_sums_columns(times, columns, H0, 2)
