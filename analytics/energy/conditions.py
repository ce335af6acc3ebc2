"""The report's supply-condition quantities (docs/CONTRACTS.md §16.1) summed per UTC hour (pure,
no Django).

A report month holds 43,200 feature points per asset at 60 s; summing them on every report
is what made a fleet report slow. The pipeline keeps these sums per hour in the hourly energy
rollups (§18.3), so a month is 720 points. Every quantity is a sum, a count or a minimum over
the feature points whose time lies in the hour, so adding the hours of a period (and the raw
points of a partly covered hour at its edges) gives the period's figure: the same points,
added in another grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US_PER_HOUR = 3_600_000_000

#: the measurement of the hourly rollups that carry the sums (§18.3)
ROLLUP_MEASUREMENT = "energy"
#: the feature fields the sums are made of (§6.3, §6.4)
FEATURE_FIELDS = (
    "energy_gap_s",
    "interval_s",
    "power_factor",
    "low_pf",
    "voltage_out_of_band",
    "frequency_out_of_band",
)
#: condition flag -> the rollup field holding the seconds it held
FLAG_FIELDS = {
    "low_pf": "cond_low_pf_s",
    "voltage_out_of_band": "cond_voltage_out_of_band_s",
    "frequency_out_of_band": "cond_frequency_out_of_band_s",
}
#: an hour's sums in the rollup point (CONTRACTS §18.3); cond_pf_min is absent without a PF value
SUM_FIELDS = (
    "cond_gap_count",
    "cond_interval_count",
    "cond_pf_count",
    "cond_gap_s",
    "cond_pf_sum",
    *FLAG_FIELDS.values(),
)
MIN_FIELD = "cond_pf_min"
ROLLUP_FIELDS = (*SUM_FIELDS, MIN_FIELD)
_COUNTS = ("cond_gap_count", "cond_interval_count", "cond_pf_count")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass
class ConditionSums:
    """Sums over a set of feature points. ``dur_i = interval_s_i - energy_gap_s_i`` (a missing
    value counts 0) is the time the condition flags of point i held (§16.1)."""

    gap_count: int = 0
    interval_count: int = 0
    pf_count: int = 0
    gap_s: float = 0.0
    pf_sum: float = 0.0
    pf_min: float | None = None
    low_pf_s: float = 0.0
    voltage_out_of_band_s: float = 0.0
    frequency_out_of_band_s: float = 0.0

    def add_point(self, values: Mapping[str, object]) -> None:
        gap = _number(values.get("energy_gap_s"))
        interval = _number(values.get("interval_s"))
        pf = _number(values.get("power_factor"))
        if gap is not None:
            self.gap_count += 1
            self.gap_s += gap
        if interval is not None:
            self.interval_count += 1
        if pf is not None:
            self.pf_count += 1
            self.pf_sum += pf
            self.pf_min = pf if self.pf_min is None else min(self.pf_min, pf)
        dur = (interval or 0.0) - (gap or 0.0)
        if values.get("low_pf") == 1:
            self.low_pf_s += dur
        if values.get("voltage_out_of_band") == 1:
            self.voltage_out_of_band_s += dur
        if values.get("frequency_out_of_band") == 1:
            self.frequency_out_of_band_s += dur

    def add(self, other: ConditionSums) -> None:
        for f in fields(self):
            if f.name == "pf_min":
                continue
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        if other.pf_min is not None:
            self.pf_min = other.pf_min if self.pf_min is None else min(self.pf_min, other.pf_min)

    @property
    def points(self) -> int:
        """Feature points summed (a point carries at least one of the three fields)."""
        return max(self.gap_count, self.interval_count, self.pf_count)

    def rollup_fields(self) -> dict[str, float | int]:
        """The hour's fields as the rollup point stores them."""
        out: dict[str, float | int] = {
            "cond_gap_count": self.gap_count,
            "cond_interval_count": self.interval_count,
            "cond_pf_count": self.pf_count,
            "cond_gap_s": self.gap_s,
            "cond_pf_sum": self.pf_sum,
            "cond_low_pf_s": self.low_pf_s,
            "cond_voltage_out_of_band_s": self.voltage_out_of_band_s,
            "cond_frequency_out_of_band_s": self.frequency_out_of_band_s,
        }
        if self.pf_min is not None:
            out[MIN_FIELD] = self.pf_min
        return out

    @classmethod
    def from_totals(cls, sums: Mapping[str, float | None], pf_min: float | None) -> ConditionSums:
        """From the sums of the rollup fields over some hours (and the min of their PF minima)."""
        return cls(
            gap_count=int(sums.get("cond_gap_count") or 0),
            interval_count=int(sums.get("cond_interval_count") or 0),
            pf_count=int(sums.get("cond_pf_count") or 0),
            gap_s=float(sums.get("cond_gap_s") or 0.0),
            pf_sum=float(sums.get("cond_pf_sum") or 0.0),
            pf_min=pf_min,
            low_pf_s=float(sums.get("cond_low_pf_s") or 0.0),
            voltage_out_of_band_s=float(sums.get("cond_voltage_out_of_band_s") or 0.0),
            frequency_out_of_band_s=float(sums.get("cond_frequency_out_of_band_s") or 0.0),
        )


def points_sums(points: Iterable[Mapping[str, object]]) -> ConditionSums:
    """The sums over feature points (their field mappings)."""
    sums = ConditionSums()
    for values in points:
        sums.add_point(values)
    return sums


def hourly_sums(
    points: Iterable[tuple[datetime, Mapping[str, object]]], first_hour: datetime, n_hours: int
) -> list[ConditionSums]:
    """The sums of each hour ``[first_hour + k h, first_hour + (k + 1) h)``, k < ``n_hours``, over
    the (time, fields) feature points given in time order; points outside are ignored. An hour
    without points has zero sums and no PF minimum."""
    origin = first_hour.astimezone(UTC)
    return _by_hour(
        ((int((time - origin).total_seconds() // 3600), values) for time, values in points), n_hours
    )


def hourly_sums_columns(
    times_us: Sequence[int], columns: Mapping[str, Sequence[object]], first_hour: datetime, n_hours: int
) -> list[ConditionSums]:
    """``hourly_sums`` over feature points read as columns (times in microseconds since the Unix
    epoch, one value per time in each column, None where a point lacks the field)."""
    origin_us = (first_hour.astimezone(UTC) - _EPOCH) // timedelta(microseconds=1)
    names = list(columns)
    rows = (
        dict(zip(names, values, strict=True)) for values in zip(*(columns[n] for n in names), strict=True)
    )
    hours = ((t - origin_us) // _US_PER_HOUR for t in times_us)
    return _by_hour(zip(hours, rows, strict=True), n_hours)


def _by_hour(points: Iterable[tuple[int, Mapping[str, object]]], n_hours: int) -> list[ConditionSums]:
    out = [ConditionSums() for _ in range(n_hours)]
    for k, values in points:
        if 0 <= k < n_hours:
            out[k].add_point(values)
    return out
