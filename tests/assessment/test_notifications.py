"""Alert notifications: signed webhooks against a real local HTTP server (retry after a 500),
email through Django's locmem backend, severity filters, escalation and reminders in wall clock."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from assessment import conf
from assessment.models import Alert, AlertTransition, NotificationAttempt, NotificationChannel
from assessment.services import (
    alert_acknowledge,
    alerts_escalate_and_repeat,
    assessments_run,
    notification_deliver,
    notifications_retry_due,
    webhook_signature,
)
from assessment.tasks import notification_send
from tests.assessment.synth import T0, Scenario, write_scenario

H = timedelta(hours=1)
SECRET = "whsec_test_7f3a"


class Receiver(ThreadingHTTPServer):
    """Records every request; answers with the queued status codes, then 200."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.codes: list[int] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hooks/pdm"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server: Receiver = self.server  # type: ignore[assignment]
        with server.lock:
            server.requests.append(({k: v for k, v in self.headers.items()}, body))
            code = server.codes.pop(0) if server.codes else 200
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"ok" if code < 300 else b"try again")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def voltage_alert(store, pump, capture) -> Alert:
    """One warning-level alert (rule:voltage_band of the asset alone on its site; risk stays Low),
    notifications delivered on commit."""
    write_scenario(
        store, pump.asset_id, T0, T0 + 2 * H, Scenario(voltage=lambda h: 380.0 if h >= 1 else 415.0)
    )
    with capture(execute=True):
        assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 2 * H)
    return Alert.objects.get(asset=pump)


def verify(headers: dict[str, str], body: bytes, secret: str = SECRET) -> dict:
    """What a receiver does: recompute the HMAC over the raw body, check the clock skew."""
    ts = headers["X-PdM-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-PdM-Signature"], expected)
    assert abs(time.time() - int(ts)) <= 300
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


def test_signature_matches_the_contract_test_vector():
    assert webhook_signature(
        secret="whsec_example", timestamp="1736922660", body=b'{"type":"alert.opened"}'
    ) == ("sha256=6cb6d7e2890a6d818724687ffd6ca41a7fd21c562c04ea3d8330f01f49e90537")


def test_webhook_is_signed_and_retried_after_a_500(
    sql_only, pump, receiver, django_capture_on_commit_callbacks, caplog
):
    NotificationChannel.objects.create(tenant=pump.tenant, kind="webhook", target=receiver.url, secret=SECRET)
    receiver.codes = [500]
    caplog.set_level("INFO", logger="celery.app.trace")
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    assert alert.cause == "rule:voltage_band" and alert.notification_count == 1
    # Celery retried the task (autoretry_for); in eager mode the retry runs at once
    assert "Retry in 60s: DeliveryRetryable('webhook answered HTTP 500" in caplog.text
    attempt = NotificationAttempt.objects.get(alert=alert)
    assert (
        attempt.event,
        attempt.status,
        attempt.attempts,
        attempt.last_status_code,
        attempt.last_error,
    ) == ("opened", "sent", 2, 200, "")
    assert len(receiver.requests) == 2
    bodies = [verify(h, b) for h, b in receiver.requests]
    deliveries = {h["X-PdM-Delivery"] for h, _ in receiver.requests}
    assert deliveries == {str(attempt.delivery_id)}  # unchanged across retries
    for (headers, _), body in zip(receiver.requests, bodies, strict=True):
        assert headers["X-PdM-Event"] == "alert.opened"
        assert body["type"] == "alert.opened" and body["contract_version"] == "1"
        assert body["delivery_id"] == str(attempt.delivery_id)
        assert body["alert"]["id"] == str(alert.pk) and body["alert"]["cause"] == "rule:voltage_band"
        assert body["alert"]["explanation"] == alert.explanation
        assert body["alert"]["guidance"]["passages"]
    # a wrong secret does not verify
    with pytest.raises(AssertionError):
        verify(*receiver.requests[-1], secret="not-the-secret")
    # nothing is left to send
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_retry_due(now=timezone.now() + timedelta(days=1)) == 0
    assert len(receiver.requests) == 2


def test_the_task_backs_off_exponentially_then_gives_up(
    sql_only, pump, receiver, django_capture_on_commit_callbacks, caplog
):
    NotificationChannel.objects.create(tenant=pump.tenant, kind="webhook", target=receiver.url, secret=SECRET)
    receiver.codes = [503] * 6
    caplog.set_level("INFO", logger="celery.app.trace")
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    countdowns = [int(x) for x in re.findall(r"Retry in (\d+)s", caplog.text)]
    assert countdowns == [60, 120, 240, 480]
    assert notification_send.max_retries == 4 and notification_send.acks_late
    attempt = NotificationAttempt.objects.get(alert=alert)
    assert (attempt.status, attempt.attempts, attempt.last_status_code) == ("failed", 5, 503)
    assert len(receiver.requests) == 5  # five tries in all
    # a redelivered task does not send a finished attempt again
    assert notification_deliver(attempt_id=attempt.pk) == "failed"
    assert len(receiver.requests) == 5


def test_a_lost_delivery_is_picked_up_by_the_sweep(
    sql_only, pump, receiver, django_capture_on_commit_callbacks
):
    channel = NotificationChannel.objects.create(
        tenant=pump.tenant, kind="webhook", target=receiver.url, secret=SECRET, active=False
    )
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    assert not receiver.requests  # the channel was inactive when the alert opened
    channel.active = True
    channel.save()
    # an attempt whose task was lost (broker outage, killed worker before the claim)
    attempt = NotificationAttempt.objects.create(
        alert=alert, channel=channel, event="opened", next_attempt_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_retry_due() == 0  # not overdue yet
        assert (
            notifications_retry_due(now=timezone.now() + conf.NOTIFY_SWEEP_GRACE + timedelta(seconds=1)) == 1
        )
    attempt.refresh_from_db()
    assert attempt.status == "sent" and len(receiver.requests) == 1
    verify(*receiver.requests[0])


def test_a_4xx_is_not_retried(sql_only, pump, receiver, django_capture_on_commit_callbacks):
    NotificationChannel.objects.create(tenant=pump.tenant, kind="webhook", target=receiver.url, secret=SECRET)
    receiver.codes = [410]
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    attempt = NotificationAttempt.objects.get(alert=alert)
    assert (attempt.status, attempt.attempts, attempt.last_status_code) == ("failed", 1, 410)
    with django_capture_on_commit_callbacks(execute=True):
        notifications_retry_due(now=timezone.now() + timedelta(days=1))
    assert len(receiver.requests) == 1


def test_email_and_severity_filters(sql_only, pump, mailoutbox, django_capture_on_commit_callbacks):
    NotificationChannel.objects.create(tenant=pump.tenant, kind="email", target="ops@example.com")
    NotificationChannel.objects.create(
        tenant=pump.tenant, kind="email", target="critical-only@example.com", min_severity="critical"
    )
    NotificationChannel.objects.create(
        tenant=pump.tenant, kind="email", target="boss@example.com", escalation_only=True
    )
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [["ops@example.com"]]
    mail = mailoutbox[0]
    assert mail.subject == "[PdM] warning rule:voltage_band on PUMP-07"
    assert alert.explanation in mail.body
    assert f"/api/v1/alerts/{alert.pk}" in mail.body
    for p in alert.guidance["passages"]:
        assert p["citation"] in mail.body
    assert NotificationAttempt.objects.get(alert=alert).status == "sent"


def test_escalation_once_and_reminders_in_wall_clock(
    sql_only, pump, mailoutbox, django_capture_on_commit_callbacks
):
    NotificationChannel.objects.create(tenant=pump.tenant, kind="email", target="ops@example.com")
    NotificationChannel.objects.create(
        tenant=pump.tenant, kind="email", target="boss@example.com", escalation_only=True
    )
    alert = voltage_alert(sql_only, pump, django_capture_on_commit_callbacks)
    opened = alert.created_at
    mailoutbox.clear()

    def tick(now):
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_escalate_and_repeat(now=now)

    assert tick(opened + timedelta(minutes=59)) == {"escalated": 0, "reminded": 0, "requeued": 0}
    assert tick(opened + timedelta(minutes=61))["escalated"] == 1
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("boss@example.com", "[PdM] Escalated: warning rule:voltage_band on PUMP-07"),
        ("ops@example.com", "[PdM] Escalated: warning rule:voltage_band on PUMP-07"),
    ]
    assert tick(opened + timedelta(minutes=90))["escalated"] == 0  # once per alert
    alert.refresh_from_db()
    assert alert.escalated_at == opened + timedelta(minutes=61) and alert.notification_count == 2
    mailoutbox.clear()
    # reminders every 4 h after the last notification, to the ordinary channels only
    assert tick(alert.last_notified_at + timedelta(hours=3, minutes=59))["reminded"] == 0
    assert tick(alert.last_notified_at + 4 * H)["reminded"] == 1
    assert [(m.to[0], m.subject) for m in mailoutbox] == [
        ("ops@example.com", "[PdM] Reminder: warning rule:voltage_band on PUMP-07")
    ]
    actions = list(AlertTransition.objects.filter(alert=alert).values_list("action", "actor"))
    assert actions == [("opened", "system"), ("escalated", "system"), ("reminded", "system")]
    # acknowledged alerts neither escalate nor repeat
    alert_acknowledge(alert_id=alert.pk, tenant=pump.tenant, actor="alice")
    assert tick(opened + timedelta(days=2)) == {"escalated": 0, "reminded": 0, "requeued": 0}


def test_an_incident_notifies_its_opening_and_its_rise_not_each_condition(
    sql_only, pump, receiver, django_capture_on_commit_callbacks
):
    """Three conditions in one incident: two webhooks (opened, raised), the body lists the conditions."""
    from django.db import transaction

    from assessment.services.alert_causes import CauseHit
    from assessment.services.incidents import IncidentBook

    NotificationChannel.objects.create(tenant=pump.tenant, kind="webhook", target=receiver.url, secret=SECRET)

    def hit(cause: str, value: float) -> CauseHit:
        rule = cause.startswith("rule:")  # hotter is worse; for risk, a lower health is
        return CauseHit(
            cause, value, "°C" if rule else "health", (lambda x: x) if rule else (lambda x: -x), None
        )

    steps = [
        {"rule:temperature_limit": 97.0, "risk_high": 60.0},
        {"rule:temperature_limit": 98.0, "risk_high": 30.0, "risk_critical": 30.0},
        {"rule:temperature_limit": 99.0, "risk_high": 30.0, "risk_critical": 30.0},
    ]
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        book = IncidentBook(pump, now=timezone.now())
        for i, causes in enumerate(steps):
            book.apply(
                at=T0 + i * timedelta(minutes=10),
                hits={c: hit(c, v) for c, v in causes.items()},
                running=True,
                as_of=None,
                explanation="Risk is High.",
                factors=[],
                guidance=lambda cause: {},
            )
        book.flush(assessment_ids={})
    alert = Alert.objects.get(asset=pump)
    assert (alert.severity, alert.notification_count) == ("critical", 2)
    events = [h["X-PdM-Event"] for h, _ in receiver.requests]
    assert events == ["alert.opened", "alert.raised"]
    body = verify(*receiver.requests[-1])
    conds = {c["cause"]: c["peak_value"] for c in body["alert"]["conditions"]}
    assert conds == {"rule:temperature_limit": 99.0, "risk_high": 30.0, "risk_critical": 30.0}
    assert body["alert"]["kind"] == "equipment" and body["alert"]["resolution"] is None
