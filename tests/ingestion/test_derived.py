"""Derived electrical signals: the contract's formulas, per reading, for a whole column at once."""

from __future__ import annotations

import math
import random

import pytest

from ingestion.derived import derived_columns


def test_three_phase_and_single_phase_follow_the_contract_formulas():
    apparent, active, reactive = derived_columns(
        voltage_v=[415.0, 230.0], current_a=[20.0, 4.0], power_factor=[0.8, 0.9], three_phase=[True, False]
    )

    assert apparent == pytest.approx([math.sqrt(3) * 415 * 20 / 1000, 230 * 4 / 1000])
    assert active == pytest.approx([math.sqrt(3) * 415 * 20 / 1000 * 0.8, 230 * 4 / 1000 * 0.9])
    assert reactive == pytest.approx([math.sqrt(3) * 415 * 20 / 1000 * 0.6, 230 * 4 / 1000 * math.sqrt(0.19)])


def test_unity_and_zero_power_factor_put_all_power_in_one_component():
    apparent, active, reactive = derived_columns(
        voltage_v=[230.0, 230.0], current_a=[10.0, 10.0], power_factor=[1.0, 0.0], three_phase=[False, False]
    )

    assert active == [2.3, 0.0]
    assert reactive == [0.0, 2.3]
    assert apparent == [2.3, 2.3]


def test_each_value_is_bit_for_bit_the_formula_of_that_reading_alone():
    """Vectorised: the same IEEE operations in the same order as Python floats, one reading at a time."""
    rng = random.Random(3)
    n = 2000
    v = [rng.uniform(0.001, 1000.0) for _ in range(n)]
    i = [rng.uniform(0.0, 10_000.0) for _ in range(n)]
    pf = [rng.choice([0.0, 1.0, rng.random()]) for _ in range(n)]
    three = [rng.random() < 0.5 for _ in range(n)]

    apparent, active, reactive = derived_columns(voltage_v=v, current_a=i, power_factor=pf, three_phase=three)

    for k in range(n):
        s = (math.sqrt(3.0) if three[k] else 1.0) * v[k] * i[k] / 1000.0
        assert (apparent[k], active[k], reactive[k]) == (s, s * pf[k], s * math.sqrt(1.0 - pf[k] * pf[k]))
        assert type(apparent[k]) is float


def test_an_empty_batch_derives_nothing():
    assert derived_columns(voltage_v=[], current_a=[], power_factor=[], three_phase=[]) == ([], [], [])
