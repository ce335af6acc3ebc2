"""The event gate: validate, check ownership, derive, store (or spool), hand off to the pipeline."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import add, itemgetter

from django.conf import settings
from django.db import transaction

from pdm_project.contract import DERIVED_SIGNALS, SIGNAL_FIELDS

from .. import tasks
from ..derived import derived_columns
from ..handoff import AssetSpan, events_handoff
from ..models import Asset, Phase, Tenant
from ..schemas import EventBatchInvalid, EventError, SensorEventV1, parse_events
from ..selectors import assets_by_id
from ..timeseries import PointRows, TimeSeriesMisconfigured, TimeSeriesUnavailable, get_store
from . import spool

logger = logging.getLogger(__name__)

EVENTS = "events"


class ForeignAssets(Exception):
    """The batch names assets of another tenant: refused whole (403), nothing stored."""

    def __init__(self, asset_ids: Sequence[str]):
        super().__init__(f"asset(s) of another tenant: {', '.join(sorted(asset_ids))}")
        self.asset_ids = sorted(asset_ids)


@dataclass
class IngestResult:
    accepted: int
    spooled: bool
    spans: list[AssetSpan] = field(default_factory=list)
    # Why the events went to the spool: the store's exception (None when they did not, or when
    # they queued behind older spooled events without asking the store).
    spool_reason: TimeSeriesUnavailable | None = None

    @property
    def assets(self) -> int:
        return len(self.spans)


# The `events` point of one event: its readings, the event id and the derived signals.
EVENT_FIELDS = (*SIGNAL_FIELDS, "event_id", *DERIVED_SIGNALS)
EVENT_KINDS = (float,) * len(SIGNAL_FIELDS) + (str,) + (float,) * len(DERIVED_SIGNALS)
_stored_values = itemgetter(*SIGNAL_FIELDS, "event_id")
_asset_id = itemgetter("asset_id")
_timestamp = itemgetter("timestamp")
_V, _I, _PF = (itemgetter(SIGNAL_FIELDS.index(n)) for n in ("voltage_v", "current_a", "power_factor"))
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def event_rows(
    events: Sequence[SensorEventV1], assets: dict[str, Asset]
) -> tuple[PointRows, list[AssetSpan]]:
    """The store rows of validated events, and the event-time span each asset's events cover.

    Column at a time, with C loops (itemgetter, map, zip) and no dict per event: this and the
    contract validation are the CPU of a batch. Validated events satisfy every PointRows
    guarantee (pattern-checked asset ids, finite bounded readings, so finite derived values,
    UTC times after 2000, unique natural keys).
    """
    three_phase = {asset_id: asset.phase == Phase.THREE for asset_id, asset in assets.items()}
    # pydantic keeps field values in the instance __dict__; one C call fetches a row of them.
    fields = [ev.__dict__ for ev in events]
    stored = list(map(_stored_values, fields))
    asset_ids = list(map(_asset_id, fields))
    times = list(map(_timestamp, fields))
    derived = derived_columns(
        voltage_v=list(map(_V, stored)),
        current_a=list(map(_I, stored)),
        power_factor=list(map(_PF, stored)),
        three_phase=list(map(three_phase.__getitem__, asset_ids)),
    )
    micros = [(ts - _EPOCH) // _MICROSECOND for ts in times]
    rows = list(zip(asset_ids, micros, map(add, stored, zip(*derived, strict=True)), strict=True))
    by_asset: dict[str, list[datetime]] = {}
    for asset_id, ts in zip(asset_ids, times, strict=True):
        seen = by_asset.get(asset_id)
        if seen is None:
            by_asset[asset_id] = [ts]
        else:
            seen.append(ts)
    return (
        PointRows("events", EVENT_FIELDS, EVENT_KINDS, rows),
        [AssetSpan(a, min(ts), max(ts), len(ts), assets[a].pk) for a, ts in sorted(by_asset.items())],
    )


def events_check_assets(*, tenant: Tenant, events: Sequence[SensorEventV1]) -> dict[str, Asset]:
    """Assets named by the batch; unknown or inactive ones are contract errors, foreign ones 403."""
    named = {ev.asset_id for ev in events}
    assets = assets_by_id(asset_ids=named)
    foreign = {a.asset_id for a in assets.values() if a.tenant_id != tenant.pk}
    if foreign:
        raise ForeignAssets(list(foreign))
    if len(assets) == len(named) and all(asset.active for asset in assets.values()):
        return assets
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


def events_store(
    *, tenant: Tenant, events: Sequence[SensorEventV1], assets: dict[str, Asset]
) -> IngestResult:
    """Write validated events to the store, or to the spool when the store is unreachable.

    While older events wait in the spool, new ones join the queue behind them, so a
    natural key rewritten later is never overwritten by an older replay.
    """
    rows, spans = event_rows(events, assets)
    spooled, reason = False, None
    if spool.spool_pending():
        spool.spool_append(tenant=tenant, points=rows.points())
        spooled = True
    else:
        try:
            get_store().write_rows(rows)
        except TimeSeriesUnavailable as exc:
            # A misconfigured store waits for an operator: say so louder than an outage.
            level = logging.ERROR if isinstance(exc, TimeSeriesMisconfigured) else logging.WARNING
            logger.log(level, "time-series store unavailable, spooling %d events: %s", len(rows.rows), exc)
            spool.spool_append(tenant=tenant, points=rows.points(), error=str(exc))
            spooled, reason = True, exc
    result = IngestResult(accepted=len(events), spooled=spooled, spans=spans, spool_reason=reason)
    if spooled:
        transaction.on_commit(tasks.spool_replay_task.delay)
    else:
        # Not deferred to on_commit: if recording the work fails (a locked database), the
        # request fails with 503 and the client's retry rewrites the same points (idempotent).
        events_handoff(result.spans)
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
