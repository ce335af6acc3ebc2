"""Alert transitions of a run's grid points (docs/CONTRACTS.md §15): the asset's causes from each
record, ``no_data`` while stale, and the site's supply alerts when this run is the first of its
site to reach a grid point (§15.6).

Transitions are applied to the in-memory ``AlertBook`` in event-time order and written once by
``flush``; guidance is built only for what an alert shows, from the record's own readings.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from analytics.selectors import ActiveBaseline
from ingestion.models import Asset

from ...health import Limits
from ...knowledge import KnowledgeIndex
from ...models import AlertCause
from ..alert_causes import CauseHit, CauseInputs, causes_present, no_data_hit
from ..alerts import AlertBook
from ..guidance import guidance_build, knowledge_index_for
from ..incidents import IncidentBook
from ..supply import SUPPLY_CAUSES, SupplyEvidence
from .evidence import baseline_stat
from .record import Record
from .series import Series, num

# What guidance still uses while the machine is not running steadily: the surroundings, not
# readings of the machine's condition (a stopped machine's vibration is its neighbours', its
# kurtosis that of noise, its PF and temperature those of no load).
GUIDANCE_CONTEXT_KEYS = frozenset({"ambient_temperature_c"})


class GridAlerts:
    """The asset's alert book and the site's supply evidence during one run."""

    def __init__(self, asset: Asset, *, now: datetime) -> None:
        self.asset = asset
        self.now = now
        self.book = AlertBook(asset, now=now)  # the asset's no_data alert
        self.incidents = IncidentBook(asset, now=now)  # its equipment incident
        self._index: KnowledgeIndex | None = None
        self.limits: Limits | None = None

    def start_supply(
        self,
        *,
        limits: Limits,
        baseline: ActiveBaseline | None,
        events: Series,
        grid: list[datetime],
        step: timedelta,
    ) -> None:
        """The supply and PF evidence of the run's grid (its events are loaded), and the lock on
        the site's supply state."""
        self.limits = limits
        pf_stat = baseline_stat(baseline, "power_factor") if baseline is not None else None
        i_stat = baseline_stat(baseline, "current_a") if baseline is not None else None
        self.supply = SupplyEvidence(
            asset=self.asset,
            limits=limits,
            events=events,
            grid=grid,
            step=step,
            baseline_pf=None if pf_stat is None else pf_stat.mean,
            baseline_current=None if i_stat is None else i_stat.mean,
        )
        self.supply.lock_site()

    def guidance_for(self, rec: Record, cause: str) -> dict[str, Any]:
        if self._index is None:
            self._index = knowledge_index_for(tenant=self.asset.tenant)
        feats = rec.inputs.get("guidance_features") or {}
        if not rec.steady:
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

    def apply(
        self, g: datetime, rec: Record, newest_event: datetime | None, stale_after: float, stale: bool
    ) -> None:
        """The transitions of grid point ``g``: only ``no_data`` is evaluated while stale."""
        if stale:
            assert newest_event is not None  # stale means there is a newest event, older than the limit
            hits: dict[str, CauseHit] = {
                AlertCause.NO_DATA: no_data_hit(self.asset.asset_id, g, newest_event, stale_after)
            }
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
        self.book.apply(
            at=g,
            hits={},
            evaluated={AlertCause.NO_DATA},
            as_of=rec.as_of,
            explanation=None,
            factors=None,
            guidance=lambda cause: self.guidance_for(rec, cause),
        )
        self.incidents.apply(
            at=g,
            hits=self._causes(g, rec),
            running=rec.inputs.get("running") is not False,
            as_of=rec.as_of,
            explanation=rec.explanation,
            factors=[f.to_dict() for f in rec.factors],
            guidance=lambda cause: self.guidance_for(rec, cause),
            guidance_current=rec.steady,
        )
        self._apply_site(g, rec)

    def _causes(self, g: datetime, rec: Record) -> dict[str, CauseHit]:
        """§15.1 causes present at ``g``; voltage and frequency only when the asset's own (persistent,
        local, not a site event), low PF only while running steadily at a load like the healthy one."""
        assert self.limits is not None
        inp = rec.inputs
        sup = self.supply
        k = sup.index(g)
        own = {
            c: sup.own_persistent(c, g) and not sup.site_event_at(c, g) and sup.own_local(c, g)
            for c in (AlertCause.VOLTAGE_BAND, AlertCause.FREQUENCY_BAND)
        }
        return causes_present(
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
                power_factor_energy_24h=num(sup.pf_energy[k]),
                power_factor_alert_limit=None if rec.baseline_missing else sup.pf_limit,
            )
        )

    def _apply_site(self, g: datetime, rec: Record) -> None:
        """The site's supply alerts at ``g``, when no run of the site has evaluated ``g`` yet."""
        sup = self.supply
        if not sup.site_due(g):
            return
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

    def flush(self, *, assessment_ids: dict[datetime, int]) -> None:
        self.book.flush(assessment_ids=assessment_ids)
        self.incidents.flush(assessment_ids=assessment_ids)
        if self.supply.book is not None:
            self.supply.book.flush(assessment_ids={})
        if self.supply.state is not None:
            self.supply.state.save(update_fields=["evaluated_until"])
