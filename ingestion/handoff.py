"""The hand-off of stored events to the pipeline: the one place ingestion calls upward.

Ingestion sits below analytics and assessment (docs/ARCHITECTURE.md), so it cannot import
the pipeline it feeds. It names it in one setting instead: ``INGEST_HANDOFF``, the dotted
path of a callable taking the batch's `AssetSpan` list (pdm_project/settings/analytics.py;
today ``assessment.tasks.pipeline_request``). A setting rather than a Django signal because
the hand-off is a call with exactly one callee whose failure must fail the request: a signal
may have no receiver (ingest would answer 201 and nothing would ever be analysed) or
several, and its receivers are found only by searching for ``connect`` calls.

The callee commits each asset's pending range in SQL and wakes a worker where none is queued
before it returns (or raises DatabaseError or AnalyticsHandoffUnavailable), so a 201 means the
analytics will see these events (docs/CONTRACTS.md §17.4).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from .timeseries import Point


@dataclass(frozen=True)
class AssetSpan:
    """The event-time range a batch touched for one asset: analytics recompute from `start`."""

    asset_id: str
    start: datetime
    end: datetime
    count: int
    asset_pk: int | None = None  # known at ingest; the hand-off looks it up when missing


class AnalyticsHandoffUnavailable(Exception):
    """The events are stored but no analytics run could be queued for them: answer 503 so the
    client resends (an idempotent rewrite) instead of 201 (docs/CONTRACTS.md section 17.4)."""


@functools.cache
def _callee(path: str) -> Callable[[list[AssetSpan]], object]:
    return import_string(path)  # once per path: ~5 us a call, on every ingest request


def events_handoff(spans: list[AssetSpan]) -> None:
    """Hand the spans of stored events to the pipeline named by ``settings.INGEST_HANDOFF``."""
    if spans:
        _callee(settings.INGEST_HANDOFF)(spans)


def spans_of_points(points: Iterable[Point]) -> list[AssetSpan]:
    """The span of each asset among stored points (a replayed spool entry), in asset order."""
    spans: dict[str, list] = {}
    for p in points:
        s = spans.setdefault(p.asset_id, [p.time, p.time, 0])
        s[0], s[1], s[2] = min(s[0], p.time), max(s[1], p.time), s[2] + 1
    return [AssetSpan(a, start, end, n) for a, (start, end, n) in sorted(spans.items())]


def handoff_check(**kwargs) -> list[checks.CheckMessage]:
    """System check: ``INGEST_HANDOFF`` names an importable callable (else every ingest fails)."""
    path = settings.INGEST_HANDOFF
    try:
        target = import_string(path)
    except ImportError as exc:
        return [
            checks.Error(
                f"INGEST_HANDOFF = {path!r} cannot be imported: {exc}",
                hint="set it to the dotted path of the pipeline's hand-off callable "
                "(default 'assessment.tasks.pipeline_request')",
                id="ingestion.E001",
            )
        ]
    if not callable(target):
        return [checks.Error(f"INGEST_HANDOFF = {path!r} is not callable", id="ingestion.E001")]
    return []
