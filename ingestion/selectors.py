"""Reads of the asset registry and tokens. Every asset read is scoped by tenant."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from .models import ApiToken, Asset, Tenant
from .schemas import SIGNAL_FIELDS
from .timeseries import get_store
from .tokens import token_matches, token_prefix


def api_token_authenticate(*, token: str) -> ApiToken | None:
    """The active token row matching this secret, or None. Updates last_used_at at most once a minute."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    row = ApiToken.objects.select_related("tenant").filter(prefix=prefix, revoked_at__isnull=True).first()
    if row is None or not token_matches(token, row.digest):
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row


def asset_list(*, tenant: Tenant, active: bool | None = None) -> QuerySet[Asset]:
    qs = Asset.objects.filter(tenant=tenant).select_related("tenant")
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def asset_get(*, tenant: Tenant, asset_id: str) -> Asset | None:
    return Asset.objects.filter(tenant=tenant, asset_id=asset_id).select_related("tenant").first()


def assets_by_id(*, asset_ids: set[str]) -> dict[str, Asset]:
    """Assets of any tenant by asset_id: ingest uses it to tell unknown from foreign."""
    return {a.asset_id: a for a in Asset.objects.filter(asset_id__in=asset_ids).select_related("tenant")}


# --- time-series reads ------------------------------------------------------------------

SIGNAL_READ_FIELDS = (
    *SIGNAL_FIELDS,
    "power_kw",
    "apparent_power_kva",
    "reactive_power_kvar",
)
MAX_RAW_POINTS = 20_000
AUTO_MAX_BUCKETS = 500
_LADDER_S = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RangeTooLarge(Exception):
    """A raw read would return more points than a chart can use: ask for a resolution."""


def bucket_for(*, resolution: str, start: datetime, end: datetime) -> timedelta | None:
    """The bucket a resolution asks for; None means raw points."""
    if resolution == "raw":
        return None
    if resolution == "auto":
        span = (end - start).total_seconds()
        for step in _LADDER_S:
            if span / step <= AUTO_MAX_BUCKETS:
                return timedelta(seconds=step)
        return timedelta(seconds=_LADDER_S[-1])
    return timedelta(seconds=int(resolution[:-1]) * _UNIT_S[resolution[-1]])


def signals_read(
    *, asset: Asset, start: datetime, end: datetime, fields: list[str], resolution: str
) -> dict[str, Any]:
    """Chart series of one asset: raw points, or mean/min/max/count per epoch-aligned bucket."""
    store = get_store()
    bucket = bucket_for(resolution=resolution, start=start, end=end)
    if bucket is None:
        n = store.count(measurement="events", asset_id=asset.asset_id, start=start, end=end)
        if n > MAX_RAW_POINTS:
            raise RangeTooLarge(
                f"{n} raw points in range (at most {MAX_RAW_POINTS}); narrow the range or pass resolution"
            )
        points = store.read(
            measurement="events", asset_id=asset.asset_id, start=start, end=end, fields=fields
        )
        series = [{"time": p.time, "values": {f: p.fields.get(f) for f in fields}} for p in points]
    else:
        buckets = store.aggregate(
            measurement="events", asset_id=asset.asset_id, start=start, end=end, every=bucket, fields=fields
        )
        series = [{"time": b.time, "values": b.values} for b in buckets]
    return {
        "asset_id": asset.asset_id,
        "start": start,
        "end": end,
        "resolution": "raw" if bucket is None else f"{int(bucket.total_seconds())}s",
        "fields": fields,
        "series": series,
    }


def signals_latest(*, asset: Asset) -> dict[str, Any] | None:
    point = get_store().latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    if point is None:
        return None
    return {"asset_id": asset.asset_id, "time": point.time, "values": dict(point.fields)}
