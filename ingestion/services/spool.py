"""The durable spool: accepted events wait in SQL while the time-series store is down.

Entries are replayed strictly in id order, one at a time under a lock, and each is
deleted in the same transaction that follows its successful write. A replay that dies
between the write and the delete rewrites the same points next time, which the store
treats as the same points (identity = measurement, asset, time): nothing is lost and
nothing is stored twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.core.cache import cache
from django.db import connection, transaction

from ..models import SpoolEntry, Tenant
from ..timeseries import Point, TimeSeriesError, TimeSeriesUnavailable, get_store

logger = logging.getLogger(__name__)

LOCK_KEY = "pdm:spool-replay-lock"
LOCK_SECONDS = 600


@dataclass(frozen=True)
class ReplayResult:
    entries: int
    events: int
    remaining: int
    error: str = ""


def spool_pending() -> bool:
    """Whether any entry waits. Asked before every direct write (see events_store), so it is
    one plain statement: the ORM spent more CPU building `.exists()` than the database did."""
    table = connection.ops.quote_name(SpoolEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - the model's own table name
        return cursor.fetchone() is not None


def _encode(points: Sequence[Point]) -> dict:
    return {
        "measurement": points[0].measurement if points else "events",
        "points": [[p.asset_id, p.time.isoformat(), p.fields] for p in points],
    }


def _decode(payload: dict) -> list[Point]:
    m = payload["measurement"]
    return [Point(m, a, datetime.fromisoformat(t), f) for a, t, f in payload["points"]]


def spool_append(*, tenant: Tenant, points: Sequence[Point], error: str = "") -> SpoolEntry:
    return SpoolEntry.objects.create(
        tenant=tenant, payload=_encode(points), n_events=len(points), last_error=error[:2000]
    )


def spool_replay(*, on_replayed: Callable[[list[Point]], None] | None = None) -> ReplayResult:
    """Write spooled entries to the store in order until the spool is empty or the store fails."""
    if not cache.add(LOCK_KEY, "1", timeout=LOCK_SECONDS):
        return ReplayResult(0, 0, SpoolEntry.objects.count(), "another replay is running")
    entries = events = 0
    error = ""
    try:
        store = get_store()
        while True:
            with transaction.atomic():
                entry = SpoolEntry.objects.select_for_update().order_by("id").first()
                if entry is None:
                    break
                points = _decode(entry.payload)
                try:
                    store.write(points)
                except TimeSeriesError as exc:
                    # Kept, in order, until the store takes it: an outage passes; a refusal (a
                    # field type conflict) waits for an operator, whom the log and the admin's
                    # spool list tell why.
                    error = str(exc)
                    if not isinstance(exc, TimeSeriesUnavailable):
                        logger.error("spool: entry %d refused by the time-series store: %s", entry.pk, exc)
                    SpoolEntry.objects.filter(pk=entry.pk).update(
                        attempts=entry.attempts + 1, last_error=error[:2000]
                    )
                    break
                entry.delete()
            entries += 1
            events += len(points)
            if on_replayed is not None:
                transaction.on_commit(partial(on_replayed, points))
    finally:
        cache.delete(LOCK_KEY)
    remaining = SpoolEntry.objects.count()
    if entries:
        logger.info("spool: replayed %d entries (%d events), %d remain", entries, events, remaining)
    return ReplayResult(entries, events, remaining, error)
