"""The alert state machine and its audit trail (docs/CONTRACTS.md §15); which causes are present at
a grid point is decided in ``assessment.services.alert_causes``.

The ``AlertBook`` keeps the alerts that stay one per cause: an asset's ``no_data`` alert and a
site's supply alerts; the risk and rule causes of an asset are conditions of its equipment
incident (``assessment.services.incidents``).  During an assessment run the book's active alerts
live in memory: grid points change
them in event-time order and the book writes everything once at the end (alerts, transitions,
notification attempts).  Manual transitions (acknowledge, resolve) and the wall-clock duties
(escalation, reminders, the live staleness check) are separate services.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ingestion.models import Asset, Tenant

from .. import conf
from ..explain import rfc3339
from ..models import (
    ACTIVE_STATES,
    Alert,
    AlertCause,
    AlertCondition,
    AlertKind,
    AlertState,
    AlertTransition,
    Assessment,
    AssessmentState,
    NotificationEvent,
    Resolution,
    Severity,
    TransitionAction,
)
from . import notifications
from .alert_causes import CauseHit, no_data_hit

SYSTEM = "system"

SEVERITY: dict[str, str] = {
    AlertCause.RISK_CRITICAL: Severity.CRITICAL,
    AlertCause.RISK_HIGH: Severity.HIGH,
    AlertCause.VIBRATION_ZONE_D: Severity.HIGH,
    AlertCause.TEMPERATURE_LIMIT: Severity.HIGH,
    AlertCause.OVERCURRENT: Severity.HIGH,
    AlertCause.TEMPERATURE_RISE: Severity.HIGH,
    AlertCause.VOLTAGE_BAND: Severity.WARNING,
    AlertCause.FREQUENCY_BAND: Severity.WARNING,
    AlertCause.LOW_PF: Severity.WARNING,
    AlertCause.NO_DATA: Severity.WARNING,
}
CAUSE_ORDER: tuple[str, ...] = tuple(AlertCause.values)


class IllegalTransition(Exception):
    """The requested transition is not allowed from the alert's state (API: 409)."""


def _transition(
    alert: Alert, action: str, frm: str, to: str, actor: str, now: datetime, **kw
) -> AlertTransition:
    return AlertTransition(alert=alert, action=action, from_state=frm, to_state=to, actor=actor, at=now, **kw)


def _explanation(hit: CauseHit, assessment_explanation: str | None) -> str:
    if hit.cause == AlertCause.NO_DATA or not assessment_explanation:
        return hit.sentence or ""
    if hit.sentence is None:
        return assessment_explanation
    return f"{hit.sentence}\n{assessment_explanation}"


GuidanceFn = Callable[[str], dict[str, Any]]


class AlertBook:
    """The asset's active alerts, changed in memory in event-time order and written by ``flush``."""

    def __init__(
        self,
        asset: Asset | None,
        *,
        now: datetime | None = None,
        tenant: Tenant | None = None,
        site: str | None = None,
    ) -> None:
        """The active alerts of ``asset``, or with ``asset=None`` the site supply alerts of
        (``tenant``, ``site``) (docs/CONTRACTS.md §15.6)."""
        self.asset = asset
        self.tenant_id = asset.tenant_id if asset is not None else tenant.pk  # type: ignore[union-attr]
        self.site = asset.supply_site if asset is not None else str(site)
        self.now = now or timezone.now()
        if asset is not None:
            rows = Alert.objects.select_for_update().filter(
                asset=asset, kind=AlertKind.NO_DATA, state__in=ACTIVE_STATES
            )
        else:
            rows = Alert.objects.select_for_update().filter(
                tenant_id=self.tenant_id, site=self.site, asset__isnull=True, state__in=ACTIVE_STATES
            )
        self.active: dict[str, Alert] = {a.cause: a for a in rows}
        self._existing = {a.pk for a in self.active.values()}
        self._changed: dict[Any, Alert] = {}
        self._created: list[Alert] = []
        self._transitions: list[AlertTransition] = []
        self._notify: list[tuple[Alert, str]] = []
        self._as_of: dict[Any, datetime] = {}  # alert pk -> as_of of its latest assessment

    # -- grid-point evaluation --------------------------------------------------------------------
    def apply(
        self,
        *,
        at: datetime,
        hits: dict[str, CauseHit],
        evaluated: frozenset[str] | set[str],
        as_of: datetime | None,
        explanation: str | None,
        factors: list[dict] | None,
        guidance: GuidanceFn,
        guidance_current: bool = True,
    ) -> None:
        """Apply one grid point ``at``: causes in ``evaluated`` are present iff in ``hits``.

        ``guidance_current`` false (the machine is not running steadily at ``as_of``): an open
        alert keeps the guidance of its last steady-running update instead of one rebuilt from a
        stopped machine's readings (docs/CONTRACTS.md §15.5); a new alert still gets guidance."""
        auto_resolve = conf.auto_resolve_after()
        for cause in CAUSE_ORDER:
            if cause not in evaluated:
                continue
            hit, alert = hits.get(cause), self.active.get(cause)
            if hit is not None:
                if alert is None:
                    self._open(cause, at, hit, as_of, explanation, factors, guidance(cause))
                else:
                    keep = not guidance_current and bool(alert.guidance)
                    self._update(alert, at, hit, as_of, explanation, factors, None if keep else guidance)
            elif alert is not None:
                if cause == AlertCause.NO_DATA:
                    # the first grid point after the alert's opening at which the asset is fresh
                    # (a grid point before a wall-clock opening predates the silence it reports)
                    if at > alert.opened_at:
                        self._auto_resolve(alert, at, f"data resumed: not stale at {rfc3339(at)}")
                elif at - alert.last_seen_at >= auto_resolve:
                    hours = auto_resolve.total_seconds() / 3600.0
                    self._auto_resolve(
                        alert, at, f"cause absent for {hours:g} h of event time (auto_resolve_hours)"
                    )

    def _open(self, cause, at, hit, as_of, explanation, factors, guidance) -> None:
        alert = Alert(
            asset=self.asset,
            tenant_id=self.tenant_id,
            site=self.site,
            kind=AlertKind.SITE_SUPPLY if self.asset is None else AlertKind.NO_DATA,
            cause=cause,
            state=AlertState.OPEN,
            severity=SEVERITY[cause],
            opened_at=at,
            last_seen_at=at,
            created_at=self.now,
            value=hit.value,
            peak_value=hit.value,
            unit=hit.unit,
            occurrences=1,
            explanation=_explanation(hit, explanation),
            factors=factors or [],
            guidance=guidance,
        )
        self._created.append(alert)
        self.active[cause] = alert
        if as_of is not None:
            self._as_of[alert.pk] = as_of
        self._transitions.append(
            _transition(alert, TransitionAction.OPENED, "", AlertState.OPEN, SYSTEM, self.now, event_time=at)
        )
        self._notify_event(alert, NotificationEvent.OPENED)

    def _update(self, alert, at, hit, as_of, explanation, factors, guidance) -> None:
        alert.last_seen_at = at
        alert.value = hit.value
        alert.occurrences += 1
        if hit.worse_than(alert.peak_value):
            alert.peak_value = hit.value
        alert.explanation = _explanation(hit, explanation)
        if factors is not None:
            alert.factors = factors
            if guidance is not None:
                alert.guidance = guidance(alert.cause)
        if as_of is not None:
            self._as_of[alert.pk] = as_of
        self._mark(alert)

    def _auto_resolve(self, alert: Alert, at: datetime, note: str) -> None:
        frm = alert.state
        alert.state = AlertState.RESOLVED
        alert.resolved_by = SYSTEM
        alert.resolved_at = self.now
        alert.resolved_event_time = at
        alert.note = note
        alert.resolution = Resolution.AUTO
        alert.auto_resolved = True
        self.active.pop(alert.cause, None)
        self._transitions.append(
            _transition(
                alert,
                TransitionAction.RESOLVED,
                frm,
                AlertState.RESOLVED,
                SYSTEM,
                self.now,
                event_time=at,
                note=note,
            )
        )
        self._notify_event(alert, NotificationEvent.RESOLVED)
        self._mark(alert)

    def _notify_event(self, alert: Alert, event: str) -> None:
        notifications.mark_notified(alert, self.now)
        self._notify.append((alert, event))

    def _mark(self, alert: Alert) -> None:
        if alert.pk in self._existing:
            alert.updated_at = self.now  # bulk_update does not apply auto_now
            self._changed[alert.pk] = alert

    # -- write -------------------------------------------------------------------------------------
    def flush(self, *, assessment_ids: dict[datetime, int]) -> None:
        for alert in [*self._changed.values(), *self._created]:
            as_of = self._as_of.get(alert.pk)
            if as_of is not None and as_of in assessment_ids:
                alert.assessment_id = assessment_ids[as_of]
        if self._changed:
            Alert.objects.bulk_update(
                list(self._changed.values()),
                [
                    "state",
                    "last_seen_at",
                    "value",
                    "peak_value",
                    "occurrences",
                    "assessment",
                    "explanation",
                    "factors",
                    "guidance",
                    "resolved_by",
                    "resolved_at",
                    "resolved_event_time",
                    "note",
                    "resolution",
                    "auto_resolved",
                    "last_notified_at",
                    "notification_count",
                    "updated_at",
                ],
            )
        if self._created:
            # resolved ones first: at most one active row per (asset, kind) / (site, cause) at any moment
            Alert.objects.bulk_create(sorted(self._created, key=lambda a: a.state != AlertState.RESOLVED))
        if self._transitions:
            AlertTransition.objects.bulk_create(self._transitions)
        if self._notify:
            notifications.notifications_queue(items=self._notify, now=self.now)
        self._changed, self._created, self._transitions, self._notify = {}, [], [], []


# --- manual transitions ----------------------------------------------------------------------------------


def _locked_alert(alert_id: Any, tenant: Tenant) -> Alert:
    alert = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("asset__tenant")
        .filter(pk=alert_id, tenant=tenant)
        .first()
    )
    if alert is None:
        raise Alert.DoesNotExist(f"no alert {alert_id} in this tenant")
    return alert


def alert_acknowledge(*, alert_id: Any, tenant: Tenant, actor: str, comment: str = "") -> Alert:
    """open -> acknowledged (stops reminders and escalation)."""
    now = timezone.now()
    with transaction.atomic():
        alert = _locked_alert(alert_id, tenant)
        if alert.state != AlertState.OPEN:
            raise IllegalTransition(f"the alert is {alert.state}; only an open alert can be acknowledged")
        alert.state = AlertState.ACKNOWLEDGED
        alert.acknowledged_by = actor
        alert.acknowledged_at = now
        alert.comment = comment
        alert.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "comment", "updated_at"])
        AlertTransition.objects.create(
            alert=alert,
            action=TransitionAction.ACKNOWLEDGED,
            from_state=AlertState.OPEN,
            to_state=AlertState.ACKNOWLEDGED,
            actor=actor,
            at=now,
            note=comment,
        )
    return alert


def alert_resolve(*, alert_id: Any, tenant: Tenant, actor: str, note: str) -> Alert:
    """open/acknowledged -> resolved (manual, with a note); the cause may open a new alert later."""
    if not note or not note.strip():
        raise ValueError("note is required to resolve an alert")
    now = timezone.now()
    with transaction.atomic():
        alert = _locked_alert(alert_id, tenant)
        if alert.state not in ACTIVE_STATES:
            raise IllegalTransition(f"the alert is already {alert.state}")
        frm = alert.state
        alert.state = AlertState.RESOLVED
        alert.resolved_by = actor
        alert.resolved_at = now
        alert.note = note.strip()
        alert.resolution = Resolution.MANUAL
        alert.auto_resolved = False
        notifications.mark_notified(alert, now)
        alert.save()
        # the episode is over: its conditions end with it (a persisting cause opens a new incident)
        AlertCondition.objects.filter(alert=alert, active=True).update(active=False)
        AlertTransition.objects.create(
            alert=alert,
            action=TransitionAction.RESOLVED,
            from_state=frm,
            to_state=AlertState.RESOLVED,
            actor=actor,
            at=now,
            note=alert.note,
        )
        notifications.notifications_queue(items=[(alert, NotificationEvent.RESOLVED)], now=now)
    return alert


# --- wall-clock duties --------------------------------------------------------------------------------------


def alerts_escalate_and_repeat(*, now: datetime | None = None) -> dict[str, int]:
    """Escalate open alerts not acknowledged within the escalation time (once each), send the
    reminder of open alerts every repeat interval, and re-enqueue stuck notification attempts."""
    now = now or timezone.now()
    escalated = reminded = 0
    with transaction.atomic():
        due = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("asset__tenant")
            .filter(
                state=AlertState.OPEN, escalated_at__isnull=True, created_at__lte=now - conf.escalate_after()
            )
        )
        items: list[tuple[Alert, str]] = []
        for alert in due:
            alert.escalated_at = now
            notifications.mark_notified(alert, now)
            alert.save(update_fields=["escalated_at", "last_notified_at", "notification_count", "updated_at"])
            AlertTransition.objects.create(
                alert=alert,
                action=TransitionAction.ESCALATED,
                from_state=alert.state,
                to_state=alert.state,
                actor=SYSTEM,
                at=now,
                note=f"not acknowledged within {conf.escalate_after().total_seconds() / 60:g} min",
            )
            items.append((alert, NotificationEvent.ESCALATED))
            escalated += 1
        cutoff = now - conf.repeat_every()
        repeat = (
            Alert.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("asset__tenant")
            .filter(
                Q(last_notified_at__lte=cutoff) | Q(last_notified_at__isnull=True, created_at__lte=cutoff),
                state=AlertState.OPEN,
            )
        )
        for alert in repeat:
            notifications.mark_notified(alert, now)
            alert.save(update_fields=["last_notified_at", "notification_count", "updated_at"])
            AlertTransition.objects.create(
                alert=alert,
                action=TransitionAction.REMINDED,
                from_state=alert.state,
                to_state=alert.state,
                actor=SYSTEM,
                at=now,
                note=f"still open; reminder every {conf.repeat_every().total_seconds() / 3600:g} h",
            )
            items.append((alert, NotificationEvent.REPEAT))
            reminded += 1
        notifications.notifications_queue(items=items, now=now)
        requeued = notifications.notifications_retry_due(now=now)
    return {"escalated": escalated, "reminded": reminded, "requeued": requeued}


def alert_no_data_open(
    *,
    asset: Asset,
    newest_event_time: datetime,
    stale_after_s: float,
    guidance: dict[str, Any],
    now: datetime | None = None,
) -> Alert | None:
    """Open a ``no_data`` alert from the wall-clock staleness check, unless one is active.

    Its event times are the instant the asset became stale (newest event + stale_after)."""
    now = now or timezone.now()
    with transaction.atomic():
        state, _ = AssessmentState.objects.get_or_create(asset=asset)
        AssessmentState.objects.select_for_update().filter(pk=state.pk).first()
        if Alert.objects.filter(asset=asset, cause=AlertCause.NO_DATA, state__in=ACTIVE_STATES).exists():
            return None
        at = newest_event_time + timedelta(seconds=stale_after_s)
        hit = no_data_hit(asset.asset_id, now, newest_event_time, stale_after_s)
        latest = Assessment.objects.filter(asset=asset).order_by("-as_of").first()
        alert = Alert.objects.create(
            asset=asset,
            tenant_id=asset.tenant_id,
            site=asset.supply_site,
            kind=AlertKind.NO_DATA,
            cause=AlertCause.NO_DATA,
            state=AlertState.OPEN,
            severity=SEVERITY[AlertCause.NO_DATA],
            opened_at=at,
            last_seen_at=at,
            created_at=now,
            value=hit.value,
            peak_value=hit.value,
            unit=hit.unit,
            assessment=latest,
            explanation=hit.sentence or "",
            factors=latest.factors if latest else [],
            guidance=guidance,
            last_notified_at=now,
            notification_count=1,
        )
        AlertTransition.objects.create(
            alert=alert,
            action=TransitionAction.OPENED,
            from_state="",
            to_state=AlertState.OPEN,
            actor=SYSTEM,
            at=now,
            event_time=at,
            note="wall-clock staleness check",
        )
        notifications.notifications_queue(items=[(alert, NotificationEvent.OPENED)], now=now)
    return alert
