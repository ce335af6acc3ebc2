"""The RUL of a run's grid points (docs/CONTRACTS.md §11): computed at whole hours h from the completed
hours before h, once per hour, and reused by every grid point of that hour.

Two channels feed ``assessment.rul``: hourly medians of vibration RMS while the machine runs (with
the hour's load, the operating condition the vibration follows), and hourly medians of the health
score the run itself produces.  An hour whose grid point is not in this run reuses the RUL stored
with that grid point's assessment, so a live stream (one grid point per call) computes each hour's
RUL once, as a backfill does.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from analytics.running import running_mask
from analytics.selectors import ActiveBaseline
from ingestion.models import Asset
from ingestion.timeseries import TimeSeriesStore

from ...explain import rfc3339
from ...health import Limits
from ...models import Assessment
from ...rul import (
    REASON_NO_BASELINE,
    REASON_NO_DEGRADING_TREND,
    RUL_VERSION,
    RulResult,
    combine_rul,
    estimate_rul,
    estimate_rul_health,
)
from .clock import DAY_US, HOUR, HOUR_US, us
from .evidence import baseline_stat
from .series import num

RUL_WINDOW = timedelta(days=14)  # trend window of §11.1
HEALTH_FLOOR = 40.0

RulDetail = dict[str, Any]


class HourlyMedians:
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
        lo_us, hi_us = us(start), us(end)
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


def _empty() -> HourlyMedians:
    return HourlyMedians(np.zeros(0, dtype=np.int64), np.zeros(0))


class GridRul:
    """The RUL per whole hour of one run, and the inputs of its trend windows."""

    def __init__(
        self, *, asset: Asset, baseline: ActiveBaseline | None, limits: Limits, store: TimeSeriesStore
    ) -> None:
        self.asset = asset
        self.baseline = baseline
        self.limits = limits
        self.store = store
        self.cache: dict[datetime, tuple[RulResult, RulDetail]] = {}
        #: health scores this run computed (as_of -> score): the health channel's newest points
        self.health_memory: dict[datetime, int] = {}
        self.vib = _empty()
        self.vib_load = _empty()
        self.stopped_us: set[int] = (
            set()
        )  # event times (us) of the RUL window at which the machine is stopped
        self.health_stored: dict[datetime, Any] = {}  # stored health scores (ints) by time

    def stored(self, hour: datetime) -> tuple[RulResult, RulDetail] | None:
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

    def load_inputs(self, hours: list[datetime]) -> None:
        """Vibration events and health points of the trend windows of the given hours (one read each)."""
        self.vib = _empty()
        self.vib_load = _empty()
        if not hours or self.baseline is None:
            return
        lo = max(min(hours) - RUL_WINDOW, self.baseline.window_end)
        hi = max(hours)
        if lo >= hi:
            return
        aid = self.asset.asset_id
        times, cols = self.store.read_columns(
            measurement="events",
            asset_id=aid,
            start=lo,
            end=hi,
            fields=["vibration_rms_mm_s", "current_a", "rpm"],
        )

        def column(name: str) -> np.ndarray:
            return np.asarray([np.nan if (x := num(v)) is None else x for v in cols[name]], dtype=np.float64)

        times_us = np.asarray(times, dtype=np.int64)
        running = running_mask(
            column("current_a"), float(self.asset.rated_current_a), column("rpm"), float(self.asset.rated_rpm)
        )
        self.vib = HourlyMedians(times_us, column("vibration_rms_mm_s"), running)
        # operating condition of the vibration channel's hours: current per unit of rated (§11.2 step 5)
        rated = float(self.asset.rated_current_a)
        per_unit = column("current_a") / rated if rated > 0 else np.full(len(times), np.nan)
        self.vib_load = HourlyMedians(times_us, per_unit, running)
        self.stopped_us = set(times_us[~running].tolist())
        health = self.store.read(
            measurement="health", asset_id=aid, start=lo, end=hi, fields=["health_score"]
        )
        self.health_stored = {p.time: p.fields["health_score"] for p in health if "health_score" in p.fields}

    def load_ref(self) -> float | None:
        """Reference operating condition of the RUL: the baseline's median current per unit of rated
        (the condition its p50 vibration was measured at); None without one (rul.py then uses the
        window's median)."""
        st = None if self.baseline is None else baseline_stat(self.baseline, "current_a")
        rated = float(self.asset.rated_current_a)
        if st is None or not (math.isfinite(st.p50) and rated > 0):
            return None
        return st.p50 / rated

    def at(self, hour: datetime) -> tuple[RulResult, RulDetail]:
        """The combined RUL of both channels at a whole hour, and its detail for the record."""
        if hour in self.cache:
            return self.cache[hour]
        b = self.baseline
        if b is None or b.window_end > hour:
            result = (
                RulResult(None, None, None, REASON_NO_BASELINE, None, False, "vibration"),
                {"computed_at": rfc3339(hour), "rul_version": RUL_VERSION},
            )
            self.cache[hour] = result
            return result
        trend_start = max(hour - RUL_WINDOW, b.window_end)
        now_days = us(hour) / DAY_US
        cd = self.limits.zone_boundaries[2]
        vst = baseline_stat(b, "vibration_rms_mm_s")
        r_v = self._vibration(b, trend_start, hour, now_days)
        r_h = self._health(trend_start, hour, now_days)
        rul = combine_rul([r_v, r_h])
        detail = {
            "computed_at": rfc3339(hour),
            "rul_version": RUL_VERSION,
            "trend_start": rfc3339(trend_start),
            "threshold_mm_s": cd,
            "healthy_level_mm_s": None if vst is None else vst.p50,
            "load_ref_pu": self.load_ref(),
            "vibration": r_v.to_dict(),
            "health": r_h.to_dict(),
        }
        self.cache[hour] = (rul, detail)
        return rul, detail

    def _vibration(
        self, b: ActiveBaseline, trend_start: datetime, hour: datetime, now_days: float
    ) -> RulResult:
        """The vibration channel: hourly running medians towards the zone C/D boundary."""
        cd = self.limits.zone_boundaries[2]
        vst = baseline_stat(b, "vibration_rms_mm_s")
        t_v, v = self.vib.series(trend_start, hour)
        if vst is None or not (cd > vst.p50 > 0):
            return RulResult(None, None, None, REASON_NO_DEGRADING_TREND, None, False, "vibration", len(v))
        upper = vst.p95 if math.isfinite(vst.p95) and vst.p95 > vst.p50 else None
        t_l, load = self.vib_load.series(trend_start, hour)
        by_time = dict(zip(t_l.tolist(), load.tolist(), strict=True))
        load_v = np.asarray([by_time.get(x, np.nan) for x in t_v.tolist()], dtype=np.float64)
        return estimate_rul(
            t_v,
            v,
            healthy_level=vst.p50,
            threshold=cd,
            now=now_days,
            healthy_upper=upper,
            load=load_v,
            load_ref=self.load_ref(),
        )

    def _health(self, trend_start: datetime, hour: datetime, now_days: float) -> RulResult:
        """The health channel: hourly medians of the stored and just computed health scores."""
        merged = dict(self.health_stored)
        merged.update(self.health_memory)
        lo_us, hi_us = us(trend_start), us(hour)
        pts = sorted((us(t), float(h)) for t, h in merged.items() if lo_us < us(t) < hi_us)
        hm = HourlyMedians(
            np.asarray([p[0] for p in pts], dtype=np.int64),
            np.asarray([p[1] for p in pts], dtype=np.float64),
            np.asarray([p[0] not in self.stopped_us for p in pts], dtype=bool),
        )
        t_h, h = hm.series(trend_start, hour)
        return estimate_rul_health(t_h, h, HEALTH_FLOOR, now=now_days)
