"""The event gate: validate, check ownership, derive, store (or spool), hand off to analytics."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import transaction

from ..derived import derived_signals
from ..models import Asset, Phase, Tenant
from ..schemas import EventBatchInvalid, EventError, SensorEventV1, parse_events
from ..selectors import assets_by_id
from ..timeseries import Point, TimeSeriesUnavailable, get_store
from . import spool

logger = logging.getLogger(__name__)

EVENTS = "events"


class ForeignAssets(Exception):
    """The batch names assets of another tenant: refused whole (403), nothing stored."""

    def __init__(self, asset_ids: Sequence[str]):
        super().__init__(f"asset(s) of another tenant: {', '.join(sorted(asset_ids))}")
        self.asset_ids = sorted(asset_ids)


@dataclass(frozen=True)
class AssetSpan:
    """The event-time range a batch touched for one asset: analytics recompute from `start`."""

    asset_id: str
    start: datetime
    end: datetime
    count: int


@dataclass
class IngestResult:
    accepted: int
    spooled: bool
    spans: list[AssetSpan] = field(default_factory=list)

    @property
    def assets(self) -> int:
        return len(self.spans)


# Set by the analytics app at start-up (analytics.apps): called once the events are in the
# store, with the spans to (re)compute; it records them durably in SQL before returning, so
# a response of 201 means the analytics will see these events. Ingestion does not import
# analytics' internals.
analytics_handoff: Callable[[list[AssetSpan]], None] | None = None


def event_points(events: Sequence[SensorEventV1], assets: dict[str, Asset]) -> list[Point]:
    """The store points of validated events: readings, derived signals and the event id."""
    three_phase = {asset_id: asset.phase == Phase.THREE for asset_id, asset in assets.items()}
    points = []
    append = points.append
    for ev in events:
        fields: dict[str, float | str] = ev.signals()
        fields.update(
            derived_signals(
                voltage_v=ev.voltage_v,
                current_a=ev.current_a,
                power_factor=ev.power_factor,
                three_phase=three_phase[ev.asset_id],
            )
        )
        fields["event_id"] = str(ev.event_id)
        append(Point(EVENTS, ev.asset_id, ev.timestamp, fields))
    return points


def events_check_assets(*, tenant: Tenant, events: Sequence[SensorEventV1]) -> dict[str, Asset]:
    """Assets named by the batch; unknown or inactive ones are contract errors, foreign ones 403."""
    assets = assets_by_id(asset_ids={ev.asset_id for ev in events})
    foreign = {a.asset_id for a in assets.values() if a.tenant_id != tenant.pk}
    if foreign:
        raise ForeignAssets(list(foreign))
    errors = []
    for index, ev in enumerate(events):
        asset = assets.get(ev.asset_id)
        if asset is None:
            errors.append(
                EventError(index, "asset_id", "unknown_asset", f"no asset {ev.asset_id!r} is registered")
            )
        elif not asset.active:
            errors.append(
                EventError(index, "asset_id", "inactive_asset", f"asset {ev.asset_id!r} is not active")
            )
    if errors:
        raise EventBatchInvalid(errors)
    return assets


def _spans(events: Sequence[SensorEventV1]) -> list[AssetSpan]:
    spans: dict[str, list] = {}
    for ev in events:
        t = ev.timestamp
        s = spans.get(ev.asset_id)
        if s is None:
            spans[ev.asset_id] = [t, t, 1]
        else:
            if t < s[0]:
                s[0] = t
            elif t > s[1]:
                s[1] = t
            s[2] += 1
    return [AssetSpan(a, start, end, n) for a, (start, end, n) in sorted(spans.items())]


def events_store(
    *, tenant: Tenant, events: Sequence[SensorEventV1], assets: dict[str, Asset]
) -> IngestResult:
    """Write validated events to the store, or to the spool when the store is unreachable.

    While older events wait in the spool, new ones join the queue behind them, so a
    natural key rewritten later is never overwritten by an older replay.
    """
    points = event_points(events, assets)
    spooled = False
    if spool.spool_pending():
        spool.spool_append(tenant=tenant, points=points)
        spooled = True
    else:
        try:
            get_store().write(points)
        except TimeSeriesUnavailable as exc:
            logger.warning("time-series store unreachable, spooling %d events: %s", len(points), exc)
            spool.spool_append(tenant=tenant, points=points, error=str(exc))
            spooled = True
    result = IngestResult(accepted=len(events), spooled=spooled, spans=_spans(events))
    if spooled:
        transaction.on_commit(spool.spool_replay_request)
    elif analytics_handoff is not None:
        # Not deferred to on_commit: if recording the work fails (a locked database), the
        # request fails with 503 and the client's retry rewrites the same points (idempotent).
        analytics_handoff(result.spans)
    return result


def events_check_retention(*, events: Sequence[SensorEventV1], now: datetime | None = None) -> None:
    """Refuse events older than the raw retention: the store would drop them silently."""
    retention = settings.RAW_RETENTION
    if retention is None:
        return
    oldest = (now or datetime.now(UTC)) - retention
    errors = [
        EventError(
            i,
            "timestamp",
            "beyond_retention",
            f"timestamp is older than the raw retention of {settings.INFLUXDB_RAW_RETENTION} "
            f"(before {oldest.isoformat().replace('+00:00', 'Z')})",
        )
        for i, ev in enumerate(events)
        if ev.timestamp < oldest
    ]
    if errors:
        raise EventBatchInvalid(errors)


def events_ingest(*, tenant: Tenant, body: bytes | str, now: datetime | None = None) -> IngestResult:
    """Validate a request body against the contract and store every event, or none of them."""
    events = parse_events(body, now=now)
    events_check_retention(events=events, now=now)
    assets = events_check_assets(tenant=tenant, events=events)
    return events_store(tenant=tenant, events=events, assets=assets)
