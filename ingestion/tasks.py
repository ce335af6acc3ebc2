"""Celery tasks of the ingestion app: thin, idempotent, own their retries."""

from __future__ import annotations

from celery import shared_task

from .services import events as event_services
from .services.spool import spool_replay
from .timeseries import Point


def _handoff_replayed(points: list[Point]) -> None:
    if event_services.analytics_handoff is None or not points:
        return
    spans: dict[str, list] = {}
    for p in points:
        s = spans.setdefault(p.asset_id, [p.time, p.time, 0])
        s[0], s[1], s[2] = min(s[0], p.time), max(s[1], p.time), s[2] + 1
    event_services.analytics_handoff(
        [event_services.AssetSpan(a, start, end, n) for a, (start, end, n) in sorted(spans.items())]
    )


@shared_task(acks_late=True, ignore_result=True)
def spool_replay_task() -> dict:
    """Replay the spool in order; the beat schedule runs it again until the spool is empty."""
    result = spool_replay(on_replayed=_handoff_replayed)
    return {"entries": result.entries, "events": result.events, "remaining": result.remaining}


@shared_task(acks_late=True)
def worker_ping() -> dict:
    """Prove a worker is consuming and can reach the time-series store (ops and tests)."""
    from .timeseries import get_store

    store = get_store()
    return {"timeseries": store.backend, "version": store.ping()}
