"""Celery tasks of the ingestion app: thin, idempotent, own their retries."""

from __future__ import annotations

from celery import shared_task

from .handoff import events_handoff, spans_of_points
from .services.spool import spool_replay
from .timeseries import Point, get_store


def _handoff_replayed(points: list[Point]) -> None:
    events_handoff(spans_of_points(points))


@shared_task(acks_late=True, ignore_result=True)
def spool_replay_task() -> dict:
    """Replay the spool in order; the beat schedule runs it again until the spool is empty."""
    result = spool_replay(on_replayed=_handoff_replayed)
    return {"entries": result.entries, "events": result.events, "remaining": result.remaining}


@shared_task(acks_late=True)
def worker_ping() -> dict:
    """Prove a worker is consuming and can reach the time-series store (ops and tests)."""
    store = get_store()
    return {"timeseries": store.backend, "version": store.ping()}
