"""Site-local time on the 30-minute block grid: shifts, day types, buckets, billing months.

Energy is kept per 30-minute block aligned to UTC (block ``k`` covers ``[k x 1800 s,
(k + 1) x 1800 s)`` since the Unix epoch). A site's time zone has whole half-hour offsets
(``ingestion.site_rules``) and its shifts and time-of-day slots start on whole half-hours,
so every site-local hour, day, shift, month and slot is a whole number of blocks and every
block lies in exactly one of each. Everything here works on arrays of block numbers and
imports no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from ingestion.site_rules import WEEKDAYS, clock_slot

BLOCK_S = 1800
BLOCKS_PER_DAY = 48
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
BUCKETS = ("hour", "shift", "day", "month")


@dataclass(frozen=True)
class Shift:
    name: str
    start_slot: int  # half-hour of the site day, 0..47
    end_slot: int


def block_of(moment: datetime) -> int:
    """The block containing an aware instant."""
    return int((moment - EPOCH).total_seconds() // BLOCK_S)


def block_start(block: int) -> datetime:
    return EPOCH + timedelta(seconds=int(block) * BLOCK_S)


def on_block_grid(moment: datetime) -> bool:
    return (moment - EPOCH) % timedelta(seconds=BLOCK_S) == timedelta(0)


@dataclass(frozen=True)
class SiteCalendar:
    """A site's local time, shifts (covering the day) and weekly off days."""

    timezone: str
    shifts: tuple[Shift, ...]
    weekly_off: frozenset[int]  # 0 = Monday

    @classmethod
    def build(cls, *, timezone: str, shifts: Sequence[dict], weekly_off_days: Iterable[str]) -> SiteCalendar:
        parsed = tuple(Shift(s["name"], clock_slot(s["start"]), clock_slot(s["end"])) for s in shifts)
        return cls(timezone, parsed, frozenset(WEEKDAYS.index(d) for d in weekly_off_days))

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def shift_of_slot(self) -> np.ndarray:
        """Shift index of each half-hour slot of the site day (shifts cover the day)."""
        table = np.full(BLOCKS_PER_DAY, -1, dtype=np.int64)
        for i, shift in enumerate(self.shifts):
            slot = shift.start_slot
            while True:
                table[slot] = i
                slot = (slot + 1) % BLOCKS_PER_DAY
                if slot == shift.end_slot:
                    break
        return table

    @cached_property
    def wraps(self) -> np.ndarray:
        """Per slot: 1 when the slot lies after midnight in a shift that started the day before."""
        table = np.zeros(BLOCKS_PER_DAY, dtype=np.int64)
        for slot in range(BLOCKS_PER_DAY):
            shift = self.shifts[self.shift_of_slot[slot]]
            if shift.start_slot > shift.end_slot and slot < shift.end_slot:
                table[slot] = 1
        return table

    @cached_property
    def _offsets(self) -> dict[int, int]:
        """UTC offsets already looked up (a summary asks the same days several times)."""
        return {}

    def offset_s(self, moment_s: int) -> int:
        found = self._offsets.get(moment_s)
        if found is None:
            offset = datetime.fromtimestamp(moment_s, UTC).astimezone(self.zone).utcoffset()
            found = int(offset.total_seconds()) if offset is not None else 0
            if len(self._offsets) < 100_000:
                self._offsets[moment_s] = found
        return found

    def local_seconds(self, blocks: np.ndarray) -> np.ndarray:
        """Site-local wall-clock seconds since 1970-01-01 00:00 (local) of each block start.

        The offset is looked up once per UTC day; a day whose offset differs at its two ends
        (a daylight-saving change) is looked up block by block.
        """
        blocks = np.asarray(blocks, dtype=np.int64)
        if not blocks.size:
            return blocks.copy()
        days = blocks // BLOCKS_PER_DAY
        uniq = np.unique(days)
        start_off = np.array([self.offset_s(int(d) * 86400) for d in uniq], dtype=np.int64)
        end_off = np.array([self.offset_s(int(d + 1) * 86400) for d in uniq], dtype=np.int64)
        where = np.searchsorted(uniq, days)
        offsets = start_off[where]
        changing = np.flatnonzero((start_off != end_off)[where])
        for i in changing.tolist():
            offsets[i] = self.offset_s(int(blocks[i]) * BLOCK_S)
        return blocks * BLOCK_S + offsets

    def attributes(self, blocks: np.ndarray) -> BlockAttributes:
        local = self.local_seconds(blocks)
        day = local // 86400
        slot = (local % 86400) // BLOCK_S
        shift = self.shift_of_slot[slot]
        shift_day = day - self.wraps[slot]
        weekday = (shift_day + 3) % 7  # 1970-01-01 was a Thursday
        off = np.isin(weekday, np.fromiter(self.weekly_off, dtype=np.int64, count=len(self.weekly_off)))
        month = day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        return BlockAttributes(
            local=local, day=day, slot=slot, shift=shift, shift_day=shift_day, off=off, month=month
        )

    def local_midnight_block(self, day: date) -> int:
        """The block that starts at 00:00 site time of a local date."""
        moment = datetime(day.year, day.month, day.day, tzinfo=self.zone).astimezone(UTC)
        return block_of(moment)

    def local_midnight_block_of_day(self, day: int) -> int:
        """``local_midnight_block`` of a local day number (days since 1970-01-01)."""
        return self.local_midnight_block(date(1970, 1, 1) + timedelta(days=day))

    def month_blocks(self, month_index: int) -> tuple[int, int]:
        """[first, end) blocks of a site-local calendar month (months since 1970-01)."""
        year, month = 1970 + month_index // 12, month_index % 12 + 1
        nxt_year, nxt_month = (year, month + 1) if month < 12 else (year + 1, 1)
        return self.local_midnight_block(date(year, month, 1)), self.local_midnight_block(
            date(nxt_year, nxt_month, 1)
        )

    def local_iso(self, block: int) -> str:
        return block_start(block).astimezone(self.zone).isoformat()


@dataclass(frozen=True)
class BlockAttributes:
    """Site-local facts of each block: wall-clock seconds, local day number, half-hour slot of
    the day, shift index and the local day the shift started on, whether that day is a weekly
    off day, and the local month (months since 1970-01)."""

    local: np.ndarray
    day: np.ndarray
    slot: np.ndarray
    shift: np.ndarray
    shift_day: np.ndarray
    off: np.ndarray
    month: np.ndarray

    def bucket_keys(self, bucket: str) -> np.ndarray:
        if bucket == "hour":
            return self.local // 3600
        if bucket == "day":
            return self.day
        if bucket == "shift":
            return self.shift_day * 64 + self.shift
        if bucket == "month":
            return self.month
        raise ValueError(f"unknown bucket {bucket!r}; known: {', '.join(BUCKETS)}")


def bucket_label(bucket: str, calendar: SiteCalendar, attrs: BlockAttributes, i: int) -> str:
    """Human label of the bucket holding block position ``i``, in site-local time."""
    local = datetime(1970, 1, 1) + timedelta(seconds=int(attrs.local[i]))
    if bucket == "hour":
        return local.strftime("%Y-%m-%d %H:00")
    if bucket == "day":
        return local.strftime("%Y-%m-%d")
    if bucket == "month":
        return local.strftime("%Y-%m")
    started = date(1970, 1, 1) + timedelta(days=int(attrs.shift_day[i]))
    return f"{started.isoformat()} {calendar.shifts[int(attrs.shift[i])].name}"


def group_runs(keys: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) positions of the runs of equal consecutive keys."""
    if not keys.size:
        return []
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [keys.size]])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
