"""Supply and power-factor evidence of one assessment run (docs/CONTRACTS.md §15.1, §15.6).

Why: a sag or a frequency excursion reaches every machine on the site bus at once; raising it once per
machine buries the real alerts. The run therefore decides, per grid point, whether a voltage or
frequency condition is a **site** event (most reporting assets of the asset's supply site out of band)
or the asset's **own** (local feeder, terminal) problem. Site alerts are applied by the first asset run
of the site that reaches a grid point (``SiteSupplyState.evaluated_until``), from the raw events of all
the site's assets, so the verdict at a grid point does not depend on which asset's run evaluates it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError

from analytics.running import running_mask
from ingestion.models import Asset
from ingestion.timeseries import get_store

from ..health import Limits
from ..models import AlertCause, SiteSupplyState
from ..selectors import limits_for_asset
from ..supply import (
    LOCAL_MARGIN,
    MEAN_MIN_EVENTS,
    MEAN_WINDOW_US,
    SiteReading,
    at_similar_load,
    energy_power_factor,
    frequency_alert_band,
    local_deviation,
    low_pf_limit,
    site_event,
    steady_mask,
    window_means,
    window_steady_mean,
)
from .alert_causes import CauseHit, frequency_hit
from .alerts import AlertBook

US = timedelta(microseconds=1)
SUPPLY_CAUSES = (AlertCause.VOLTAGE_BAND, AlertCause.FREQUENCY_BAND)


@dataclass(frozen=True)
class _Member:
    asset_id: str
    rated_voltage_v: float
    voltage_band_pct: float
    frequency_band: tuple[float, float]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(t: datetime) -> int:
    return (t - EPOCH) // US


def _arrays(series, names: list[str]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    times = np.array([_us(t) for t in series.times], dtype=np.int64)
    cols = {}
    for n in names:
        cols[n] = np.array(
            [
                np.nan if (v := f.get(n)) is None or isinstance(v, (bool, str)) else float(v)
                for f in series.fields
            ],
            dtype=np.float64,
        )
    return times, cols


def _site_means(asset_ids: list[str], at_us: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """The 15-min voltage and frequency means (values in ``(t - 15 min, t]``, NaN under
    ``MEAN_MIN_EVENTS``, as ``window_means``) of each asset with readings, at each t of ``at_us``.

    Summed by the store: a site of 2,000 machines reading once a second holds 1.8 million
    readings per window, and the verdict needs only each machine's sum and count."""
    windows = [(EPOCH + (t - MEAN_WINDOW_US + 1) * US, EPOCH + (t + 1) * US) for t in at_us.tolist()]
    totals = get_store().window_totals(
        measurement="events", asset_ids=asset_ids, windows=windows, fields=["voltage_v", "frequency_hz"]
    )
    means: dict[str, dict[str, np.ndarray]] = {}
    for asset_id, cells in totals.items():
        means[asset_id] = {
            key: np.array(
                [
                    c[field].sum / c[field].count if c[field].count >= MEAN_MIN_EVENTS else np.nan  # type: ignore[operator]
                    for c in cells
                ],
                dtype=np.float64,
            )
            for key, field in (("voltage", "voltage_v"), ("frequency", "frequency_hz"))
        }
    return means


class SupplyEvidence:
    """Per grid point of a run: the asset's own supply and PF hits, and the site's supply hits."""

    def __init__(
        self,
        *,
        asset: Asset,
        limits: Limits,
        events,
        grid: list[datetime],
        step: timedelta,
        baseline_pf: float | None,
        baseline_current: float | None,
    ) -> None:
        self.asset, self.limits, self.grid, self.step = asset, limits, grid, step
        self.site = asset.supply_site
        self._member = _Member(
            asset.asset_id,
            float(asset.rated_voltage_v),
            limits.voltage_band_pct,
            frequency_alert_band(limits.frequency_nominal_hz),
        )
        grid_us = np.array([_us(g) for g in grid], dtype=np.int64)
        self._idx = {g: k for k, g in enumerate(grid)}
        self._points = np.concatenate([grid_us - step // US, grid_us])  # previous, then current
        times, cols = _arrays(events, ["voltage_v", "frequency_hz", "current_a", "power_factor", "rpm"])
        self._own = self._means(times, cols, self._points)
        running = running_mask(
            cols["current_a"], float(asset.rated_current_a), cols["rpm"], float(asset.rated_rpm)
        )
        steady = steady_mask(times, running)
        newest = np.searchsorted(times, grid_us, side="right") - 1
        self.steady_at = (
            (newest >= 0) & steady[np.clip(newest, 0, None)] if times.size else np.zeros(len(grid), bool)
        )
        self.pf_energy = energy_power_factor(
            times, cols["voltage_v"], cols["current_a"], cols["power_factor"], steady, grid_us
        )
        self.pf_limit = low_pf_limit(limits.power_factor_limit, baseline_pf)
        current_w = window_steady_mean(times, cols["current_a"], steady, grid_us)
        self.similar_load = np.array(
            [at_similar_load(float(c), baseline_current) for c in current_w], dtype=bool
        )
        self._site: dict[str, list[list[SiteReading]]] | None = None  # cause -> per point readings
        self._site_from = len(grid)  # first grid index whose site readings are loaded
        self.state: SiteSupplyState | None = None
        self.book: AlertBook | None = None

    def index(self, g: datetime) -> int:
        """Position of grid point g in the run (into ``pf_energy`` and ``steady_at``)."""
        return self._idx[g]

    # -- data ---------------------------------------------------------------------------------------
    def _means(self, times: np.ndarray, cols: dict[str, np.ndarray], at: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "voltage": window_means(times, cols["voltage_v"], at, MEAN_WINDOW_US),
            "frequency": window_means(times, cols["frequency_hz"], at, MEAN_WINDOW_US),
        }

    def _reading(self, m: _Member, cause: str, value: float) -> SiteReading | None:
        if not np.isfinite(value):
            return None
        if cause == AlertCause.VOLTAGE_BAND:
            if not m.rated_voltage_v > 0:
                return None
            dev = (value - m.rated_voltage_v) / m.rated_voltage_v * 100.0
            return SiteReading(m.asset_id, float(value), float(dev), bool(abs(dev) > m.voltage_band_pct))
        lo, hi = m.frequency_band
        return SiteReading(m.asset_id, float(value), float(value) - 50.0, bool(value < lo or value > hi))

    def _own_out(self, cause: str, j: int) -> bool:
        key = "voltage" if cause == AlertCause.VOLTAGE_BAND else "frequency"
        r = self._reading(self._member, cause, self._own[key][j])
        return r is not None and r.out_of_band

    def own_persistent(self, cause: str, g: datetime) -> bool:
        k, n = self._idx[g], len(self.grid)
        return self._own_out(cause, k) and self._own_out(cause, n + k)

    def own_local(self, cause: str, g: datetime) -> bool:
        """The asset's out-of-band deviation is its own at g and at the previous grid point
        (``local_deviation``: more than the margin away from the site's median deviation)."""
        key = "voltage" if cause == AlertCause.VOLTAGE_BAND else "frequency"
        k, n = self._idx[g], len(self.grid)
        for j, previous in ((k, True), (n + k, False)):
            own = self._reading(self._member, cause, self._own[key][j])
            if own is None or not local_deviation(
                own, self.site_readings(cause, g, previous), LOCAL_MARGIN[key]
            ):
                return False
        return True

    def own_mean(self, cause: str, g: datetime) -> float:
        key = "voltage" if cause == AlertCause.VOLTAGE_BAND else "frequency"
        return float(self._own[key][len(self.grid) + self._idx[g]])

    def lock_site(self) -> None:
        """Lock (creating it) the site's evaluation state for the run's transaction."""
        tenant_id = self.asset.tenant_id
        try:
            SiteSupplyState.objects.get_or_create(tenant_id=tenant_id, site=self.site)
        except IntegrityError:  # created concurrently
            pass
        self.state = SiteSupplyState.objects.select_for_update().get(tenant_id=tenant_id, site=self.site)

    def site_due(self, g: datetime) -> bool:
        """Whether this run applies the site's transitions at g (no run of the site did yet)."""
        assert self.state is not None
        until = self.state.evaluated_until
        return until is None or g > until

    def _load_site(self, first: int) -> None:
        """The 15-min means of every active asset of the site (this one included, all summed by the
        store, so the site's verdict does not depend on which run gives it) at the run's points
        from grid index ``first`` on (points before it get no readings).

        A run reads its peers only from the first grid point that needs them: in a fleet whose
        runs advance together, the site's points are evaluated by the run that reaches them first
        (``site_due``), so most runs need none of them, and re-reading every peer over every run's
        whole range made the site's cost grow with the square of its size."""
        n = len(self.grid)
        self._site = {c: [[] for _ in range(self._points.size)] for c in SUPPLY_CAUSES}
        self._site_from = first
        wanted = np.zeros(self._points.size, dtype=bool)
        wanted[first:n] = True
        wanted[n + first :] = True
        slots = np.flatnonzero(wanted)
        at, where = np.unique(self._points[slots], return_inverse=True)
        peers = list(
            Asset.objects.filter(tenant_id=self.asset.tenant_id, supply_site=self.site, active=True)
            .exclude(pk=self.asset.pk)
            .select_related("thresholds")
        )
        means = _site_means([self.asset.asset_id, *(p.asset_id for p in peers)], at)
        members = [self._member] if self.asset.asset_id in means else []
        for peer in peers:
            if peer.asset_id not in means:
                continue
            lim = limits_for_asset(asset=peer)
            members.append(
                _Member(
                    peer.asset_id,
                    float(peer.rated_voltage_v),
                    lim.voltage_band_pct,
                    frequency_alert_band(lim.frequency_nominal_hz),
                )
            )
        for m in members:
            for cause, key in (
                (AlertCause.VOLTAGE_BAND, "voltage"),
                (AlertCause.FREQUENCY_BAND, "frequency"),
            ):
                values = means[m.asset_id][key][where]
                for j, value in zip(slots.tolist(), values.tolist(), strict=True):
                    r = self._reading(m, cause, value)
                    if r is not None:
                        self._site[cause][j].append(r)

    def site_readings(self, cause: str, g: datetime, previous: bool = False) -> list[SiteReading]:
        k = self._idx[g]
        if self._site is None or k < self._site_from:
            self._load_site(k)
        assert self._site is not None
        return self._site[cause][k + (0 if previous else len(self.grid))]

    def site_event_at(self, cause: str, g: datetime) -> bool:
        return site_event(self.site_readings(cause, g))

    def site_hits(self, g: datetime) -> dict[str, CauseHit]:
        """The site supply causes present at g: a site event at g and at the previous grid point."""
        hits: dict[str, CauseHit] = {}
        for cause in SUPPLY_CAUSES:
            now, prev = self.site_readings(cause, g), self.site_readings(cause, g, previous=True)
            if not (site_event(now) and site_event(prev)):
                continue
            out = [r for r in now if r.out_of_band]
            med = float(np.median([r.value for r in out]))
            subject = f"Site {self.site} supply: {len(out)} of {len(now)} reporting assets out of band;"
            if cause == AlertCause.VOLTAGE_BAND:
                dev = float(np.median([r.deviation for r in out]))
                hit = CauseHit(
                    cause,
                    dev,
                    "%",
                    abs,
                    f"{subject} median voltage 15-min mean deviation {dev:+.1f}% from rated at two "
                    "consecutive grid points (a supply event, not a machine fault).",
                )
            else:
                lo, hi = self._member.frequency_band
                base = frequency_hit(med, lo, hi, subject=f"{subject} median frequency")
                hit = CauseHit(cause, base.value, base.unit, base.badness, base.sentence)
            hits[cause] = hit
        return hits

    def site_factors(self, g: datetime) -> list[dict[str, Any]]:
        rows = []
        for cause in SUPPLY_CAUSES:
            for r in self.site_readings(cause, g):
                rows.append(
                    {
                        "name": "voltage" if cause == AlertCause.VOLTAGE_BAND else "frequency",
                        "asset_id": r.asset_id,
                        "value": r.value,
                        "unit": "V" if cause == AlertCause.VOLTAGE_BAND else "Hz",
                        "deviation": r.deviation,
                        "deviation_unit": "%" if cause == AlertCause.VOLTAGE_BAND else "Hz",
                        "out_of_band": r.out_of_band,
                    }
                )
        return rows
