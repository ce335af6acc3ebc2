"""Event-time arithmetic of the assessment grid (docs/CONTRACTS.md §13.1): epoch-aligned grid points
and whole hours, in integer microseconds so that a grid point is the same instant in every run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


def us(t: datetime) -> int:
    return (t - EPOCH) // US


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(value))


def grid_points(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Epoch-aligned grid points g with start <= g <= end."""
    step_us = step // US
    first = -(-us(start) // step_us)  # ceil
    last = us(end) // step_us
    return [from_us(k * step_us) for k in range(first, last + 1)]


def floor_hour(t: datetime) -> datetime:
    return from_us(us(t) // HOUR_US * HOUR_US)
