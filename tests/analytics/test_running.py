"""The shared "machine is running" rule (analytics/running.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.running import RUNNING_MIN_FRACTION, is_running, running_mask

RATED = 28.0
RATED_RPM = 1480.0


@pytest.mark.parametrize(
    ("current", "rpm", "expected"),
    [
        (20.0, None, True),  # loaded, no speed sensor
        (0.32 * RATED, None, True),  # unloaded induction motor: magnetising current only
        (0.1 * RATED, None, True),  # the limit belongs to "running"
        (2.8, None, True),  # ... also when written as a decimal (0.1 x 28 rounds up in binary)
        (0.099 * RATED, None, False),
        (0.0, None, False),  # stopped
        (20.0, 1480.0, True),
        (20.0, 0.0, False),  # current but a stalled / stopped shaft
        (20.0, 147.0, False),  # creeping below 10 % of rated speed
        (20.0, 148.0, True),  # 10 % of rated speed
        (0.0, 300.0, False),  # coasting down: turning but not driven
        (20.0, math.nan, True),  # NaN rpm = not reported
        (None, 1480.0, False),  # no current reading: nothing says it runs
        (math.nan, None, False),
    ],
)
def test_is_running(current, rpm, expected):
    assert RUNNING_MIN_FRACTION == 0.10
    assert is_running(current_a=current, rated_current_a=RATED, rpm=rpm, rated_rpm=RATED_RPM) is expected
    # without a rated speed the rpm decides nothing
    if current is not None and not math.isnan(current):
        assert is_running(current_a=current, rated_current_a=RATED, rpm=rpm) is (current >= 2.8)


def test_mask_equals_the_scalar_rule():
    rng = np.random.default_rng(0)
    cur = np.concatenate([rng.uniform(0, 30, 200), [np.nan, 2.8, 2.79, 0.0]])
    rpm = np.concatenate([rng.choice([0.0, 100.0, 1480.0, np.nan], 200), [1480.0, np.nan, np.nan, 1480.0]])
    mask = running_mask(cur, RATED, rpm, RATED_RPM)
    expected = [
        is_running(
            current_a=None if np.isnan(c) else float(c),
            rated_current_a=RATED,
            rpm=float(r),
            rated_rpm=RATED_RPM,
        )
        for c, r in zip(cur, rpm, strict=True)
    ]
    assert mask.tolist() == expected
    assert mask[-3:].tolist() == [True, False, False]  # 2.8 A runs, 2.79 A does not, 0 A with rpm does not
    assert running_mask(cur, RATED).tolist() == [
        is_running(current_a=None if np.isnan(c) else float(c), rated_current_a=RATED) for c in cur
    ]


def test_no_rated_current_means_not_running():
    assert not is_running(current_a=20.0, rated_current_a=0.0)
    assert not running_mask(np.array([20.0]), 0.0).any()
