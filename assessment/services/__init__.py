"""Writes of the assessment app: the event-time assessment grid, alert transitions, notifications."""

from .alerts import (
    IllegalTransition,
    alert_acknowledge,
    alert_resolve,
    alerts_escalate_and_repeat,
)
from .assessing import assessments_run, explain_record_of, grid_points
from .notifications import DeliveryRetryable, notification_deliver, notifications_retry_due, webhook_signature
from .staleness import assets_stale_check

__all__ = [
    "DeliveryRetryable",
    "IllegalTransition",
    "alert_acknowledge",
    "alert_resolve",
    "alerts_escalate_and_repeat",
    "assessments_run",
    "assets_stale_check",
    "explain_record_of",
    "grid_points",
    "notification_deliver",
    "notifications_retry_due",
    "webhook_signature",
]
