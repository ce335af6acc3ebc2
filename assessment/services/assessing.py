"""The event-time assessment grid (docs/CONTRACTS.md §12, §13): health, risk, RUL, explanation and
alert transitions at epoch-aligned grid points of event time.

At a grid point g (every ``ASSESSMENT_INTERVAL_MIN`` minutes of event time, aligned to the Unix
epoch) only data with time <= g is used:

* ``as_of`` = time of the newest ``features`` point <= g; the health inputs are that feature point,
  the ``events`` point and the ``scores`` point at ``as_of`` (§9.1);
* staleness: the newest event <= g older than ``stale_after`` (§12) -> ``stale``; the assessment of
  ``as_of`` is kept (not recomputed) and marked stale, only ``no_data`` is evaluated;
* RUL (§11) is computed at whole hours h from the completed hours before h and reused by the grid
  points of that hour.

Each grid point is evaluated in time order; alert transitions are applied once per grid point
(``AssessmentState.alerts_evaluated_until``), so recomputing a range never repeats a transition or a
notification, and running [a, c] at once equals running [a, b] then (b, c].
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from analytics.running import running_mask
from analytics.selectors import ActiveBaseline, baseline_active
from ingestion.models import Asset
from ingestion.timeseries import Point, get_store

from .. import conf
from ..explain import ExplainRecord, Factor, build_factors, explain, parse_rfc3339, rfc3339
from ..health import (
    FACTORS,
    BaselineStat,
    HealthInputs,
    Limits,
    assess_health,
    expected_temperature_rise,
    risk_level,
)
from ..knowledge import KnowledgeIndex
from ..models import RISK_CODES, Assessment, AssessmentState
from ..rul import (
    REASON_NO_BASELINE,
    REASON_NO_DEGRADING_TREND,
    RUL_VERSION,
    RulResult,
    combine_rul,
    estimate_rul,
    estimate_rul_health,
)
from ..selectors import limits_for_asset, stale_after_minutes
from ..supply import at_similar_load
from .alerts import AlertBook, CauseInputs, causes_present, no_data_hit
from .guidance import guidance_build, knowledge_index_for
from .supply import SUPPLY_CAUSES, SupplyEvidence

logger = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
US = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
STALE_WINDOW = timedelta(hours=24)  # median interval window of §12
RUL_WINDOW = timedelta(days=14)  # trend window of §11.1
HEALTH_FLOOR = 40.0

EVENT_FIELDS = [
    "temperature_c",
    "voltage_v",
    "frequency_hz",
    "power_factor",
    "current_a",
    "vibration_rms_mm_s",
    "vibration_kurtosis",
    "rpm",
    "ambient_temperature_c",
]
FEATURE_FIELDS = [
    "vibration_rms_mm_s__mean_15m",
    "current_a__mean_15m",
    "current_a__mean_1h",
    "voltage_v__mean_15m",
    "frequency_hz__mean_15m",
    "power_factor__mean_15m",
    "temperature_c__mean_15m",
    "vibration_kurtosis__mean_15m",
    "vibration_rms_slope_mm_s_per_day",
    "vibration_kurtosis_slope_per_day",
    "vibration_1x_mm_s__mean_15m",
    "vibration_2x_mm_s__mean_15m",
    "envelope_bpfo_g__mean_15m",
    "envelope_bpfi_g__mean_15m",
    "temperature_rise_c",
    "load_factor",
    "baseline_version",
    "running",
    "running_1h",
]
SCORE_FIELDS = ["anomaly_score", "model_version", "n_imputed"]
# Source signal of each factor's baseline statistics (§13.3); the 15-min mean column is the fallback.
BASELINE_SOURCES = {
    "vibration_rms_mm_s": "vibration_rms_mm_s",
    "temperature_c": "temperature_c",
    "voltage_v": "voltage_v",
    "frequency_hz": "frequency_hz",
    "power_factor": "power_factor",
    "current_a": "current_a",
    "temperature_rise_c": "temperature_rise_c",
}


def _us(t: datetime) -> int:
    return (t - EPOCH) // US


def _from_us(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=int(us))


def grid_points(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """Epoch-aligned grid points g with start <= g <= end."""
    step_us = step // US
    first = -(-_us(start) // step_us)  # ceil
    last = _us(end) // step_us
    return [_from_us(k * step_us) for k in range(first, last + 1)]


def _floor_hour(t: datetime) -> datetime:
    return _from_us(_us(t) // HOUR_US * HOUR_US)


def _flag(x: Any) -> bool | None:
    value = _num(x)
    return None if value is None else value == 1.0


def _num(x: Any) -> float | None:
    if x is None or isinstance(x, bool) or isinstance(x, str):
        return None
    x = float(x)
    return x if math.isfinite(x) else None


class _Series:
    """Points of one measurement in time order, with at-or-before and exact lookups."""

    def __init__(self, points: list[Point]) -> None:
        points = sorted(points, key=lambda p: p.time)
        self.times = [p.time for p in points]
        self.fields = [p.fields for p in points]

    def index_at_or_before(self, t: datetime) -> int | None:
        i = bisect.bisect_right(self.times, t) - 1
        return i if i >= 0 else None

    def at(self, t: datetime) -> dict[str, Any] | None:
        i = bisect.bisect_left(self.times, t)
        return self.fields[i] if i < len(self.times) and self.times[i] == t else None


@dataclass
class _Record:
    """Everything stored for one assessment (Assessment row + health point)."""

    as_of: datetime
    evaluated_at: datetime
    health_score: int
    risk_level: str
    overrides: tuple[str, ...]
    rul: RulResult
    stale: bool
    baseline_missing: bool
    baseline_version: int | None
    model_version: int | None
    anomaly_score: float | None
    zone: str | None
    penalties: dict[str, float]
    factors: list[Factor]
    inputs: dict[str, Any]
    explanation: str = ""

    def explain_record(self) -> ExplainRecord:
        lim = self.inputs.get("limits", {})
        return ExplainRecord(
            risk_level=self.risk_level,
            overrides=tuple(self.overrides),
            health_score=self.health_score,
            factors=tuple(self.factors),
            rul=self.rul,
            stale=self.stale,
            newest_event_time=_parse_time(self.inputs.get("newest_event_time")),
            stale_after_s=self.inputs.get("stale_after_s"),
            baseline_missing=self.baseline_missing,
            as_of=self.as_of,
            anomaly_score_time=_parse_time(self.inputs.get("anomaly_score_time")),
            anomaly_not_running=(
                not self.baseline_missing
                and self.anomaly_score is None
                and self.inputs.get("running_1h") is False
            ),
            rul_warning_days=lim.get("rul_warning_days", 7.0),
            rul_critical_days=lim.get("rul_critical_days", 2.0),
        )

    def render(self) -> None:
        self.explanation = explain(self.explain_record())

    def row_fields(self) -> dict[str, Any]:
        r = self.rul
        return {
            "evaluated_at": self.evaluated_at,
            "health_score": self.health_score,
            "risk_level": self.risk_level,
            "risk_code": RISK_CODES[self.risk_level],
            "risk_overrides": list(self.overrides),
            "rul_days": r.rul_days,
            "rul_low_days": r.low_days,
            "rul_high_days": r.high_days,
            "rul_reason": r.reason,
            "rul_channel": r.channel if r.rul_days is not None else None,
            "rul_method": r.method,
            "rul_capped": r.capped,
            "stale": self.stale,
            "baseline_missing": self.baseline_missing,
            "baseline_version": self.baseline_version,
            "model_version": self.model_version,
            "anomaly_score": self.anomaly_score,
            "explanation": self.explanation,
            "factors": [f.to_dict() for f in self.factors],
            "inputs": self.inputs,
        }

    def health_point_fields(self) -> dict[str, Any]:
        r = self.rul
        fields: dict[str, Any] = {
            "health_score": int(self.health_score),
            "risk_level": self.risk_level,
            "risk_code": int(RISK_CODES[self.risk_level]),
            "rul_days": None if r.rul_days is None else float(r.rul_days),
            "rul_low_days": None if r.low_days is None else float(r.low_days),
            "rul_high_days": None if r.high_days is None else float(r.high_days),
            "rul_reason": r.reason,
            "rul_channel": r.channel if r.rul_days is not None else None,
            "rul_capped": bool(r.capped),
            "stale": bool(self.stale),
            "baseline_missing": bool(self.baseline_missing),
            "anomaly_score": None if self.anomaly_score is None else float(self.anomaly_score),
            "vibration_zone": self.zone,
            "overrides": ",".join(self.overrides),
            "baseline_version": self.baseline_version,
            "model_version": self.model_version,
        }
        for name in FACTORS:
            fields[f"penalty_{name}"] = float(self.penalties.get(name, 0.0))
        return fields

    @classmethod
    def from_row(cls, row: Assessment) -> _Record:
        factors = [Factor.from_dict(f) for f in row.factors]
        zone = next((f.zone for f in factors if f.name == "vibration"), None)
        rul = RulResult(
            row.rul_days,
            row.rul_low_days,
            row.rul_high_days,
            row.rul_reason,
            row.rul_method,
            row.rul_capped,
            row.rul_channel or (row.inputs.get("rul") or {}).get("channel") or "vibration",
        )
        return cls(
            as_of=row.as_of,
            evaluated_at=row.evaluated_at,
            health_score=row.health_score,
            risk_level=row.risk_level,
            overrides=tuple(row.risk_overrides),
            rul=rul,
            stale=row.stale,
            baseline_missing=row.baseline_missing,
            baseline_version=row.baseline_version,
            model_version=row.model_version,
            anomaly_score=row.anomaly_score,
            zone=zone,
            penalties={f.name: f.penalty for f in factors},
            factors=factors,
            inputs=dict(row.inputs),
            explanation=row.explanation,
        )


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return parse_rfc3339(str(value))


def explain_record_of(assessment: Assessment) -> ExplainRecord:
    """The ExplainRecord of a stored assessment: ``explain()`` of it reproduces its explanation."""
    return _Record.from_row(assessment).explain_record()


# --- RUL ------------------------------------------------------------------------------------------------


class _HourlyMedians:
    """Hourly medians (UTC hours, placed at mid-hour) of one series, cached per whole hour.

    With ``running`` (a boolean per point, ``analytics.running``), an hour's median is taken over
    its running points and the hour counts only when at least half of its points are running
    (docs/CONTRACTS.md §11.1): a stopped machine's background vibration is not its condition.
    """

    def __init__(self, times_us: np.ndarray, values: np.ndarray, running: np.ndarray | None = None) -> None:
        ok = np.isfinite(values)
        self.t, self.v = times_us[ok], values[ok]
        self.run = (
            np.ones(self.t.shape, dtype=bool) if running is None else np.asarray(running, dtype=bool)[ok]
        )
        self.hours = self.t // HOUR_US
        self._cache: dict[int, float | None] = {}

    def _median(self, hour: int, lo_us: int | None = None) -> float | None:
        a = int(np.searchsorted(self.hours, hour, "left"))
        b = int(np.searchsorted(self.hours, hour, "right"))
        if lo_us is not None:
            a = max(a, int(np.searchsorted(self.t, lo_us, "right")))
        if a >= b:
            return None
        run = self.run[a:b]
        n_run = int(np.count_nonzero(run))
        if n_run == 0 or 2 * n_run < b - a:
            return None
        return float(np.median(self.v[a:b][run]))

    def series(self, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
        """(mid-hour times in days, medians) of the data with start < t < end, end a whole hour."""
        lo_us, hi_us = _us(start), _us(end)
        first_hour, end_hour = lo_us // HOUR_US, hi_us // HOUR_US
        a = int(np.searchsorted(self.hours, first_hour, "left"))
        b = int(np.searchsorted(self.hours, end_hour, "left"))
        present = np.unique(self.hours[a:b])
        times, meds = [], []
        for hour in present.tolist():
            if hour == first_hour:
                m = self._median(hour, lo_us)  # first hour: only t > start (the window is open on the left)
            else:
                if hour not in self._cache:
                    self._cache[hour] = self._median(hour)
                m = self._cache[hour]
            if m is not None:
                times.append((hour * HOUR_US + HOUR_US / 2) / DAY_US)
                meds.append(m)
        return np.asarray(times, dtype=np.float64), np.asarray(meds, dtype=np.float64)


def _baseline_stat(baseline: ActiveBaseline, signal: str, columns: tuple[str, ...] | None = None):
    stats = baseline.stats
    for col in columns or (signal, f"{signal}__mean_15m"):
        if col in stats:
            st = stats.stats(col)
            if math.isfinite(st.mean):
                return st
    return None


def _temperature_rise(ev: dict[str, Any]) -> float | None:
    """Frame temperature over the ambient reading of the same event; None without ambient (the
    room's own swing would then pass for the machine's heating)."""
    t, amb = _num(ev.get("temperature_c")), _num(ev.get("ambient_temperature_c"))
    return None if t is None or amb is None else t - amb


def expected_rise_at(*, baseline: ActiveBaseline | None, feat: dict[str, Any]) -> float | None:
    """The healthy rise over ambient at this row's load (§9.1 temperature rise): the baseline
    median rise scaled up by the load ratio squared above the baseline median 1-h load."""
    if baseline is None or "temperature_rise_c" not in baseline.stats:
        return None
    rise = baseline.stats.stats("temperature_rise_c").p50
    load_stat = _baseline_stat(baseline, "current_a", ("current_a__mean_1h", "current_a__mean_15m"))
    loads = [
        x
        for x in (_num(feat.get("current_a__mean_15m")), _num(feat.get("current_a__mean_1h")))
        if x is not None
    ]
    return expected_temperature_rise(
        healthy_rise_c=rise,
        load_a=max(loads) if loads else None,
        healthy_load_a=None if load_stat is None else load_stat.p50,
    )


# Guidance evidence relative to the asset's own healthy baseline (§15.5): key -> feature column.
# Spectral band values are compared as ratios to the baseline median (their healthy level differs
# by orders of magnitude between machines); power factor and temperature rise as differences.
GUIDANCE_RATIOS = {
    "vibration_1x_ratio": "vibration_1x_mm_s__mean_15m",
    "vibration_2x_ratio": "vibration_2x_mm_s__mean_15m",
    "envelope_bpfo_ratio": "envelope_bpfo_g__mean_15m",
    "envelope_bpfi_ratio": "envelope_bpfi_g__mean_15m",
}
GUIDANCE_DIFFERENCES = {
    # key -> (feature column, baseline column, sign): sign * (value - baseline median)
    "temperature_rise_excess_c": ("temperature_rise_c", "temperature_rise_c", 1.0),
    "power_factor_drop": ("power_factor__mean_15m", "power_factor__mean_15m", -1.0),
}
# What guidance still uses while the machine is not running steadily: the surroundings, not
# readings of the machine's condition (a stopped machine's vibration is its neighbours', its
# kurtosis that of noise, its PF and temperature those of no load).
GUIDANCE_CONTEXT_KEYS = frozenset({"ambient_temperature_c"})


def _steady(rec: _Record) -> bool:
    """Whether the machine runs steadily at the record's as_of (`running_1h`, §6.7): the only
    readings guidance is built from (§15.5). Unknown (no feature point) counts as steady, as
    before this rule."""
    return rec.inputs.get("running_1h") is not False


def guidance_baseline_evidence(
    *, baseline: ActiveBaseline | None, feat: dict[str, Any]
) -> dict[str, float | None]:
    """The guidance's baseline-relative numbers (keys of GUIDANCE_RATIOS and GUIDANCE_DIFFERENCES);
    None where the value, the baseline or its median is missing (old baselines, sensors without
    spectral bands): no evidence, no words."""
    out: dict[str, float | None] = {}
    stats = None if baseline is None else baseline.stats
    for key, col in GUIDANCE_RATIOS.items():
        x = _num(feat.get(col))
        med = stats.stats(col).p50 if stats is not None and col in stats else None
        ok = x is not None and med is not None and math.isfinite(med) and med > 0
        out[key] = round(x / med, 3) if ok else None
    for key, (col, base_col, sign) in GUIDANCE_DIFFERENCES.items():
        x = _num(feat.get(col))
        med = stats.stats(base_col).p50 if stats is not None and base_col in stats else None
        ok = x is not None and med is not None and math.isfinite(med)
        out[key] = round(sign * (x - med), 4) if ok else None
    # An induction motor's PF falls with its load: below the healthy load a lower PF is expected
    # and says nothing about the machine (the same condition as rule:low_pf, §15.1).
    if out.get("power_factor_drop") is not None:
        current = _num(feat.get("current_a__mean_15m"))
        i_stat = _baseline_stat(baseline, "current_a") if baseline is not None else None
        base_current = None if i_stat is None else i_stat.mean
        if current is None or not at_similar_load(current, base_current):
            out["power_factor_drop"] = None
    return out


# --- the run ------------------------------------------------------------------------------------------


class _Run:
    def __init__(self, asset: Asset, state: AssessmentState, grid: list[datetime]) -> None:
        self.asset = asset
        self.state = state
        self.grid = grid
        self.now = timezone.now()
        self.store = get_store()
        self.limits: Limits = limits_for_asset(asset=asset)
        self.stale_base_s = stale_after_minutes(asset=asset) * 60.0
        self.baseline = baseline_active(asset_id=asset.asset_id)
        self.records: dict[datetime, _Record] = {}
        self.health_memory: dict[datetime, int] = {}
        self.rul_cache: dict[datetime, tuple[RulResult, dict[str, Any]]] = {}
        self._stale_after_cache: dict[datetime, float] = {}
        self._index: KnowledgeIndex | None = None
        self.vib = _HourlyMedians(np.zeros(0, dtype=np.int64), np.zeros(0))
        self.vib_load = _HourlyMedians(np.zeros(0, dtype=np.int64), np.zeros(0))
        self.stopped_us: set[int] = (
            set()
        )  # event times (us) of the RUL window at which the machine is stopped
        self.health_stored: dict[datetime, int] = {}
        self.book = AlertBook(asset, now=self.now)

    # -- reads ------------------------------------------------------------------------------------
    def _newest_before(self, measurement: str, t: datetime) -> Point | None:
        pts = self.store.read(
            measurement=measurement,
            asset_id=self.asset.asset_id,
            start=EARLIEST,
            end=t,
            limit=1,
            descending=True,
        )
        return pts[0] if pts else None

    def load(self) -> None:
        first, last = self.grid[0], self.grid[-1]
        end = last + US
        aid = self.asset.asset_id
        anchor_f = self._newest_before("features", first + US)
        anchor_e = self._newest_before("events", first + US)
        f_from = anchor_f.time if anchor_f is not None else first
        # 24 h of staleness/PF history (§12, §15.1) plus the hour that tells a start from steady running
        e_from = (anchor_e.time if anchor_e is not None else first) - STALE_WINDOW - HOUR
        self.features = _Series(
            self.store.read(
                measurement="features", asset_id=aid, start=f_from, end=end, fields=FEATURE_FIELDS
            )
        )
        scores = self.store.read(
            measurement="scores", asset_id=aid, start=f_from, end=end, fields=SCORE_FIELDS
        )
        # the newest score before the range: an as_of where the machine is not running steadily
        # (no score of its own, docs/CONTRACTS.md §6.7) carries the last running score (§9.1)
        anchor_s = self._newest_before("scores", f_from)
        self.scores = _Series(([anchor_s] if anchor_s is not None else []) + scores)
        self.events = _Series(
            self.store.read(measurement="events", asset_id=aid, start=e_from, end=end, fields=EVENT_FIELDS)
        )

    def load_rul_inputs(self, hours: list[datetime]) -> None:
        """Vibration events and health points of the trend windows of the given hours (one read each)."""
        self.vib = _HourlyMedians(np.zeros(0, dtype=np.int64), np.zeros(0))
        self.vib_load = _HourlyMedians(np.zeros(0, dtype=np.int64), np.zeros(0))
        if not hours or self.baseline is None:
            return
        lo = max(min(hours) - RUL_WINDOW, self.baseline.window_end)
        hi = max(hours)
        if lo >= hi:
            return
        aid = self.asset.asset_id
        vib = self.store.read(
            measurement="events",
            asset_id=aid,
            start=lo,
            end=hi,
            fields=["vibration_rms_mm_s", "current_a", "rpm"],
        )

        def column(name: str) -> np.ndarray:
            return np.asarray(
                [np.nan if (x := _num(p.fields.get(name))) is None else x for p in vib], dtype=np.float64
            )

        times_us = np.fromiter((_us(p.time) for p in vib), dtype=np.int64, count=len(vib))
        running = running_mask(
            column("current_a"), float(self.asset.rated_current_a), column("rpm"), float(self.asset.rated_rpm)
        )
        self.vib = _HourlyMedians(times_us, column("vibration_rms_mm_s"), running)
        # operating condition of the vibration channel's hours: current per unit of rated (§11.2 step 5)
        rated = float(self.asset.rated_current_a)
        per_unit = column("current_a") / rated if rated > 0 else np.full(len(vib), np.nan)
        self.vib_load = _HourlyMedians(times_us, per_unit, running)
        self.stopped_us = set(times_us[~running].tolist())
        health = self.store.read(
            measurement="health", asset_id=aid, start=lo, end=hi, fields=["health_score"]
        )
        self.health_stored = {p.time: p.fields["health_score"] for p in health if "health_score" in p.fields}

    # -- staleness ----------------------------------------------------------------------------------
    def stale_after_s(self, newest_index: int) -> float:
        newest = self.events.times[newest_index]
        cached = self._stale_after_cache.get(newest)
        if cached is not None:
            return cached
        lo = bisect.bisect_right(self.events.times, newest - STALE_WINDOW)
        window = self.events.times[lo : newest_index + 1]
        value = self.stale_base_s
        if len(window) >= 3:
            gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(window)]
            value = max(value, 3.0 * statistics.median(gaps))
        self._stale_after_cache[newest] = value
        return value

    # -- RUL --------------------------------------------------------------------------------------------
    def _stored_rul(self, hour: datetime) -> tuple[RulResult, dict[str, Any]] | None:
        """The RUL computed at ``hour`` by an earlier run, from the assessment that carries it."""
        stamp = rfc3339(hour)
        rows = (
            Assessment.objects.filter(asset=self.asset, evaluated_at__gte=hour, evaluated_at__lt=hour + HOUR)
            .order_by("evaluated_at")
            .only(
                "rul_days",
                "rul_low_days",
                "rul_high_days",
                "rul_reason",
                "rul_method",
                "rul_capped",
                "rul_channel",
                "inputs",
            )
        )
        for row in rows:
            detail = row.inputs.get("rul") or {}
            if detail.get("computed_at") == stamp:
                rul = RulResult(
                    row.rul_days,
                    row.rul_low_days,
                    row.rul_high_days,
                    row.rul_reason,
                    row.rul_method,
                    row.rul_capped,
                    row.rul_channel or "vibration",
                )
                return rul, detail
        return None

    def _load_ref(self) -> float | None:
        """Reference operating condition of the RUL: the baseline's median current per unit of rated
        (the condition its p50 vibration was measured at); None without one (rul.py then uses the
        window's median)."""
        st = None if self.baseline is None else _baseline_stat(self.baseline, "current_a")
        rated = float(self.asset.rated_current_a)
        if st is None or not (math.isfinite(st.p50) and rated > 0):
            return None
        return st.p50 / rated

    def rul_at(self, hour: datetime) -> tuple[RulResult, dict[str, Any]]:
        if hour in self.rul_cache:
            return self.rul_cache[hour]
        b = self.baseline
        if b is None or b.window_end > hour:
            result = (
                RulResult(None, None, None, REASON_NO_BASELINE, None, False, "vibration"),
                {"computed_at": rfc3339(hour), "rul_version": RUL_VERSION},
            )
            self.rul_cache[hour] = result
            return result
        trend_start = max(hour - RUL_WINDOW, b.window_end)
        now_days = _us(hour) / DAY_US
        cd = self.limits.zone_boundaries[2]
        vst = _baseline_stat(b, "vibration_rms_mm_s")
        t_v, v = self.vib.series(trend_start, hour)
        if vst is None or not (cd > vst.p50 > 0):
            r_v = RulResult(None, None, None, REASON_NO_DEGRADING_TREND, None, False, "vibration", len(v))
        else:
            upper = vst.p95 if math.isfinite(vst.p95) and vst.p95 > vst.p50 else None
            t_l, load = self.vib_load.series(trend_start, hour)
            by_time = dict(zip(t_l.tolist(), load.tolist(), strict=True))
            load_v = np.asarray([by_time.get(x, np.nan) for x in t_v.tolist()], dtype=np.float64)
            r_v = estimate_rul(
                t_v,
                v,
                healthy_level=vst.p50,
                threshold=cd,
                now=now_days,
                healthy_upper=upper,
                load=load_v,
                load_ref=self._load_ref(),
            )
        merged = dict(self.health_stored)
        merged.update(self.health_memory)
        lo_us, hi_us = _us(trend_start), _us(hour)
        pts = sorted((_us(t), float(h)) for t, h in merged.items() if lo_us < _us(t) < hi_us)
        hm = _HourlyMedians(
            np.asarray([p[0] for p in pts], dtype=np.int64),
            np.asarray([p[1] for p in pts], dtype=np.float64),
            np.asarray([p[0] not in self.stopped_us for p in pts], dtype=bool),
        )
        t_h, h = hm.series(trend_start, hour)
        r_h = estimate_rul_health(t_h, h, HEALTH_FLOOR, now=now_days)
        rul = combine_rul([r_v, r_h])
        detail = {
            "computed_at": rfc3339(hour),
            "rul_version": RUL_VERSION,
            "trend_start": rfc3339(trend_start),
            "threshold_mm_s": cd,
            "healthy_level_mm_s": None if vst is None else vst.p50,
            "load_ref_pu": self._load_ref(),
            "vibration": r_v.to_dict(),
            "health": r_h.to_dict(),
        }
        self.rul_cache[hour] = (rul, detail)
        return rul, detail

    # -- one grid point ---------------------------------------------------------------------------------
    def compute(self, g: datetime, fi: int, newest_event: datetime | None, stale_after: float) -> _Record:
        t = self.features.times[fi]
        feat = self.features.fields[fi]
        ev = self.events.at(t) or {}
        b = self.baseline if self.baseline is not None and self.baseline.window_end <= t else None
        sc, score_time = self._score_for(t, b)
        anomaly = _num(sc.get("anomaly_score")) if b is not None else None
        baseline_missing = b is None
        base_stats: dict[str, BaselineStat] = {}
        if b is not None:
            for key, signal in BASELINE_SOURCES.items():
                st = _baseline_stat(b, signal)
                if st is not None:
                    base_stats[key] = BaselineStat(st.mean, st.std)
        expected_rise = expected_rise_at(baseline=b, feat=feat)
        inputs = HealthInputs(
            vibration_rms_mm_s=_num(feat.get("vibration_rms_mm_s__mean_15m")),
            temperature_c=_num(ev.get("temperature_c")),
            voltage_v=_num(ev.get("voltage_v")),
            rated_voltage_v=float(self.asset.rated_voltage_v),
            frequency_hz=_num(ev.get("frequency_hz")),
            # a machine at rest has no power factor to judge (PF 0 or undefined): no PF penalty (§9.1)
            power_factor=_num(ev.get("power_factor")) if _flag(feat.get("running")) is not False else None,
            current_a=_num(feat.get("current_a__mean_15m")),
            rated_current_a=float(self.asset.rated_current_a),
            anomaly_score=anomaly,
            temperature_rise_c=_temperature_rise(ev),
            expected_temperature_rise_c=expected_rise,
            baseline=base_stats,
        )
        health = assess_health(inputs, self.limits)
        self.health_memory[t] = health.health_score
        rul, rul_detail = self.rul_at(_floor_hour(g))
        risk = risk_level(
            health.health_score,
            health.zone,
            anomaly,
            inputs.temperature_c,
            self.limits,
            inputs.current_ratio,
            rul.rul_days,
            inputs.temperature_rise_excess_c,
        )
        lim = self.limits
        record_inputs = {
            "as_of": rfc3339(t),
            "evaluated_at": rfc3339(g),
            "newest_event_time": None if newest_event is None else rfc3339(newest_event),
            "stale_after_s": stale_after,
            "vibration_rms_mm_s__mean_15m": inputs.vibration_rms_mm_s,
            "current_a__mean_15m": inputs.current_a,
            "temperature_c": inputs.temperature_c,
            "temperature_rise_c": inputs.temperature_rise_c,
            "expected_temperature_rise_c": inputs.expected_temperature_rise_c,
            "voltage_v": inputs.voltage_v,
            "frequency_hz": inputs.frequency_hz,
            "power_factor": inputs.power_factor,
            "anomaly_score": anomaly,
            "anomaly_score_time": None if anomaly is None else rfc3339(score_time),
            "running": _flag(feat.get("running")),
            "running_1h": _flag(feat.get("running_1h")),
            "voltage_v__mean_15m": _num(feat.get("voltage_v__mean_15m")),
            "frequency_hz__mean_15m": _num(feat.get("frequency_hz__mean_15m")),
            "power_factor__mean_15m": _num(feat.get("power_factor__mean_15m")),
            "rated_voltage_v": inputs.rated_voltage_v,
            "rated_current_a": inputs.rated_current_a,
            "n_imputed": sc.get("n_imputed") if b is not None else None,
            "baseline_window_end": None if b is None else rfc3339(b.window_end),
            "limits": {
                "iso_group": lim.iso_group,
                "foundation": lim.foundation,
                "zone_boundaries_mm_s": list(lim.zone_boundaries),
                "temperature_warn_c": lim.temperature_warn_c,
                "temperature_limit_c": lim.temperature_limit_c,
                "voltage_band_pct": lim.voltage_band_pct,
                "power_factor_limit": lim.power_factor_limit,
                "current_limit_pct": lim.current_limit_pct,
                "temperature_rise_excess_onset_k": lim.temperature_rise_excess_onset_k,
                "temperature_rise_excess_limit_k": lim.temperature_rise_excess_limit_k,
                "weights": {k: lim.weight(k) for k in FACTORS},
                "anomaly_critical": lim.anomaly_critical,
                "rul_warning_days": lim.rul_warning_days,
                "rul_critical_days": lim.rul_critical_days,
            },
            "rul": rul_detail,
            "guidance_features": {
                "kurtosis": _num(feat.get("vibration_kurtosis__mean_15m")),
                "kurtosis_slope_per_day": _num(feat.get("vibration_kurtosis_slope_per_day")),
                "vibration_rms_slope_mm_s_per_day": _num(feat.get("vibration_rms_slope_mm_s_per_day")),
                "load_factor": _num(feat.get("load_factor")),
                "ambient_temperature_c": _num(ev.get("ambient_temperature_c")),
                "rpm": _num(ev.get("rpm")),
                **guidance_baseline_evidence(baseline=b, feat=feat),
            },
        }
        model_version = sc.get("model_version") if b is not None else None
        rec = _Record(
            as_of=t,
            evaluated_at=g,
            health_score=health.health_score,
            risk_level=risk.level,
            overrides=risk.overrides,
            rul=rul,
            stale=False,
            baseline_missing=baseline_missing,
            baseline_version=None if b is None else b.version,
            model_version=None if model_version is None else int(model_version),
            anomaly_score=anomaly,
            zone=health.zone,
            penalties=health.penalties,
            factors=build_factors(health, inputs, lim),
            inputs=record_inputs,
        )
        rec.render()
        return rec

    def _score_for(self, t: datetime, b: ActiveBaseline | None) -> tuple[dict[str, Any], datetime]:
        """The score used at ``as_of`` t and its time (§9.1): the score at t; when the machine is
        not running steadily at t (no score there, §6.7), the newest earlier score of the active
        model, i.e. the condition of the machine as it last ran. ``({}, t)`` when there is none."""
        exact = self.scores.at(t)
        if exact is not None or b is None:
            return exact or {}, t
        i = self.scores.index_at_or_before(t)
        if i is None or self.scores.times[i] < b.window_end:
            return {}, t
        fields = self.scores.fields[i]
        if _num(fields.get("model_version")) != b.version:
            return {}, t
        return fields, self.scores.times[i]

    def _stale_record(self, g: datetime, fi: int, newest_event: datetime, stale_after: float) -> _Record:
        """The assessment of the newest data, kept as it was and marked stale at g."""
        t = self.features.times[fi]
        rec = self.records.get(t)
        if rec is None:
            row = Assessment.objects.filter(asset=self.asset, as_of=t).first()
            rec = _Record.from_row(row) if row is not None else self.compute(g, fi, newest_event, stale_after)
        rec.stale = True
        rec.evaluated_at = g
        rec.inputs = {
            **rec.inputs,
            "evaluated_at": rfc3339(g),
            "newest_event_time": rfc3339(newest_event),
            "stale_after_s": stale_after,
        }
        rec.render()
        return rec

    def guidance_for(self, rec: _Record, cause: str) -> dict[str, Any]:
        if self._index is None:
            self._index = knowledge_index_for(tenant=self.asset.tenant)
        feats = rec.inputs.get("guidance_features") or {}
        if not _steady(rec):
            # a stopped (or just started) machine's readings describe no condition (§15.5)
            feats = {k: v for k, v in feats.items() if k in GUIDANCE_CONTEXT_KEYS}
        return guidance_build(
            index=self._index,
            asset=self.asset,
            cause=cause,
            factors=rec.factors,
            features={k: v for k, v in feats.items() if v is not None},
            rpm=feats.get("rpm"),
        )

    # -- the loop -------------------------------------------------------------------------------------------
    def run(self) -> int:
        self.load()
        pf_stat = _baseline_stat(self.baseline, "power_factor") if self.baseline is not None else None
        i_stat = _baseline_stat(self.baseline, "current_a") if self.baseline is not None else None
        self.supply = SupplyEvidence(
            asset=self.asset,
            limits=self.limits,
            events=self.events,
            grid=self.grid,
            step=conf.assessment_interval(),
            baseline_pf=None if pf_stat is None else pf_stat.mean,
            baseline_current=None if i_stat is None else i_stat.mean,
        )
        self.supply.lock_site()
        alerts_until = self.state.alerts_evaluated_until
        plan: list[tuple[datetime, int, int | None, float, bool]] = []
        for g in self.grid:
            fi = self.features.index_at_or_before(g)
            if fi is None:
                continue  # no data yet at g
            ei = self.events.index_at_or_before(g)
            stale_after = self.stale_after_s(ei) if ei is not None else self.stale_base_s
            stale = ei is not None and (g - self.events.times[ei]).total_seconds() > stale_after
            plan.append((g, fi, ei, stale_after, stale))
        # RUL of every grid point's hour (a stale grid point may need a fresh record when none is
        # stored); an hour whose own grid point is not in this run reuses the RUL stored with it
        grid_set = set(self.grid)
        compute = []
        for hour in sorted({_floor_hour(g) for g, *_ in plan}):
            stored = None if hour in grid_set else self._stored_rul(hour)
            if stored is not None:
                self.rul_cache[hour] = stored
            else:
                compute.append(hour)
        self.load_rul_inputs(compute)
        evaluated = 0
        for g, fi, ei, stale_after, stale in plan:
            newest_event = self.events.times[ei] if ei is not None else None
            if stale:
                rec = self._stale_record(g, fi, newest_event, stale_after)  # type: ignore[arg-type]
            else:
                rec = self.compute(g, fi, newest_event, stale_after)
            self.records[rec.as_of] = rec
            evaluated += 1
            if alerts_until is not None and g <= alerts_until:
                continue  # a recomputation: the transitions of g were applied when g was first evaluated
            self._apply_alerts(g, rec, newest_event, stale_after, stale)
            alerts_until = g
        self.flush(alerts_until)
        return evaluated

    def _apply_alerts(self, g, rec: _Record, newest_event, stale_after: float, stale: bool) -> None:
        from ..models import AlertCause

        hits = {}
        if stale:
            hits[AlertCause.NO_DATA] = no_data_hit(self.asset.asset_id, g, newest_event, stale_after)
            self.book.apply(
                at=g,
                hits=hits,
                evaluated={AlertCause.NO_DATA},
                as_of=rec.as_of,
                explanation=None,
                factors=None,
                guidance=lambda cause: self.guidance_for(rec, cause),
            )
            return
        inp = rec.inputs
        sup = self.supply
        k = sup.index(g)
        own = {
            c: sup.own_persistent(c, g) and not sup.site_event_at(c, g) and sup.own_local(c, g)
            for c in (AlertCause.VOLTAGE_BAND, AlertCause.FREQUENCY_BAND)
        }
        hits = causes_present(
            CauseInputs(
                risk_level=rec.risk_level,
                health_score=rec.health_score,
                limits=self.limits,
                rated_voltage_v=float(self.asset.rated_voltage_v),
                rated_current_a=float(self.asset.rated_current_a),
                vibration_mean_15m=inp.get("vibration_rms_mm_s__mean_15m"),
                temperature_c=inp.get("temperature_c"),
                temperature_rise_c=inp.get("temperature_rise_c"),
                expected_temperature_rise_c=inp.get("expected_temperature_rise_c"),
                current_mean_15m=inp.get("current_a__mean_15m"),
                voltage_mean_15m=inp.get("voltage_v__mean_15m"),
                frequency_mean_15m=inp.get("frequency_hz__mean_15m"),
                voltage_persistent=own[AlertCause.VOLTAGE_BAND],
                frequency_persistent=own[AlertCause.FREQUENCY_BAND],
                pf_evaluable=bool(sup.steady_at[k] and sup.similar_load[k]),
                power_factor_energy_24h=_num(sup.pf_energy[k]),
                power_factor_alert_limit=None if rec.baseline_missing else sup.pf_limit,
            )
        )
        self.book.apply(
            at=g,
            hits=hits,
            evaluated=set(AlertCause.values),
            as_of=rec.as_of,
            explanation=rec.explanation,
            factors=[f.to_dict() for f in rec.factors],
            guidance=lambda cause: self.guidance_for(rec, cause),
            guidance_current=_steady(rec),
        )
        if sup.site_due(g):
            if sup.book is None:
                sup.book = AlertBook(None, now=self.now, tenant=self.asset.tenant, site=sup.site)
            sup.book.apply(
                at=g,
                hits=sup.site_hits(g),
                evaluated=set(SUPPLY_CAUSES),
                as_of=None,
                explanation=None,
                factors=sup.site_factors(g),
                guidance=lambda cause: self.guidance_for(rec, cause),
            )
            assert sup.state is not None
            sup.state.evaluated_until = g

    # -- write ------------------------------------------------------------------------------------------------
    def flush(self, alerts_until: datetime | None) -> None:
        if self.records:
            rows = [
                Assessment(asset=self.asset, as_of=rec.as_of, created_at=self.now, **rec.row_fields())
                for rec in self.records.values()
            ]
            update = [*next(iter(self.records.values())).row_fields(), "created_at", "contract_version"]
            Assessment.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["asset", "as_of"],
                update_fields=update,
                batch_size=500,
            )
            self.store.write(
                Point("health", self.asset.asset_id, rec.as_of, rec.health_point_fields())
                for rec in self.records.values()
            )
        times = sorted(self.records)
        ids: dict[datetime, int] = {}
        if times:
            ids = dict(
                Assessment.objects.filter(
                    asset=self.asset, as_of__gte=times[0], as_of__lte=times[-1]
                ).values_list("as_of", "id")
            )
        self.book.flush(assessment_ids=ids)
        if self.supply.book is not None:
            self.supply.book.flush(assessment_ids={})
        if self.supply.state is not None:
            self.supply.state.save(update_fields=["evaluated_until"])
        self.state.alerts_evaluated_until = alerts_until
        self.state.runs += 1
        self.state.last_run_at = self.now
        self.state.save(update_fields=["alerts_evaluated_until", "runs", "last_run_at"])


def _state_for_update(asset: Asset) -> AssessmentState:
    try:
        AssessmentState.objects.get_or_create(asset=asset)
    except IntegrityError:  # created concurrently
        pass
    return AssessmentState.objects.select_for_update().get(asset=asset)


def assessments_run(*, asset_id: str, start: datetime, end: datetime) -> int:
    """Evaluate every grid point g with start <= g <= end (and g <= the newest feature point) in
    event-time order; returns the number of grid points evaluated.

    Called by the analytics pipeline after it wrote features and scores for ``[start, end]``.
    Idempotent: recomputing a grid point replaces its assessment and ``health`` point; alert
    transitions are applied only to grid points after ``alerts_evaluated_until``.  Grid points
    skipped since the previous run (an event-time gap before ``start``) are evaluated first, so a
    gap raises and resolves ``no_data`` in event time.
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (UTC)")
    asset = Asset.objects.select_related("tenant").filter(asset_id=asset_id).first()
    if asset is None or not asset.active:
        return 0
    step = conf.assessment_interval()
    store = get_store()
    newest = store.latest(measurement="features", asset_ids=[asset_id]).get(asset_id)
    if newest is None:
        return 0  # never sent data: nothing to assess (§12)
    with transaction.atomic():
        state = _state_for_update(asset)
        lo = start
        if state.alerts_evaluated_until is not None and state.alerts_evaluated_until + step < start:
            lo = state.alerts_evaluated_until + step
        grid = grid_points(lo, min(end, newest.time), step)
        if not grid:
            return 0
        return _Run(asset, state, grid).run()
