"""Rollups are read from the packed field (one field per hour) and give the same floats as the
twenty numeric fields, on both time-series stores; older points without it still read right."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from analytics.energy.blocks import (
    PACKED_FIELD,
    QUANTITIES,
    Blocks,
    blocks_from_packed,
    hour_fields,
    hour_packed,
)
from analytics.energy.calendar import block_of
from analytics.energy.selectors import rollup_blocks, rollup_blocks_unpacked
from ingestion.timeseries import Point, get_store

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def random_blocks(n_hours: int) -> Blocks:
    """Floats with every bit of the mantissa in use, zeros and negative values (a loss below
    the model), so any rounding on the way would show."""
    rng = np.random.default_rng(18)
    first = block_of(T0)
    values = {q: rng.standard_normal(2 * n_hours) * 10.0 ** rng.integers(-3, 4) for q in QUANTITIES}
    values["idle_s"][::3] = 0.0
    return Blocks(first, values)


def write_hours(blocks: Blocks, hours: range, packed: bool) -> None:
    points = []
    for h in hours:
        fields: dict = hour_fields(blocks, 2 * h)
        if packed:
            fields[PACKED_FIELD] = hour_packed(blocks, 2 * h)
        fields["baseline_version"] = 1
        points.append(Point("energy", "M-1", T0 + timedelta(hours=h), fields))
    get_store().write(points)


def assert_same(a: Blocks, b: Blocks) -> None:
    assert a.first == b.first and a.n == b.n
    for q in QUANTITIES:
        assert a.values[q].tobytes() == b.values[q].tobytes(), q


def test_packed_read_gives_the_same_floats_as_the_twenty_fields_on_both_stores(energy_store):
    blocks = random_blocks(60)
    write_hours(blocks, range(60), packed=True)
    first = blocks.first
    # a range that starts and ends mid-hour and reaches past the stored hours
    fast = rollup_blocks(asset_id="M-1", first=first + 3, end=first + 130)
    slow = rollup_blocks_unpacked(asset_id="M-1", first=first + 3, end=first + 130)
    assert_same(fast, slow)
    for q in QUANTITIES:
        assert fast.values[q][:117].tobytes() == blocks.values[q][3:120].tobytes(), q
        assert not fast.values[q][117:].any()


def test_hours_written_without_the_packed_field_are_read_from_the_numeric_fields(energy_store):
    blocks = random_blocks(30)
    write_hours(blocks, range(0, 10), packed=False)
    write_hours(blocks, range(10, 30), packed=True)
    read = rollup_blocks(asset_id="M-1", first=blocks.first, end=blocks.first + 60)
    assert_same(read, blocks)


def test_packed_value_of_the_wrong_length_is_refused():
    blocks = random_blocks(2)
    good = hour_packed(blocks, 0)
    one_hour = Blocks(blocks.first, {q: blocks.values[q][:2] for q in QUANTITIES})
    assert_same(blocks_from_packed(blocks.first, 2, [blocks.first // 2], [good]), one_hour)
    with pytest.raises(ValueError, match="20 float64"):
        blocks_from_packed(blocks.first, 2, [blocks.first // 2], [good[:-4]])
    with pytest.raises(ValueError, match="base64"):
        blocks_from_packed(blocks.first, 2, [blocks.first // 2], ["not base64!"])
