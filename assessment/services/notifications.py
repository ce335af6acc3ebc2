"""Alert notifications (docs/CONTRACTS.md §15.4): one attempt row per (alert event, channel),
enqueued after commit, delivered by ``notification_deliver`` (called by the Celery task, which retries
with exponential backoff).

A delivery is claimed with a conditional UPDATE (pending/retrying -> sending) so two workers never
send the same attempt at once; an abandoned claim is released by the periodic sweep.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
from collections.abc import Iterable
from datetime import datetime, timedelta

import requests
from django.core.mail import BadHeaderError, send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import conf
from ..explain import rfc3339
from ..models import (
    SEVERITY_RANK,
    Alert,
    AttemptStatus,
    ChannelKind,
    NotificationAttempt,
    NotificationChannel,
    NotificationEvent,
)

logger = logging.getLogger(__name__)

EVENT_TYPES: dict[str, str] = {
    NotificationEvent.OPENED: "alert.opened",
    NotificationEvent.RAISED: "alert.raised",
    NotificationEvent.REOPENED: "alert.reopened",
    NotificationEvent.ESCALATED: "alert.escalated",
    NotificationEvent.REPEAT: "alert.reminder",
    NotificationEvent.RESOLVED: "alert.resolved",
}
SUBJECT_PREFIX: dict[str, str] = {
    NotificationEvent.OPENED: "",
    NotificationEvent.RAISED: "Raised: ",
    NotificationEvent.REOPENED: "Reopened: ",
    NotificationEvent.ESCALATED: "Escalated: ",
    NotificationEvent.REPEAT: "Reminder: ",
    NotificationEvent.RESOLVED: "Resolved: ",
}


class DeliveryRetryable(Exception):
    """A delivery failed in a way worth retrying (network error, timeout, 5xx, 429)."""


class _Permanent(Exception):
    """A delivery failed in a way retrying cannot fix (4xx, bad address)."""


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256(secret, timestamp + "." + raw body)."""
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def channels_for(*, alert: Alert, event: str) -> list[NotificationChannel]:
    """Active channels of the alert's tenant whose minimum severity the alert reaches;
    escalation-only channels receive escalations only."""
    qs = NotificationChannel.objects.filter(tenant_id=alert.tenant_id, active=True)
    if event != NotificationEvent.ESCALATED:
        qs = qs.filter(escalation_only=False)
    rank = SEVERITY_RANK[alert.severity]
    return [c for c in qs.order_by("pk") if SEVERITY_RANK[c.min_severity] <= rank]


def _enqueue(attempt_ids: list[int]) -> None:
    from ..tasks import notification_send

    for attempt_id in attempt_ids:
        try:
            notification_send.delay(attempt_id)
        except Exception as exc:  # eager mode re-raises the task's retry; a broker may be down
            # The attempt row keeps its status; the periodic sweep re-enqueues it when due.
            logger.warning("notification attempt %s not delivered now: %s", attempt_id, exc)


def notifications_queue(*, items: Iterable[tuple[Alert, str]], now: datetime | None = None) -> int:
    """Create delivery attempts for (alert, event) pairs and enqueue them after commit.

    The caller has already updated and saved ``last_notified_at``/``notification_count``.
    """
    now = now or timezone.now()
    attempts = [
        NotificationAttempt(alert=alert, channel=channel, event=event, created_at=now, next_attempt_at=now)
        for alert, event in items
        for channel in channels_for(alert=alert, event=event)
    ]
    if not attempts:
        return 0
    NotificationAttempt.objects.bulk_create(attempts)
    ids = list(
        NotificationAttempt.objects.filter(delivery_id__in=[a.delivery_id for a in attempts])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    transaction.on_commit(lambda: _enqueue(ids))
    return len(ids)


def mark_notified(alert: Alert, now: datetime) -> None:
    alert.last_notified_at = now
    alert.notification_count += 1


# --- delivery ---------------------------------------------------------------------------------------


def _alert_record(alert: Alert) -> dict:
    from ..serializers import AlertSerializer

    return json.loads(json.dumps(AlertSerializer(alert).data, default=str))


def _link(alert: Alert) -> str:
    return f"{conf.public_base_url()}/api/v1/alerts/{alert.pk}"


def _email_text(alert: Alert, event: str) -> tuple[str, str]:
    subject = f"[PdM] {SUBJECT_PREFIX[event]}{alert.severity} {alert.cause} on {alert.subject}"
    name = f" ({alert.asset.name})" if alert.asset_id is not None else " (site supply alert)"  # type: ignore[union-attr]
    lines = [
        f"Alert {alert.cause} on {alert.subject}{name}, severity {alert.severity}, state {alert.state}.",
        f"Opened at {rfc3339(alert.opened_at)} (event time); last seen {rfc3339(alert.last_seen_at)}.",
        "",
        alert.explanation,
        "",
    ]
    conditions = list(alert.conditions.all()) if alert.kind == "equipment" else []
    if conditions:
        lines.append("Conditions:")
        lines += [
            f"- {c.cause} ({c.severity}, {'active' if c.active else 'cleared'}): first seen "
            f"{rfc3339(c.first_seen_at)}, last seen {rfc3339(c.last_seen_at)}, peak {c.peak_value} {c.unit}"
            for c in conditions
        ]
        lines.append("")
    if alert.reopen_count:
        lines += [f"Reopened {alert.reopen_count} time(s) after a relapse.", ""]
    guidance = alert.guidance or {}
    if guidance.get("passages"):
        lines.append("Guidance (" + str(guidance.get("note", "")) + "):")
        lines += [f"- {p['citation']}" for p in guidance["passages"]]
        actions = guidance.get("actions")
        if actions:
            lines += ["", f"Recommended actions ({actions['citation']}):", actions["text"]]
        lines.append("")
    if alert.state == "resolved":
        lines.append(f"Resolved by {alert.resolved_by}: {alert.note}")
    lines.append(f"Details: {_link(alert)}")
    return subject, "\n".join(lines)


def _send_email(attempt: NotificationAttempt) -> None:
    subject, body = _email_text(attempt.alert, attempt.event)
    try:
        send_mail(subject, body, None, [attempt.channel.target], fail_silently=False)
    except BadHeaderError as exc:
        raise _Permanent(f"email refused: {exc}") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise _Permanent(f"recipient refused: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryRetryable(f"email not sent: {exc}") from exc


def _send_webhook(attempt: NotificationAttempt, now: datetime) -> int:
    payload = {
        "contract_version": "1",
        "type": EVENT_TYPES[attempt.event],
        "delivery_id": str(attempt.delivery_id),
        "sent_at": rfc3339(now),
        "alert": _alert_record(attempt.alert),
    }
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "pdm-notifier/1",
        "X-PdM-Event": EVENT_TYPES[attempt.event],
        "X-PdM-Delivery": str(attempt.delivery_id),
        "X-PdM-Timestamp": timestamp,
        "X-PdM-Signature": webhook_signature(secret=attempt.channel.secret, timestamp=timestamp, body=body),
    }
    try:
        resp = requests.post(
            attempt.channel.target,
            data=body,
            headers=headers,
            timeout=conf.NOTIFY_TIMEOUT_S,
            allow_redirects=False,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise DeliveryRetryable(f"webhook unreachable: {exc}") from exc
    except requests.RequestException as exc:
        raise _Permanent(f"webhook request invalid: {exc}") from exc
    attempt.last_status_code = resp.status_code
    if 200 <= resp.status_code < 300:
        return resp.status_code
    message = f"webhook answered HTTP {resp.status_code}: {resp.text[:200]}"
    if resp.status_code >= 500 or resp.status_code in (408, 429):
        raise DeliveryRetryable(message)
    raise _Permanent(message)


def notification_deliver(*, attempt_id: int, now: datetime | None = None) -> str:
    """One delivery attempt; returns the resulting status.  Raises DeliveryRetryable after a
    retryable failure while attempts remain (the task retries); marks the attempt ``failed`` after
    the last one or after a permanent failure."""
    now = now or timezone.now()
    claimed = NotificationAttempt.objects.filter(
        pk=attempt_id, status__in=[AttemptStatus.PENDING, AttemptStatus.RETRYING]
    ).update(status=AttemptStatus.SENDING, updated_at=now)
    if not claimed:
        row = NotificationAttempt.objects.filter(pk=attempt_id).values_list("status", flat=True).first()
        return row or "missing"
    attempt = NotificationAttempt.objects.select_related("alert__asset__tenant", "channel").get(pk=attempt_id)
    attempt.attempts += 1
    retry_error: DeliveryRetryable | None = None
    try:
        if not attempt.channel.active:
            raise _Permanent("channel deactivated before delivery")
        if attempt.channel.kind == ChannelKind.EMAIL:
            _send_email(attempt)
        else:
            _send_webhook(attempt, now)
    except DeliveryRetryable as exc:
        attempt.last_error = str(exc)
        if attempt.attempts >= conf.NOTIFY_MAX_ATTEMPTS:
            attempt.status = AttemptStatus.FAILED
            attempt.next_attempt_at = None
        else:
            attempt.status = AttemptStatus.RETRYING
            attempt.next_attempt_at = now + timedelta(seconds=conf.notify_backoff_s(attempt.attempts))
            retry_error = exc
    except _Permanent as exc:
        attempt.last_error = str(exc)
        attempt.status = AttemptStatus.FAILED
        attempt.next_attempt_at = None
    else:
        attempt.status = AttemptStatus.SENT
        attempt.sent_at = now
        attempt.last_error = ""
        attempt.next_attempt_at = None
    attempt.save(
        update_fields=[
            "attempts",
            "status",
            "last_error",
            "last_status_code",
            "next_attempt_at",
            "sent_at",
            "updated_at",
        ]
    )
    if retry_error is not None:
        raise retry_error
    return attempt.status


def notifications_retry_due(*, now: datetime | None = None) -> int:
    """Re-enqueue attempts nobody is working on: pending/retrying ones overdue by the sweep grace
    (a lost task, eager mode, a broker outage) and claims abandoned for as long (a killed worker)."""
    now = now or timezone.now()
    cutoff = now - conf.NOTIFY_SWEEP_GRACE
    NotificationAttempt.objects.filter(status=AttemptStatus.SENDING, updated_at__lt=cutoff).update(
        status=AttemptStatus.RETRYING, next_attempt_at=cutoff
    )
    due = list(
        NotificationAttempt.objects.filter(
            Q(status__in=[AttemptStatus.PENDING, AttemptStatus.RETRYING])
            & (Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True))
        )
        .order_by("pk")
        .values_list("pk", flat=True)[:500]
    )
    if due:
        transaction.on_commit(lambda: _enqueue(due))
    return len(due)
