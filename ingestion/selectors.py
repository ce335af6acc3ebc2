"""Reads of the asset registry and tokens. Every asset read is scoped by tenant."""

from __future__ import annotations

import hmac
import logging
import threading
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from pdm_project.contract import EVENT_SIGNALS

from .models import ApiToken, Asset, Site, Tenant
from .timeseries import Point, get_store
from .tokens import token_digest, token_prefix

logger = logging.getLogger(__name__)

# --- registry cache: token and asset rows for the ingest hot path ----------------------------
#
# Every ingest request needs its token row and the rows of the assets it names; two ORM queries
# were a quarter of the CPU of a single-event request. Each process keeps copies, valid while
# the shared *registry generation* (a value in the Django cache: Redis in production) is the one
# they were read under, and for at most REGISTRY_CACHE_TTL_S. Every save() or delete() of an
# ApiToken, Asset or Tenant replaces the generation (at once and again on commit), so a revoked
# token or a deactivated asset is refused by every process within REGISTRY_RECHECK_S (the
# generation is read at most that often per process), and at once by the process that made the
# change. Changes that bypass save()/delete() (QuerySet.update(), raw SQL) are seen after the
# TTL. With a per-process cache backend (LocMemCache, no Redis) other processes see changes
# after the TTL. If the cache is unreachable nothing is cached. Unknown tokens and assets are
# never cached.

REGISTRY_GENERATION_KEY = "pdm:registry-generation"
REGISTRY_CACHE_TTL_S = 60.0
REGISTRY_RECHECK_S = 0.1
REGISTRY_MAX_ENTRIES = 10_000


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation: str | None = None
        self.checked_at = float("-inf")
        self.epoch = 0  # +1 on every forget(): a row read before then is not stored after it
        self.tokens: dict[str, tuple[float, ApiToken]] = {}  # digest -> (expires, row)
        self.assets: dict[str, tuple[float, Asset]] = {}  # asset_id -> (expires, row)

    def forget(self) -> None:
        self.epoch += 1
        self.tokens = {}
        self.assets = {}
        self.checked_at = float("-inf")

    def current(self) -> bool:
        """True when the copies may be used (after dropping them if the generation moved)."""
        now = time.monotonic()
        if now - self.checked_at < REGISTRY_RECHECK_S:
            return True
        try:
            generation = cache.get(REGISTRY_GENERATION_KEY)
            if generation is None:
                cache.add(REGISTRY_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
                generation = cache.get(REGISTRY_GENERATION_KEY)
        except Exception as exc:  # the cache is down: read the database every time
            logger.warning("registry cache disabled, the shared cache is unreachable: %s", exc)
            generation = None
        with self.lock:
            if generation is None or generation != self.generation:
                self.forget()
                self.generation = generation
            if generation is None:
                return False
            self.checked_at = now
        return True

    def bump(self) -> None:
        with self.lock:
            self.forget()
        try:
            cache.set(REGISTRY_GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        except Exception as exc:
            logger.warning("could not publish a registry change to the shared cache: %s", exc)

    def put(self, name: str, key: str, row, epoch: int) -> None:
        with self.lock:
            if epoch != self.epoch:
                return
            table = getattr(self, name)
            if len(table) >= REGISTRY_MAX_ENTRIES:
                table.clear()
            table[key] = (time.monotonic() + REGISTRY_CACHE_TTL_S, row)

    @staticmethod
    def get(table: dict, key: str):
        entry = table.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]


_registry = _Registry()


def registry_changed(**kwargs) -> None:
    """Signal receiver: a token, asset or tenant was saved or deleted."""
    _registry.bump()
    transaction.on_commit(_registry.bump, using=kwargs.get("using"))


for _model in (ApiToken, Asset, Tenant):
    post_save.connect(registry_changed, sender=_model, dispatch_uid=f"registry-cache-save-{_model.__name__}")
    post_delete.connect(
        registry_changed, sender=_model, dispatch_uid=f"registry-cache-delete-{_model.__name__}"
    )


def api_token_authenticate(*, token: str) -> ApiToken | None:
    """The active token row matching this secret, or None. Updates last_used_at at most once a minute."""
    prefix = token_prefix(token)
    if prefix is None:
        return None
    digest = token_digest(token)
    cached = _registry.current()
    epoch = _registry.epoch
    row = _registry.get(_registry.tokens, digest) if cached else None
    if row is None:
        # prefix is unique: no ordering needed (the model's ordering would join and sort)
        row = next(
            iter(
                ApiToken.objects.select_related("tenant")
                .filter(prefix=prefix, revoked_at__isnull=True)
                .order_by()[:1]
            ),
            None,
        )
        if row is None or not hmac.compare_digest(row.digest, digest):
            return None
        if cached:
            _registry.put("tokens", digest, row, epoch)
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row


def asset_list(*, tenant: Tenant, active: bool | None = None) -> QuerySet[Asset]:
    qs = Asset.objects.filter(tenant=tenant).select_related("tenant")
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def asset_get(*, tenant: Tenant, asset_id: str) -> Asset | None:
    return Asset.objects.filter(tenant=tenant, asset_id=asset_id).select_related("tenant").first()


def assets_by_id(*, asset_ids: set[str]) -> dict[str, Asset]:
    """Assets of any tenant by asset_id: ingest uses it to tell unknown from foreign.

    Served from the registry cache where it can be (see above); the rest in one query.
    """
    found: dict[str, Asset] = {}
    missing = asset_ids
    cached = _registry.current()
    epoch = _registry.epoch
    if cached:
        missing = set()
        for asset_id in asset_ids:
            row = _registry.get(_registry.assets, asset_id)
            if row is None:
                missing.add(asset_id)
            else:
                found[asset_id] = row
    if missing:
        for row in Asset.objects.filter(asset_id__in=missing).select_related("tenant").order_by():
            found[row.asset_id] = row
            if cached:
                _registry.put("assets", row.asset_id, row, epoch)
    return found


def site_get(*, tenant: Tenant, code: str) -> Site | None:
    """The tenant's site with this code: its row, or (unsaved, with the defaults of
    docs/CONTRACTS.md §3.4) when only assets name it as their supply_site; else None."""
    row = Site.objects.filter(tenant=tenant, code=code).first()
    if row is not None:
        return row
    if Asset.objects.filter(tenant=tenant, supply_site=code).exists():
        return Site(tenant=tenant, code=code)
    return None


def site_list(*, tenant: Tenant) -> list[Site]:
    """Every site of the tenant: rows plus (unsaved, with defaults) codes only assets name."""
    rows = {s.code: s for s in Site.objects.filter(tenant=tenant)}
    used = Asset.objects.filter(tenant=tenant).values_list("supply_site", flat=True).distinct()
    for code in used:
        rows.setdefault(code, Site(tenant=tenant, code=code))
    return [rows[code] for code in sorted(rows)]


# --- time-series reads ------------------------------------------------------------------

SIGNAL_READ_FIELDS = EVENT_SIGNALS  # the readings and the derived signals (CONTRACTS §5.2)
MAX_RAW_POINTS = 20_000
AUTO_MAX_BUCKETS = 500
_LADDER_S = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RangeTooLarge(Exception):
    """A raw read would return more points than a chart can use: ask for a resolution."""


def bucket_for(
    *, resolution: str, start: datetime, end: datetime, points: int | None = None
) -> timedelta | None:
    """The bucket a resolution asks for; None means raw points.

    `auto` takes the smallest step of the ladder giving at most `points` buckets (500 when the
    caller names no budget): a chart passes its width in pixels and gets one bucket per pixel.
    """
    if resolution == "raw":
        return None
    if resolution == "auto":
        budget = points or AUTO_MAX_BUCKETS
        span = (end - start).total_seconds()
        for step in _LADDER_S:
            if span / step <= budget:
                return timedelta(seconds=step)
        return timedelta(seconds=_LADDER_S[-1])
    return timedelta(seconds=int(resolution[:-1]) * _UNIT_S[resolution[-1]])


def raw_within_budget(
    *,
    measurement: str,
    asset_id: str,
    start: datetime,
    end: datetime,
    fields: list[str] | None,
    resolution: str,
    points: int | None,
) -> list[Point] | None:
    """A chart read's raw answer (CONTRACTS §5.3): with `auto` and a point budget, the raw points
    when the range holds no more than `points` of them (zoomed in far enough), else None (the
    min/max envelope of `bucket_for`). One read of at most `points` + 1 rows decides it: no count
    of the whole range, and when zoomed in the answer is that read."""
    if resolution != "auto" or points is None:
        return None
    probe = get_store().read(
        measurement=measurement, asset_id=asset_id, start=start, end=end, fields=fields, limit=points + 1
    )
    return probe if len(probe) <= points else None


def series_read(
    *,
    measurement: str,
    asset: Asset,
    start: datetime,
    end: datetime,
    fields: list[str],
    resolution: str,
    points: int | None = None,
) -> dict[str, Any]:
    """Chart series of one asset and measurement: raw points, or mean/min/max/count per
    epoch-aligned bucket (with `points`, chosen by `raw_within_budget`)."""
    store = get_store()
    raw = raw_within_budget(
        measurement=measurement,
        asset_id=asset.asset_id,
        start=start,
        end=end,
        fields=fields,
        resolution=resolution,
        points=points,
    )
    bucket = (
        None if raw is not None else bucket_for(resolution=resolution, start=start, end=end, points=points)
    )
    if bucket is None:
        if raw is None:
            n = store.count(measurement=measurement, asset_id=asset.asset_id, start=start, end=end)
            if n > MAX_RAW_POINTS:
                raise RangeTooLarge(
                    f"{n} raw points in range (at most {MAX_RAW_POINTS}); narrow the range or pass resolution"
                )
            raw = store.read(
                measurement=measurement, asset_id=asset.asset_id, start=start, end=end, fields=fields
            )
        series = [{"time": p.time, "values": {f: p.fields.get(f) for f in fields}} for p in raw]
    else:
        buckets = store.aggregate(
            measurement=measurement,
            asset_id=asset.asset_id,
            start=start,
            end=end,
            every=bucket,
            fields=fields,
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


def signals_read(
    *,
    asset: Asset,
    start: datetime,
    end: datetime,
    fields: list[str],
    resolution: str,
    points: int | None = None,
) -> dict[str, Any]:
    """Chart series of one asset's events (readings and derived signals)."""
    return series_read(
        measurement="events",
        asset=asset,
        start=start,
        end=end,
        fields=fields,
        resolution=resolution,
        points=points,
    )


def signals_latest(*, asset: Asset) -> dict[str, Any] | None:
    point = get_store().latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    if point is None:
        return None
    return {"asset_id": asset.asset_id, "time": point.time, "values": dict(point.fields)}
