"""Reads of the load forecast: a scope's hourly load from the energy rollups, its newest model
version, and the forecast that version gives from the newest measured hour (CONTRACTS §19)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import joblib
import numpy as np
import pandas as pd
from django.conf import settings
from threadpoolctl import threadpool_limits

from analytics.energy.calendar import block_of
from analytics.energy.selectors import rollup_blocks
from ingestion.models import Asset, Site, Tenant
from ingestion.selectors import asset_get, site_get, site_list

from . import model as fm
from .models import ForecastModel, ForecastScope, ForecastStatus

HOUR = timedelta(hours=1)
HORIZONS_H = (24, 168)
#: an hour is load only when at least this share of it was measured (CONTRACTS §19)
MIN_HOUR_COVERED_S = 1800.0
#: the history a training reads (the model learns from its last 365 days of origins, plus lags)
TRAINING_READ = timedelta(days=365 + 21)
#: the history a forecast reads before its origin: the model's lags reach back three weeks
#: beyond the longest lead, and the origin may be some days before now
PREDICT_READ = timedelta(days=42)


class ScopeNotFound(Exception):
    """No such asset or site in the caller's tenant (404, the same as another tenant's)."""


@dataclass(frozen=True)
class Scope:
    """What a forecast is of: the tenant, the scope, its id and the assets summed."""

    tenant: Tenant
    scope: str
    scope_id: str
    asset_ids: tuple[str, ...]
    timezone: str


def _active_ids(tenant: Tenant, **filters: str) -> tuple[str, ...]:
    return tuple(
        Asset.objects.filter(tenant=tenant, active=True, **filters)
        .order_by("asset_id")
        .values_list("asset_id", flat=True)
    )


def forecast_scope_resolve(*, tenant: Tenant, scope: str, scope_id: str | None) -> Scope:
    """The scope's assets and calendar zone; ``ScopeNotFound`` when the tenant has no such id."""
    if scope == ForecastScope.ASSET:
        asset = asset_get(tenant=tenant, asset_id=scope_id or "")
        if asset is None:
            raise ScopeNotFound(f"no asset {scope_id!r} in this tenant")
        site = site_get(tenant=tenant, code=asset.supply_site) or Site(tenant=tenant, code=asset.supply_site)
        return Scope(tenant, scope, asset.asset_id, (asset.asset_id,), site.timezone)
    if scope == ForecastScope.SITE:
        named = site_get(tenant=tenant, code=scope_id or "")
        if named is None:
            raise ScopeNotFound(f"no site {scope_id!r} in this tenant")
        return Scope(tenant, scope, named.code, _active_ids(tenant, supply_site=named.code), named.timezone)
    zones = {s.timezone for s in site_list(tenant=tenant)}
    return Scope(
        tenant, ForecastScope.FLEET, "", _active_ids(tenant), zones.pop() if len(zones) == 1 else "UTC"
    )


def _asset_hours(asset_id: str, start: datetime, end: datetime) -> pd.Series:
    """One asset's hourly mean kW over [start, end) (whole UTC hours): kWh of the hour divided by
    its measured hours, NaN where under half of the hour was measured."""
    first, stop = block_of(start), block_of(end)
    blocks = rollup_blocks(asset_id=asset_id, first=first, end=stop)
    kwh = blocks.values["kwh"].reshape(-1, 2).sum(axis=1)
    covered = blocks.values["covered_s"].reshape(-1, 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        load = np.where(covered >= MIN_HOUR_COVERED_S, kwh / (covered / 3600.0), np.nan)
    index = pd.date_range(start, periods=len(load), freq="h", tz="UTC")
    return pd.Series(load, index=index, name=asset_id)


def hourly_load(*, scope: Scope, start: datetime, end: datetime) -> pd.Series:
    """The scope's hourly load (kW, UTC hour starts) over [start, end), gaps as NaN.

    A site or the fleet is the sum of its assets; an asset without any load in the range is left
    out, and an hour missing for any other asset is missing for the sum (never a partial sum)."""
    start = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    index = pd.date_range(start, end, freq="h", tz="UTC", inclusive="left")
    series = [_asset_hours(a, start, end) for a in scope.asset_ids]
    series = [s for s in series if s.notna().any()]
    if not series:
        return pd.Series(np.nan, index=index, name="load_kw")
    total = pd.concat(series, axis=1).sum(axis=1, min_count=len(series))
    return total.rename("load_kw")


def history_frame(load: pd.Series) -> pd.DataFrame | None:
    """The model's hourly frame from the first through the last measured hour; None when empty."""
    measured = load.dropna()
    if measured.empty:
        return None
    return fm.hourly_frame(measured)


def forecast_model_latest(*, tenant: Tenant, scope: str, scope_id: str) -> ForecastModel | None:
    return (
        ForecastModel.objects.filter(tenant=tenant, scope=scope, scope_id=scope_id)
        .order_by("-version")
        .first()
    )


def forecast_model_loads(row: ForecastModel, horizon_h: int = fm.WEEK_H) -> fm.FittedForecaster:
    """The version's model for ``horizon_h``: the one with the shortest horizon covering it (the
    day model for up to 24 h, the week model beyond)."""
    if row.model_blob is None:
        raise ValueError(f"forecast version {row.pk} holds no fitted model (status {row.status})")
    stored = joblib.load(io.BytesIO(bytes(row.model_blob)))
    if isinstance(stored, fm.FittedForecaster):  # a version stored with one model only
        return stored
    covering = sorted(h for h in stored if h >= horizon_h) or [max(stored)]
    return stored[covering[0]]


def _version_data(row: ForecastModel) -> dict:
    return {
        "version": row.version,
        "status": row.status,
        "created_at": row.created_at,
        "history_start": row.history_start,
        "training_start": row.training_start,
        "training_end": row.training_end,
        "covered_hours": row.covered_hours,
        "timezone": row.timezone,
        "features": row.features,
        "samples": row.samples,
        "backtest": row.backtest,
        "refusal": {"rule": row.refusal_rule, "reason": row.refusal_reason}
        if row.status == ForecastStatus.REFUSED
        else None,
    }


def _points(times: pd.DatetimeIndex, *columns: np.ndarray) -> list[tuple]:
    return list(zip(times.to_pydatetime(), *(c.tolist() for c in columns), strict=True))


def forecast_get(*, tenant: Tenant, scope: str, scope_id: str | None, horizon_h: int, now: datetime) -> dict:
    """The newest version's forecast of the ``horizon_h`` hours after the scope's newest measured
    hour (the origin), with the measured load of the ``horizon_h`` hours up to it.

    ``status``: ``ok``; ``refused`` (the newest version was refused: its rule and reason);
    ``not_trained`` (no version yet); ``no_recent_load`` (the version exists but no hour was
    measured in the ``PREDICT_READ`` before now, or the 168 h before the newest one are empty)."""
    target = forecast_scope_resolve(tenant=tenant, scope=scope, scope_id=scope_id)
    row = forecast_model_latest(tenant=tenant, scope=target.scope, scope_id=target.scope_id)
    out: dict = {
        "scope": target.scope,
        "id": target.scope_id or None,
        "assets": list(target.asset_ids),
        "horizon_h": horizon_h,
        "timezone": target.timezone,
        "unit": "kW",
        "interval": fm.INTERVAL,
        "model": None if row is None else _version_data(row),
        "origin": None,
        "reason": None,
        "history": [],
        "points": [],
    }
    if row is None:
        return out | {
            "status": "not_trained",
            "reason": "no forecast model has been trained for this scope yet",
        }
    if row.status == ForecastStatus.REFUSED:
        return out | {"status": "refused", "reason": row.refusal_reason}
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    frame = history_frame(hourly_load(scope=target, start=end - PREDICT_READ, end=end))
    if frame is None:
        return out | {
            "status": "no_recent_load",
            "reason": f"no hourly load in the {PREDICT_READ.days} days before now",
        }
    try:
        with threadpool_limits(limits=settings.FORECAST_THREADS):
            fc = fm.predict(forecast_model_loads(row, horizon_h), frame, horizon_h=horizon_h)
    except fm.ForecastRefused as exc:
        return out | {"status": "no_recent_load", "reason": exc.reason}
    recent = frame["load_kw"].iloc[-horizon_h:]
    return out | {
        "status": "ok",
        "origin": frame.index[-1].to_pydatetime(),
        "history": [
            {"time": t, "load_kw": None if np.isnan(v) else v}
            for t, v in _points(recent.index, recent.to_numpy(dtype=float))
        ],
        "points": [
            {"time": t, "load_kw": m, "low_kw": lo, "high_kw": hi}
            for t, m, lo, hi in _points(fc.times, fc.median_kw, fc.low_kw, fc.high_kw)
        ],
    }
