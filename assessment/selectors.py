"""Reads of the assessment app. Every read is scoped by tenant (through the asset)."""

from __future__ import annotations

import itertools
import logging
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from ingestion.models import Asset, Tenant
from ingestion.selectors import MAX_RAW_POINTS, RangeTooLarge, bucket_for, raw_within_budget
from ingestion.timeseries import get_store

from . import conf
from .explain import parse_rfc3339
from .health import FACTORS, Limits
from .models import ACTIVE_STATES, RISK_CODES, Alert, AlertCondition, Assessment, AssetThresholds, RiskLevel

logger = logging.getLogger(__name__)

STALE_WINDOW = timedelta(hours=24)
HEALTH_NUMERIC_FIELDS = [
    "health_score",
    "risk_code",
    "rul_days",
    "rul_low_days",
    "rul_high_days",
    "anomaly_score",
    *(f"penalty_{name}" for name in FACTORS),
]
HEALTH_RAW_FIELDS = [
    *HEALTH_NUMERIC_FIELDS,
    "risk_level",
    "rul_reason",
    "rul_channel",
    "rul_capped",
    "stale",
    "baseline_missing",
    "vibration_zone",
    "overrides",
    "baseline_version",
    "model_version",
]


# --- effective per-asset limits: contract defaults plus the asset's overrides (§3.3) ----------

_OVERRIDES = (
    "temperature_warn_c",
    "temperature_limit_c",
    "vibration_zone_ab_mm_s",
    "vibration_zone_bc_mm_s",
    "vibration_zone_cd_mm_s",
    "power_factor_limit",
    "voltage_band_pct",
    "current_limit_pct",
    "temperature_rise_excess_limit_k",
    "health_weights",
)


def _thresholds(asset: Asset) -> AssetThresholds | None:
    try:
        return asset.thresholds
    except AssetThresholds.DoesNotExist:
        return None


def limits_for_asset(*, asset: Asset) -> Limits:
    """The Limits the assessment applies; an inconsistent override set falls back to the defaults."""
    th = _thresholds(asset)
    overrides = {name: getattr(th, name, None) for name in _OVERRIDES} if th is not None else {}
    try:
        return Limits.for_asset(asset.iso_group, asset.foundation, **overrides)
    except ValueError as exc:
        logger.warning("asset %s: threshold overrides ignored (%s)", asset.asset_id, exc)
        return Limits.for_asset(asset.iso_group, asset.foundation)


def stale_after_minutes(*, asset: Asset) -> float:
    th = _thresholds(asset)
    if th is not None and th.stale_after_minutes:
        return float(th.stale_after_minutes)
    return conf.stale_after_minutes_default()


def stale_after_seconds(*, asset: Asset, newest_event_time: datetime) -> float:
    """``max(stale_after_minutes x 60, 3 x median interval)`` over the 24 h ending at the newest
    event (docs/CONTRACTS.md §12); fewer than 3 events in that window: the minutes alone."""
    latest = (
        Assessment.objects.filter(asset=asset).order_by("-as_of").values_list("inputs", flat=True).first()
    )
    return stale_after_seconds_from(asset=asset, newest_event_time=newest_event_time, latest_inputs=latest)


def stale_after_seconds_from(
    *, asset: Asset, newest_event_time: datetime, latest_inputs: dict[str, Any] | None
) -> float:
    """``stale_after_seconds`` given the `inputs` of the asset's latest assessment (None: none),
    for callers that already hold it: the assessment's own figure when it was computed for the
    same newest event, else read from the store."""
    base = stale_after_minutes(asset=asset) * 60.0
    latest = latest_inputs
    if latest and latest.get("newest_event_time") and latest.get("stale_after_s") is not None:
        if parse_rfc3339(latest["newest_event_time"]) == newest_event_time:
            return float(latest["stale_after_s"])
    points = get_store().read(
        measurement="events",
        asset_id=asset.asset_id,
        start=newest_event_time - STALE_WINDOW + timedelta(microseconds=1),
        end=newest_event_time + timedelta(microseconds=1),
        fields=["event_id"],
    )
    times = [p.time for p in points]
    if len(times) < 3:
        return base
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    return max(base, 3.0 * statistics.median(gaps))


def assessment_latest(*, asset: Asset) -> Assessment | None:
    return Assessment.objects.filter(asset=asset).order_by("-as_of").first()


def _alert_summary(alert: Alert) -> dict[str, Any]:
    return {
        "id": str(alert.pk),
        "kind": alert.kind,
        "cause": alert.cause,
        "severity": alert.severity,
        "state": alert.state,
        "opened_at": alert.opened_at,
        "last_seen_at": alert.last_seen_at,
        "guidance": alert.guidance,
    }


def asset_health(*, asset: Asset, now: datetime | None = None) -> dict[str, Any]:
    """The latest assessment with ``stale`` re-evaluated at ``now`` (docs/CONTRACTS.md §17)."""
    now = now or timezone.now()
    a = assessment_latest(asset=asset)
    newest = get_store().latest(measurement="events", asset_ids=[asset.asset_id]).get(asset.asset_id)
    open_alerts = [
        _alert_summary(x)
        for x in Alert.objects.filter(asset=asset, state__in=ACTIVE_STATES).order_by("-opened_at", "cause")
    ]
    body: dict[str, Any] = {
        "asset_id": asset.asset_id,
        "evaluated_at": now,
        "newest_event_time": newest.time if newest else None,
        "open_alerts": open_alerts,
        "contract_version": "1",
    }
    if a is None:
        return {
            **body,
            "status": "no_data",
            "as_of": None,
            "created_at": None,
            "health_score": None,
            "risk_level": None,
            "risk_code": None,
            "overrides": [],
            "rul_days": None,
            "rul_interval": None,
            "rul_reason": None,
            "rul_channel": None,
            "rul_capped": False,
            "stale": newest is not None,
            "stale_after_s": None,
            "baseline_missing": True,
            "baseline_version": None,
            "model_version": None,
            "anomaly_score": None,
            "explanation": (
                "No data yet: the asset has sent no events."
                if newest is None
                else "No assessment yet: features for the received events are still being computed."
            ),
            "factors": [],
        }
    stale_after = a.inputs.get("stale_after_s")
    if newest is not None:
        stale_after = stale_after_seconds_from(
            asset=asset, newest_event_time=newest.time, latest_inputs=a.inputs
        )
        stale = (now - newest.time).total_seconds() > stale_after
    else:
        stale = True
    status = "stale" if stale else ("no_baseline" if a.baseline_missing else "ok")
    return {
        **body,
        "status": status,
        "as_of": a.as_of,
        "created_at": a.created_at,
        "health_score": a.health_score,
        "risk_level": a.risk_level,
        "risk_code": a.risk_code,
        "overrides": a.risk_overrides,
        "rul_days": a.rul_days,
        "rul_interval": None if a.rul_days is None else [a.rul_low_days, a.rul_high_days],
        "rul_reason": a.rul_reason,
        "rul_channel": a.rul_channel,
        "rul_capped": a.rul_capped,
        "stale": stale,
        "stale_after_s": stale_after,
        "baseline_missing": a.baseline_missing,
        "baseline_version": a.baseline_version,
        "model_version": a.model_version,
        "anomaly_score": a.anomaly_score,
        "explanation": a.explanation,
        "factors": a.factors,
    }


def health_history(
    *, asset: Asset, start: datetime, end: datetime, resolution: str, points: int | None = None
) -> dict[str, Any]:
    """``health`` points of one asset in ``[start, end)``: raw, or per epoch-aligned bucket the
    mean/min/max/count of the numeric fields (``risk_code`` max = worst level in the bucket).
    With a point budget the resolution follows the chart's width (``raw_within_budget``)."""
    store = get_store()
    raw = raw_within_budget(
        measurement="health",
        asset_id=asset.asset_id,
        start=start,
        end=end,
        fields=None,
        resolution=resolution,
        points=points,
    )
    bucket = (
        None if raw is not None else bucket_for(resolution=resolution, start=start, end=end, points=points)
    )
    if bucket is None:
        if raw is None:
            n = store.count(measurement="health", asset_id=asset.asset_id, start=start, end=end)
            if n > MAX_RAW_POINTS:
                raise RangeTooLarge(
                    f"{n} raw points in range (at most {MAX_RAW_POINTS}); narrow the range or pass resolution"
                )
            raw = store.read(measurement="health", asset_id=asset.asset_id, start=start, end=end)
        series = [{"time": p.time, "values": {f: p.fields.get(f) for f in HEALTH_RAW_FIELDS}} for p in raw]
    else:
        buckets = store.aggregate(
            measurement="health",
            asset_id=asset.asset_id,
            start=start,
            end=end,
            every=bucket,
            fields=HEALTH_NUMERIC_FIELDS,
        )
        series = [{"time": b.time, "values": b.values} for b in buckets]
    return {
        "asset_id": asset.asset_id,
        "start": start,
        "end": end,
        "resolution": "raw" if bucket is None else f"{int(bucket.total_seconds())}s",
        "series": series,
    }


def alert_list(
    *,
    tenant: Tenant,
    states: Sequence[str] = (),
    asset_id: str | None = None,
    kind: str | None = None,
    cause: str | None = None,
    severity: str | None = None,
    opened_after: datetime | None = None,
    opened_before: datetime | None = None,
) -> QuerySet[Alert]:
    qs = Alert.objects.filter(tenant=tenant).select_related("asset").prefetch_related("conditions")
    if states:
        qs = qs.filter(state__in=list(states))
    if asset_id:
        qs = qs.filter(asset__asset_id=asset_id)
    if kind:
        qs = qs.filter(kind=kind)
    if cause:  # the alert's cause or, for an equipment incident, any of its conditions
        qs = qs.filter(Q(cause=cause) | Q(pk__in=AlertCondition.objects.filter(cause=cause).values("alert")))
    if severity:
        qs = qs.filter(severity=severity)
    if opened_after is not None:
        qs = qs.filter(opened_at__gte=opened_after)
    if opened_before is not None:
        qs = qs.filter(opened_at__lt=opened_before)
    return qs.order_by("-opened_at", "-created_at", "cause")


def alert_get(*, tenant: Tenant, alert_id: Any) -> Alert | None:
    return (
        Alert.objects.filter(pk=alert_id, tenant=tenant)
        .select_related("asset")
        .prefetch_related("conditions", "transitions", "notification_attempts__channel")
        .first()
    )


def _stale_now(
    *, asset: Asset, point_time: datetime | None, latest: Assessment | None, now: datetime
) -> bool:
    """`stale` of a fleet row (docs/CONTRACTS.md §12). An age within `stale_after_minutes` is
    never stale whatever the median interval (the limit is the larger of the two), so only the
    older ones need the latest assessment's figure or the store's 24 h of event times."""
    if point_time is None:
        return latest is not None
    age_s = (now - point_time).total_seconds()
    if age_s <= stale_after_minutes(asset=asset) * 60.0:
        return False
    inputs = None if latest is None else latest.inputs
    return age_s > stale_after_seconds_from(asset=asset, newest_event_time=point_time, latest_inputs=inputs)


def fleet_health(*, tenant: Tenant, now: datetime | None = None) -> dict[str, Any]:
    """Per active asset: latest health, risk, RUL, stale (now), open alerts; counts per level.

    A constant number of queries whatever the fleet's size: the assets with their threshold
    overrides and open-incident counts, their latest assessments, and one InfluxDB query for
    every asset's newest event; the store is read per asset only for one whose data is older
    than its `stale_after_minutes` and newer than its latest assessment."""
    now = now or timezone.now()
    latest_id = Assessment.objects.filter(asset=OuterRef("pk")).order_by("-as_of").values("pk")[:1]
    assets = list(
        Asset.objects.filter(tenant=tenant, active=True)
        .select_related("thresholds")
        .annotate(
            latest_assessment_id=Subquery(latest_id),
            open_alerts=Count("alerts", filter=Q(alerts__state__in=ACTIVE_STATES)),
        )
        .order_by("asset_id")
    )
    by_id = Assessment.objects.in_bulk([a.latest_assessment_id for a in assets if a.latest_assessment_id])
    newest = (
        get_store().latest(measurement="events", asset_ids=[a.asset_id for a in assets]) if assets else {}
    )
    counts = {level.value: 0 for level in RiskLevel}
    counts["no_data"] = 0
    stale_count = 0
    rows = []
    for asset in assets:
        a = by_id.get(asset.latest_assessment_id)
        point = newest.get(asset.asset_id)
        counts["no_data" if a is None else a.risk_level] += 1
        stale = _stale_now(asset=asset, point_time=None if point is None else point.time, latest=a, now=now)
        stale_count += int(stale)
        rows.append(
            {
                "asset_id": asset.asset_id,
                "name": asset.name,
                "asset_type": asset.asset_type,
                "health_score": None if a is None else a.health_score,
                "risk_level": None if a is None else a.risk_level,
                "risk_code": None if a is None else RISK_CODES[a.risk_level],
                "rul_days": None if a is None else a.rul_days,
                "rul_interval": None
                if a is None or a.rul_days is None
                else [a.rul_low_days, a.rul_high_days],
                "rul_reason": None if a is None else a.rul_reason,
                "as_of": None if a is None else a.as_of,
                "newest_event_time": None if point is None else point.time,
                "stale": stale,
                "baseline_missing": True if a is None else a.baseline_missing,
                "open_alerts": asset.open_alerts,
            }
        )
    return {"evaluated_at": now, "counts": counts, "stale": stale_count, "assets": rows}


def asset_window_healthy(*, asset: Asset, start: datetime, end: datetime) -> bool:
    """True when the asset was assessed in [start, end) and every assessment there was Low risk.

    Scheduled baseline retraining asks this first, so a window that holds a developing fault
    is never learnt as normal.
    """
    window = Assessment.objects.filter(asset=asset, as_of__gte=start, as_of__lt=end)
    return window.exists() and not window.exclude(risk_level="Low").exists()


# --- a report period (docs/CONTRACTS.md §16.1) ------------------------------------------------------


def health_period_latest(*, asset: Asset, start: datetime, end: datetime) -> dict[str, Any]:
    """The latest `health` point of [start, end): its time, health, risk, RUL and stale flag (None
    when the period holds none)."""
    return health_period_latests(assets=[asset], start=start, end=end)[asset.asset_id]


def health_period_latests(
    *, assets: Sequence[Asset], start: datetime, end: datetime
) -> dict[str, dict[str, Any]]:
    """`health_period_latest` per asset id, from one store query for all of them."""
    latest = get_store().latest(
        measurement="health",
        asset_ids=[a.asset_id for a in assets],
        fields=HEALTH_RAW_FIELDS,
        start=start,
        end=end,
    )
    out = {}
    for asset in assets:
        last = latest.get(asset.asset_id)
        f = last.fields if last else {}
        out[asset.asset_id] = {
            "as_of": last.time if last else None,
            "health_latest": f.get("health_score"),
            "risk_level": f.get("risk_level"),
            "rul_days": f.get("rul_days"),
            "rul_low_days": f.get("rul_low_days"),
            "rul_high_days": f.get("rul_high_days"),
            "rul_reason": f.get("rul_reason"),
            "stale": f.get("stale"),
        }
    return out


def health_period_summary(*, asset: Asset, start: datetime, end: datetime) -> dict[str, Any]:
    """`health` points of [start, end): latest/min/mean health, and the latest point's risk and RUL.
    Every value is None when the period holds no health point (§16.1)."""
    return health_period_summaries(assets=[asset], start=start, end=end)[asset.asset_id]


def health_period_summaries(
    *, assets: Sequence[Asset], start: datetime, end: datetime
) -> dict[str, dict[str, Any]]:
    """`health_period_summary` per asset id (the latest points of all of them from one query)."""
    store = get_store()
    totals = {
        a.asset_id: store.totals(
            measurement="health", asset_id=a.asset_id, start=start, end=end, fields=["health_score"]
        )
        for a in assets
    }
    latest = health_period_latests(assets=assets, start=start, end=end)
    out = {}
    for asset in assets:
        total = totals[asset.asset_id]["health_score"]
        out[asset.asset_id] = {
            "points": total.count,
            "health_min": total.min,
            "health_mean": None if total.sum is None else total.sum / total.count,
            **latest[asset.asset_id],
        }
    return out


def assessment_latest_in(*, asset: Asset, start: datetime, end: datetime) -> Assessment | None:
    """The asset's newest assessment with `as_of` in [start, end)."""
    return Assessment.objects.filter(asset=asset, as_of__gte=start, as_of__lt=end).order_by("-as_of").first()


def alert_period_counts(*, tenant: Tenant, start: datetime, end: datetime) -> dict[str, dict[str, int]]:
    """Per asset id: alerts raised, acknowledged and resolved in [start, end) (§16.1)."""
    out: dict[str, dict[str, int]] = {}
    for key, column in (
        ("alerts_raised", "opened_at"),
        ("alerts_acknowledged", "acknowledged_at"),
        ("alerts_resolved", "resolved_at"),
    ):
        rows = (
            Alert.objects.filter(
                tenant=tenant, asset__isnull=False, **{f"{column}__gte": start, f"{column}__lt": end}
            )
            .values("asset__asset_id")
            .annotate(n=Count("pk"))
        )
        for row in rows:
            out.setdefault(row["asset__asset_id"], {})[key] = row["n"]
    return out


def alerts_open_by_severity(*, tenant: Tenant, asset_ids: Sequence[str]) -> dict[str, int]:
    """Open (not resolved) alerts of these assets per severity, now."""
    rows = (
        Alert.objects.filter(tenant=tenant, asset__asset_id__in=list(asset_ids), state__in=ACTIVE_STATES)
        .values("severity")
        .annotate(n=Count("pk"))
    )
    return {row["severity"]: row["n"] for row in rows}


def asset_incidents(*, asset: Asset, start: datetime, end: datetime) -> list[Alert]:
    """Alerts of the asset open at any time of [start, end): opened before its end and not resolved
    before its start, oldest first, with their transitions."""
    return list(
        Alert.objects.filter(asset=asset, opened_at__lt=end)
        .exclude(resolved_at__lt=start)
        .prefetch_related("transitions")
        .order_by("opened_at", "cause")
    )
