"""Settings the assessment app reads, each with its contract default (read at call time)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings


def assessment_interval() -> timedelta:
    """Event-time grid step (docs/CONTRACTS.md §13): ASSESSMENT_INTERVAL_MIN, default 10 min."""
    return timedelta(minutes=float(getattr(settings, "ASSESSMENT_INTERVAL_MIN", 10)))


def stale_after_minutes_default() -> float:
    return float(getattr(settings, "STALE_AFTER_MINUTES", 15))


def auto_resolve_after() -> timedelta:
    return timedelta(hours=float(getattr(settings, "ALERT_AUTO_RESOLVE_HOURS", 6)))


def condition_hold() -> timedelta:
    """Event time of running a condition must stay absent before it clears (docs/CONTRACTS.md
    §15.2): ALERT_HOLD_HOURS, default 2 h."""
    return timedelta(hours=float(getattr(settings, "ALERT_HOLD_HOURS", 2)))


def reopen_window() -> timedelta:
    """Event time after an automatic resolution within which a relapse reopens the same incident:
    ALERT_REOPEN_WINDOW_HOURS, default 24 h."""
    return timedelta(hours=float(getattr(settings, "ALERT_REOPEN_WINDOW_HOURS", 24)))


def escalate_after() -> timedelta:
    minutes: Any = getattr(settings, "ALERT_ESCALATE_MINUTES", None)
    if minutes is None:  # the name of docs/CONTRACTS.md Appendix A
        minutes = getattr(settings, "ALERT_ESCALATE_AFTER_MINUTES", 60)
    return timedelta(minutes=float(minutes))


def repeat_every() -> timedelta:
    return timedelta(hours=float(getattr(settings, "ALERT_REPEAT_HOURS", 4)))


def public_base_url() -> str:
    """Prefix of links in notifications (e.g. https://pdm.example.com); empty gives relative links."""
    return str(getattr(settings, "PDM_PUBLIC_URL", "")).rstrip("/")


# Notification delivery (docs/CONTRACTS.md §15.4): the Celery task retries with exponential backoff.
NOTIFY_MAX_ATTEMPTS = 5
NOTIFY_BACKOFF_S = 60  # 60, 120, 240, 480 s between the five attempts
NOTIFY_BACKOFF_MAX_S = 3600
NOTIFY_TIMEOUT_S = 10.0
# An attempt due this long ago without progress (lost task, eager mode, broker outage) is re-enqueued
# by the periodic task; a claimed ("sending") attempt this old is considered abandoned.
NOTIFY_SWEEP_GRACE = timedelta(minutes=5)


def notify_backoff_s(attempts_done: int) -> int:
    """Delay before the next attempt after ``attempts_done`` failures (Celery's exponential formula)."""
    return int(min(NOTIFY_BACKOFF_MAX_S, NOTIFY_BACKOFF_S * (2 ** max(0, attempts_done - 1))))
