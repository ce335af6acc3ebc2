"""The wall-clock staleness check (docs/CONTRACTS.md §12), run by beat every 60 s.

Live monitoring cannot wait for event time to move: an asset that stops sending has no new event
time.  This check opens ``no_data`` for every active asset whose newest event is older than its
``stale_after`` relative to now.  Resolution happens in event time: the first assessment grid point
at which the asset is no longer stale resolves it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from ingestion.models import Asset
from ingestion.timeseries import TimeSeriesUnavailable, get_store

from .. import selectors
from ..models import ACTIVE_STATES, Alert, AlertCause
from .alerts import alert_no_data_open
from .guidance import guidance_build, knowledge_index_for

logger = logging.getLogger(__name__)


def assets_stale_check(*, now: datetime | None = None) -> int:
    """Open ``no_data`` alerts for stale assets; returns how many were opened."""
    now = now or timezone.now()
    assets = list(Asset.objects.filter(active=True).select_related("tenant"))
    if not assets:
        return 0
    try:
        latest = get_store().latest(measurement="events", asset_ids=[a.asset_id for a in assets], fields=None)
    except TimeSeriesUnavailable as exc:
        logger.warning("stale check skipped: %s", exc)
        return 0
    active_no_data = set(
        Alert.objects.filter(cause=AlertCause.NO_DATA, state__in=ACTIVE_STATES).values_list(
            "asset__asset_id", flat=True
        )
    )
    opened = 0
    for asset in assets:
        point = latest.get(asset.asset_id)
        if point is None or asset.asset_id in active_no_data:
            continue  # never sent data (not alerted, §12), or already alerted
        age_s = (now - point.time).total_seconds()
        if age_s <= selectors.stale_after_minutes(asset=asset) * 60.0:
            continue  # stale_after is at least this, so not stale
        stale_after = selectors.stale_after_seconds(asset=asset, newest_event_time=point.time)
        if age_s <= stale_after:
            continue
        guidance = guidance_build(
            index=knowledge_index_for(tenant=asset.tenant), asset=asset, cause=AlertCause.NO_DATA, factors=[]
        )
        if alert_no_data_open(
            asset=asset, newest_event_time=point.time, stale_after_s=stale_after, guidance=guidance, now=now
        ):
            opened += 1
    return opened
