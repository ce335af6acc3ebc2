"""Equipment incidents (docs/CONTRACTS.md §15.2): one active alert per asset and episode whose
conditions are the risk and rule causes present at the grid points of the episode.

Why one incident instead of one alert per cause: a fault shows itself through several causes at
once (risk High and Critical, a temperature limit and a temperature rise); one alert per cause
repeated the explanation and the notifications for every one of them.  The incident's severity is
that of its most severe *active* condition; it rises at once and falls only after the condition
stayed absent for the hold (event time of running, ``ALERT_HOLD_HOURS``), so a value oscillating
around a limit does not flap.  The incident resolves when every condition has cleared and none was
seen for ``auto_resolve_hours``; a relapse within ``ALERT_REOPEN_WINDOW_HOURS`` of an automatic
resolution reopens it (``reopen_count``) rather than opening a new one.

Like the ``AlertBook``, the ``IncidentBook`` changes the asset's incident in memory in event-time
order and writes it once at the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ingestion.models import Asset

from .. import conf
from ..models import (
    ACTIVE_STATES,
    SEVERITY_RANK,
    Alert,
    AlertCondition,
    AlertKind,
    AlertState,
    AlertTransition,
    NotificationEvent,
    Resolution,
    TransitionAction,
)
from . import notifications
from .alert_causes import CauseHit
from .alerts import CAUSE_ORDER, SEVERITY, SYSTEM

GuidanceFn = Callable[[str], dict[str, Any]]


def _max_severity(conditions: list[AlertCondition]) -> str:
    return max((c.severity for c in conditions), key=lambda s: SEVERITY_RANK[s])


def _leading(conditions: list[AlertCondition]) -> AlertCondition:
    """The most severe condition; at equal severity a rule before a risk level (it names the
    measured value and gives the guidance its cause words), then the §15.1 order."""
    return min(
        conditions,
        key=lambda c: (-SEVERITY_RANK[c.severity], c.cause.startswith("risk_"), CAUSE_ORDER.index(c.cause)),
    )


def incident_explanation(hits: dict[str, CauseHit], assessment_explanation: str | None) -> str:
    """The conditions' own sentences once each (§15.1 order), then the assessment's explanation."""
    lines = [hits[c].sentence for c in CAUSE_ORDER if c in hits and hits[c].sentence]
    if assessment_explanation:
        lines.append(assessment_explanation)
    return "\n".join(str(x) for x in lines)


class IncidentBook:
    """The asset's equipment incident during one run, written by ``flush``."""

    def __init__(self, asset: Asset, *, now: datetime) -> None:
        self.asset = asset
        self.now = now
        self.incident: Alert | None = (
            Alert.objects.select_for_update()
            .filter(asset=asset, kind=AlertKind.EQUIPMENT, state__in=ACTIVE_STATES)
            .first()
        )
        self._conditions: dict[Any, dict[str, AlertCondition]] = {}
        if self.incident is not None:
            self._load_conditions(self.incident)
        self._touched: dict[Any, Alert] = {}
        self._transitions: list[AlertTransition] = []
        self._notify: list[tuple[Alert, str]] = []
        self._as_of: dict[Any, datetime] = {}
        self._relapse_checked = False
        self._resolved: Alert | None = None  # the latest automatically resolved incident of the asset

    def _load_conditions(self, alert: Alert) -> None:
        self._conditions[alert.pk] = {c.cause: c for c in AlertCondition.objects.filter(alert=alert)}

    # -- grid-point evaluation --------------------------------------------------------------------
    def apply(
        self,
        *,
        at: datetime,
        hits: dict[str, CauseHit],
        running: bool,
        as_of: datetime | None,
        explanation: str | None,
        factors: list[dict] | None,
        guidance: GuidanceFn,
        guidance_current: bool = True,
    ) -> None:
        """Apply one (not stale) grid point ``at``: ``hits`` are the risk and rule causes present.

        ``running`` false (the machine is stopped at ``as_of``): the hold of absent conditions does
        not advance, since a stopped machine's readings say nothing about whether the fault is gone."""
        inc = self.incident
        fresh = False
        if inc is None:
            if not hits:
                return
            inc = self._reopen(at) or self._open(at)
            fresh = True
        conds = self._conditions.setdefault(inc.pk, {})
        for cause in CAUSE_ORDER:
            hit = hits.get(cause)
            if hit is None:
                continue
            c = conds.get(cause)
            if c is None:
                conds[cause] = AlertCondition(
                    alert=inc,
                    cause=cause,
                    severity=SEVERITY[cause],
                    first_seen_at=at,
                    last_seen_at=at,
                    value=hit.value,
                    peak_value=hit.value,
                    unit=hit.unit,
                )
                continue
            c.last_seen_at = at
            c.value = hit.value
            c.occurrences += 1
            if hit.worse_than(c.peak_value):
                c.peak_value = hit.value
            c.active, c.cleared_at, c.absent_running_s = True, None, 0.0
        hold_s = conf.condition_hold().total_seconds()
        step_s = conf.assessment_interval().total_seconds()
        for c in conds.values():
            if c.active and c.cause not in hits:
                if running:
                    c.absent_running_s += step_s
                if c.absent_running_s >= hold_s:
                    c.active, c.cleared_at = False, at
        active = [c for c in conds.values() if c.active]
        if active:
            self._set_severity(inc, at, _max_severity(active), notify=not fresh)
            lead = _leading(active)
            inc.cause, inc.value, inc.unit, inc.peak_value = (
                lead.cause,
                lead.value,
                lead.unit,
                lead.peak_value,
            )
        if hits:
            inc.last_seen_at = at
            inc.occurrences += 1 if not fresh else 0
            inc.explanation = incident_explanation(hits, explanation)
            if factors is not None:
                inc.factors = factors
                if fresh or guidance_current or not inc.guidance:
                    inc.guidance = guidance(inc.cause)
            if as_of is not None:
                self._as_of[inc.pk] = as_of
        elif (
            not active
            and at - max((c.last_seen_at for c in conds.values()), default=inc.last_seen_at)
            >= conf.auto_resolve_after()
        ):
            self._auto_resolve(inc, at)
        self._touched[inc.pk] = inc

    def _set_severity(self, inc: Alert, at: datetime, severity: str, *, notify: bool) -> None:
        old = inc.severity
        if not inc.peak_severity or SEVERITY_RANK[severity] > SEVERITY_RANK[inc.peak_severity]:
            inc.peak_severity = severity
        if severity == old or not notify or not old:
            inc.severity = severity
            return
        inc.severity = severity
        up = SEVERITY_RANK[severity] > SEVERITY_RANK[old]
        self._transitions.append(
            AlertTransition(
                alert=inc,
                action=TransitionAction.RAISED if up else TransitionAction.LOWERED,
                from_state=inc.state,
                to_state=inc.state,
                actor=SYSTEM,
                at=self.now,
                event_time=at,
                note=f"severity {old} -> {severity}",
            )
        )
        if up:
            self._notify_event(inc, NotificationEvent.RAISED)

    def _open(self, at: datetime) -> Alert:
        inc = Alert(
            asset=self.asset,
            tenant_id=self.asset.tenant_id,
            site=self.asset.supply_site,
            kind=AlertKind.EQUIPMENT,
            cause="",
            state=AlertState.OPEN,
            severity="",
            opened_at=at,
            last_seen_at=at,
            created_at=self.now,
            occurrences=1,
            explanation="",
        )
        self.incident = inc
        self._transitions.append(
            AlertTransition(
                alert=inc,
                action=TransitionAction.OPENED,
                from_state="",
                to_state=AlertState.OPEN,
                actor=SYSTEM,
                at=self.now,
                event_time=at,
            )
        )
        self._notify_event(inc, NotificationEvent.OPENED)
        return inc

    def _reopen(self, at: datetime) -> Alert | None:
        """The asset's latest incident if it was resolved automatically within the reopen window
        before ``at``: reopened, counted, with its conditions kept."""
        if not self._relapse_checked:
            self._relapse_checked = True
            self._resolved = (
                Alert.objects.select_for_update()
                .filter(asset=self.asset, kind=AlertKind.EQUIPMENT, state=AlertState.RESOLVED)
                .order_by("-opened_at")
                .first()
            )
            if self._resolved is not None:
                self._load_conditions(self._resolved)
        inc = self._resolved
        if (
            inc is None
            or inc.resolution != Resolution.AUTO
            or inc.resolved_event_time is None
            or at - inc.resolved_event_time > conf.reopen_window()
        ):
            return None
        frm_note = f"relapse {(at - inc.resolved_event_time).total_seconds() / 3600:.1f} h after resolution"
        inc.state = AlertState.OPEN
        inc.reopen_count += 1
        inc.severity = ""
        inc.resolved_by, inc.resolved_at, inc.resolved_event_time = "", None, None
        inc.note, inc.resolution, inc.auto_resolved = "", None, False
        inc.acknowledged_by, inc.acknowledged_at, inc.comment = "", None, ""
        self.incident = inc
        self._transitions.append(
            AlertTransition(
                alert=inc,
                action=TransitionAction.REOPENED,
                from_state=AlertState.RESOLVED,
                to_state=AlertState.OPEN,
                actor=SYSTEM,
                at=self.now,
                event_time=at,
                note=frm_note,
            )
        )
        self._notify_event(inc, NotificationEvent.REOPENED)
        return inc

    def _auto_resolve(self, inc: Alert, at: datetime) -> None:
        hold_h = conf.condition_hold().total_seconds() / 3600.0
        quiet_h = conf.auto_resolve_after().total_seconds() / 3600.0
        note = (
            f"every condition absent for {hold_h:g} h of running (hold) and none seen for "
            f"{quiet_h:g} h of event time (auto_resolve_hours)"
        )
        frm = inc.state
        inc.state = AlertState.RESOLVED
        inc.resolved_by, inc.resolved_at, inc.resolved_event_time = SYSTEM, self.now, at
        inc.note, inc.resolution, inc.auto_resolved = note, Resolution.AUTO, True
        self._transitions.append(
            AlertTransition(
                alert=inc,
                action=TransitionAction.RESOLVED,
                from_state=frm,
                to_state=AlertState.RESOLVED,
                actor=SYSTEM,
                at=self.now,
                event_time=at,
                note=note,
            )
        )
        self._notify_event(inc, NotificationEvent.RESOLVED)
        self.incident = None
        self._resolved, self._relapse_checked = inc, True

    def _notify_event(self, inc: Alert, event: str) -> None:
        notifications.mark_notified(inc, self.now)
        self._notify.append((inc, event))

    # -- write -------------------------------------------------------------------------------------
    def flush(self, *, assessment_ids: dict[datetime, int]) -> None:
        # resolved rows first: at most one active incident per asset at any moment
        for inc in sorted(self._touched.values(), key=lambda a: a.state != AlertState.RESOLVED):
            as_of = self._as_of.get(inc.pk)
            if as_of is not None and as_of in assessment_ids:
                inc.assessment_id = assessment_ids[as_of]
            inc.updated_at = self.now
            inc.save()
            conds = list(self._conditions.get(inc.pk, {}).values())
            AlertCondition.objects.bulk_create([c for c in conds if c._state.adding])
            existing = [c for c in conds if not c._state.adding and c.pk is not None]
            if existing:
                AlertCondition.objects.bulk_update(
                    existing,
                    [
                        "last_seen_at",
                        "value",
                        "peak_value",
                        "occurrences",
                        "active",
                        "cleared_at",
                        "absent_running_s",
                    ],
                )
        if self._transitions:
            AlertTransition.objects.bulk_create(self._transitions)
        if self._notify:
            notifications.notifications_queue(items=self._notify, now=self.now)
        self._touched, self._transitions, self._notify, self._as_of = {}, [], [], {}
