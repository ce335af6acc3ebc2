"""The vectorised JSON writer prints numbers like '%.Nf' and lines that json.loads reads back."""

from __future__ import annotations

import json

import numpy as np
import pytest

from generator.fastjson import Decimal, assemble, fixed_decimal, text_table


@pytest.mark.parametrize(
    ("decimals", "int_digits", "lo", "hi"), [(2, 4, -1000, 1000), (4, 1, 0, 1), (1, 6, 0, 1e5)]
)
def test_fixed_decimal_numbers_read_back_within_half_a_unit_of_the_last_place(decimals, int_digits, lo, hi):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(lo, hi, 20_000), [lo, hi, 0.0, -0.0, (lo + hi) / 2]])
    values = values[np.abs(values) < 10**int_digits - 1]
    raw = fixed_decimal(values, decimals, int_digits)
    texts = [bytes(row[row != 0]).decode() for row in raw]
    for v, text in zip(values.tolist(), texts, strict=True):
        assert abs(float(text) - v) <= 0.5 * 10**-decimals + 1e-9, (v, text)
        assert text.split(".")[-1].__len__() == decimals
        halfway = abs(abs(v) * 10**decimals % 1 - 0.5) < 1e-6
        assert float(text) == float(f"{v:.{decimals}f}") or halfway, (v, text)


def test_negative_numbers_and_small_magnitudes_keep_sign_and_leading_zero():
    raw = fixed_decimal(np.array([-3.14159, 0.05, -0.5, 12.0, -49.999]), 2, 2)
    texts = [bytes(row[row != 0]).decode() for row in raw]
    assert texts == ["-3.14", "0.05", "-0.50", "12.00", "-50.00"]


def test_assembled_lines_are_compact_json():
    ids = text_table(["MTR-001", "CMP-0042"])
    data = assemble(['{"asset_id":"', ids, '","v":', Decimal(np.array([1.5, -20.25]), 2, 3), "}\n"], 2)
    lines = data.decode().splitlines()
    assert lines == ['{"asset_id":"MTR-001","v":1.50}', '{"asset_id":"CMP-0042","v":-20.25}']
    assert [json.loads(x)["v"] for x in lines] == [1.5, -20.25]
