"""What a report says (docs/CONTRACTS.md §16), gathered from the selectors the API answers from.

Nothing here computes a KPI: per-asset conditions come from `analytics.selectors`, health, risk, RUL,
alerts and explanations from `assessment.selectors`, energy and cost from the energy API's selector.
This module only picks the scope's assets, calls them and arranges their answers for the renderers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from analytics.energy.selectors import RollupCache, energy_summary
from analytics.selectors import asset_period_conditions
from assessment import selectors as assessment_selectors
from assessment.models import CONTRACT_VERSION, RiskLevel
from ingestion.models import Asset, Tenant
from ingestion.selectors import signals_read

RISK_LEVELS = [level.value for level in RiskLevel]  # Low, Medium, High, Critical
DETAIL_LEVELS = ("High", "Critical")
CHART_POINTS = 400  # at most this many buckets per small-multiple series


@dataclass
class AssetSection:
    """One asset's row of §16.1 and what its detail page and charts show."""

    asset: Asset
    row: dict[str, Any]
    energy: dict[str, Any] | None = None  # the energy API's answer for the asset (bucket day)
    health_series: list[tuple[datetime, float]] = field(default_factory=list)
    vibration_series: list[tuple[datetime, float]] = field(default_factory=list)
    zone_boundaries: tuple[float, float, float] = (0.0, 0.0, 0.0)
    explanation: str = ""
    factors: list[dict[str, Any]] = field(default_factory=list)
    guidance: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ReportData:
    tenant: str
    scope: str
    scope_id: str
    start: datetime
    end: datetime
    generated_at: datetime
    contract_version: str
    assets: list[AssetSection]
    fleet: dict[str, Any]
    previous: dict[str, Any]
    energy: dict[str, Any]
    energy_previous: dict[str, Any]
    open_incidents: dict[str, int]
    forecast: dict[str, Any] | None = None  # reporting.forecast: the API's forecast of the scope

    @property
    def has_data(self) -> bool:
        """Whether any asset has features or health points in the period."""
        return any(a.row["has_data"] for a in self.assets)


def scope_assets(*, tenant: Tenant, scope: str, scope_id: str) -> list[Asset]:
    """The active assets a report covers (one asset; a site's; the tenant's), by asset id."""
    qs = Asset.objects.filter(tenant=tenant)
    if scope == "asset":
        return list(qs.filter(asset_id=scope_id))
    qs = qs.filter(active=True)
    if scope == "site":
        qs = qs.filter(supply_site=scope_id)
    return list(qs.order_by("asset_id"))


def _top_factors(assessment: Any) -> list[dict[str, Any]]:
    if assessment is None:
        return []
    ranked = sorted(
        (f for f in assessment.factors if (f.get("penalty") or 0) > 0),
        key=lambda f: f.get("share_of_drop") or 0,
        reverse=True,
    )
    return [
        {"name": f["name"], "value": f.get("value"), "unit": f.get("unit"), "share": f.get("share_of_drop")}
        for f in ranked[:3]
    ]


def asset_row(
    *,
    asset: Asset,
    start: datetime,
    end: datetime,
    alerts: dict[str, dict[str, int]],
    conditions: dict[str, Any],
    health: dict[str, Any],
) -> tuple[dict[str, Any], Any]:
    """The §16.1 row of one asset from its period conditions and health summary, and the latest
    assessment of the period behind its factors."""
    latest = assessment_selectors.assessment_latest_in(asset=asset, start=start, end=end)
    counts = alerts.get(asset.asset_id, {})
    row = {
        "asset_id": asset.asset_id,
        "name": asset.name,
        "asset_type": asset.asset_type,
        "site": asset.supply_site,
        "has_data": bool(conditions["points"] or health["points"]),
        **{k: v for k, v in conditions.items() if k != "points"},
        "health_latest": health["health_latest"],
        "health_min": health["health_min"],
        "health_mean": health["health_mean"],
        "risk_level": health["risk_level"],
        "stale": health["stale"],
        "as_of": health["as_of"],
        "rul_days": health["rul_days"],
        "rul_low_days": health["rul_low_days"],
        "rul_high_days": health["rul_high_days"],
        "rul_reason": health["rul_reason"],
        "alerts_raised": counts.get("alerts_raised", 0),
        "alerts_acknowledged": counts.get("alerts_acknowledged", 0),
        "alerts_resolved": counts.get("alerts_resolved", 0),
        "top_factors": _top_factors(latest),
    }
    return row, latest


def fleet_totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """§16.2 over the rows: sums, counts per risk level, stale count, min and mean of health_latest."""
    energy = [r["energy_kwh"] for r in rows if r["energy_kwh"] is not None]
    gaps = [r["energy_gap_h"] for r in rows if r["energy_gap_h"] is not None]
    latest = [r["health_latest"] for r in rows if r["health_latest"] is not None]
    counts = {level: 0 for level in RISK_LEVELS}
    counts["no_data"] = 0
    for r in rows:
        counts[r["risk_level"] if r["risk_level"] in counts else "no_data"] += 1
    return {
        "assets": len(rows),
        "energy_kwh": sum(energy) if energy else None,
        "energy_gap_h": sum(gaps) if gaps else None,
        "risk_counts": counts,
        "stale": sum(1 for r in rows if r["stale"]),
        "alerts_raised": sum(r["alerts_raised"] for r in rows),
        "alerts_acknowledged": sum(r["alerts_acknowledged"] for r in rows),
        "alerts_resolved": sum(r["alerts_resolved"] for r in rows),
        "health_min": min(latest) if latest else None,
        "health_mean": sum(latest) / len(latest) if latest else None,
    }


def previous_totals(*, tenant: Tenant, assets: list[Asset], start: datetime, end: datetime) -> dict[str, Any]:
    """The previous period's risk counts, stale count and alerts raised (for the summary's change)."""
    counts = {level: 0 for level in RISK_LEVELS}
    counts["no_data"] = 0
    stale = 0
    latest = assessment_selectors.health_period_latests(assets=assets, start=start, end=end)
    for asset in assets:
        h = latest[asset.asset_id]
        counts[h["risk_level"] if h["risk_level"] in counts else "no_data"] += 1
        stale += int(bool(h["stale"]))
    alerts = assessment_selectors.alert_period_counts(tenant=tenant, start=start, end=end)
    ids = {a.asset_id for a in assets}
    raised = sum(v.get("alerts_raised", 0) for k, v in alerts.items() if k in ids)
    return {"risk_counts": counts, "stale": stale, "alerts_raised": raised}


def _series(buckets: list[dict[str, Any]], name: str) -> list[tuple[datetime, float]]:
    out = []
    for b in buckets:
        v = b["values"].get(name)
        v = v.get("mean") if isinstance(v, dict) else v
        if v is not None:
            out.append((b["time"], float(v)))
    return out


def _chart_resolution(start: datetime, end: datetime) -> str:
    step = max(900, int((end - start).total_seconds() / CHART_POINTS))
    step = -(-step // 900) * 900  # whole quarter hours
    return f"{step}s"


def _incident(alert: Any) -> dict[str, Any]:
    return {
        "id": str(alert.pk),
        "cause": alert.cause,
        "severity": alert.severity,
        "state": alert.state,
        "opened_at": alert.opened_at,
        "acknowledged_at": alert.acknowledged_at,
        "resolved_at": alert.resolved_at,
        "transitions": [
            {
                "at": t.at,
                "event_time": t.event_time,
                "action": t.action,
                "to_state": t.to_state,
                "actor": t.actor,
                "note": t.note,
            }
            for t in alert.transitions.all()
        ],
        "guidance": alert.guidance or {},
    }


def _guidance(incidents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The guidance of the asset's newest incident that carries passages (§15.5)."""
    for inc in reversed(incidents):
        g = inc["guidance"]
        if g.get("passages"):
            return [
                {
                    "cause": inc["cause"],
                    "likely_mode": g.get("likely_mode"),
                    "passages": g.get("passages", []),
                    "actions": g.get("actions"),
                }
            ]
    return []


def report_data(
    *,
    tenant: Tenant,
    scope: str,
    scope_id: str,
    start: datetime,
    end: datetime,
    now: datetime | None = None,
    charts: bool = True,
) -> ReportData:
    """Everything a report of [start, end) shows, from the API's selectors (`charts`: also the chart
    series of health and vibration, which only the PDF draws)."""
    now = (now or timezone.now()).replace(microsecond=0)
    assets = scope_assets(tenant=tenant, scope=scope, scope_id=scope_id)
    alerts = assessment_selectors.alert_period_counts(tenant=tenant, start=start, end=end)
    rollups: RollupCache = {}  # each asset's energy rollups read once for all the summaries below
    health = assessment_selectors.health_period_summaries(assets=assets, start=start, end=end)
    sections = []
    for asset in assets:
        row, latest = asset_row(
            asset=asset,
            start=start,
            end=end,
            alerts=alerts,
            # energy_kwh: the energy API's figure, set below
            conditions=asset_period_conditions(asset_id=asset.asset_id, start=start, end=end),
            health=health[asset.asset_id],
        )
        section = AssetSection(asset=asset, row=row)
        section.energy = energy_summary(
            tenant=tenant,
            scope="asset",
            scope_id=asset.asset_id,
            start=start,
            end=end,
            bucket="day",
            rollups=rollups,
        )
        totals = section.energy["totals"]
        # the energy API's figure (intervals split at the period's edges), as the dashboard shows it
        row["energy_kwh"] = totals.get("energy_kwh")
        row["cost_inr"] = (
            (totals.get("cost") or {}).get("total") if totals.get("energy_kwh") is not None else None
        )
        res = _chart_resolution(start, end)
        section.zone_boundaries = assessment_selectors.limits_for_asset(asset=asset).zone_boundaries
        section.incidents = [
            _incident(a) for a in assessment_selectors.asset_incidents(asset=asset, start=start, end=end)
        ]
        if row["risk_level"] in DETAIL_LEVELS:
            section.explanation = latest.explanation if latest is not None else ""
            section.factors = [f for f in (latest.factors if latest else []) if (f.get("penalty") or 0) > 0]
            section.guidance = _guidance(section.incidents)
        sections.append(section)
        if not charts:
            continue
        section.health_series = _series(
            assessment_selectors.health_history(asset=asset, start=start, end=end, resolution=res)["series"],
            "health_score",
        )
        section.vibration_series = _series(
            signals_read(asset=asset, start=start, end=end, fields=["vibration_rms_mm_s"], resolution=res)[
                "series"
            ],
            "vibration_rms_mm_s",
        )
    length = end - start
    prev_start = start - length
    subject_scope, subject_id = (scope, scope_id or None) if scope != "fleet" else ("fleet", None)
    energy = energy_summary(
        tenant=tenant,
        scope=subject_scope,
        scope_id=subject_id,
        start=start,
        end=end,
        bucket=_bucket(length),
        rollups=rollups,
    )
    energy_previous = energy_summary(
        tenant=tenant,
        scope=subject_scope,
        scope_id=subject_id,
        start=prev_start,
        end=start,
        bucket="month",
        rollups=rollups,
    )
    return ReportData(
        tenant=tenant.name,
        scope=scope,
        scope_id=scope_id,
        start=start,
        end=end,
        generated_at=now,
        contract_version=CONTRACT_VERSION,
        assets=sections,
        fleet=fleet_totals([s.row for s in sections]),
        previous=previous_totals(tenant=tenant, assets=assets, start=prev_start, end=start),
        energy=energy,
        energy_previous=energy_previous,
        open_incidents=assessment_selectors.alerts_open_by_severity(
            tenant=tenant, asset_ids=[a.asset_id for a in assets]
        ),
    )


def _bucket(length: timedelta) -> str:
    """The energy section's bucket: days up to about two months, months beyond."""
    return "day" if length <= timedelta(days=62) else "month"
