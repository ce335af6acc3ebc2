"""Writes of the load forecast: train a scope's new model version (or store its refusal), and
list the scopes the daily retraining covers (CONTRACTS §19.1)."""

from __future__ import annotations

import dataclasses
import io
import time
from datetime import UTC, datetime

import joblib
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, transaction
from threadpoolctl import threadpool_limits

from ingestion.models import Asset, Tenant
from ingestion.selectors import site_list

from . import model as fm
from .holdout import DAY_H, day_ahead_backtest
from .models import ForecastModel, ForecastScope, ForecastStatus
from .selectors import (
    TRAINING_READ,
    forecast_model_latest,
    forecast_scope_resolve,
    history_frame,
    hourly_load,
)


def _dumps(fitted: dict[int, fm.FittedForecaster]) -> bytes:
    buf = io.BytesIO()
    joblib.dump(fitted, buf, compress=3)
    return buf.getvalue()


def _config_data(config: fm.ForecastConfig) -> dict:
    return {k: v for k, v in dataclasses.asdict(config).items() if k != "holidays"}


def forecast_train(*, tenant: Tenant, scope: str, scope_id: str | None, now: datetime) -> ForecastModel:
    """Train the scope on its hourly load up to the hour holding ``now`` (exclusive) and store
    the new version: the fitted models, the training window, the feature set and the backtest
    figures; or, when the history is too short or sparse, a refused version with the rule and
    reason. Idempotent: when the newest version already ends where this history ends (no new
    measured hour since), or the scope still has no load at all and its newest version is that
    refusal, that version is returned and nothing is written.

    Raises ``ScopeNotFound`` for an id the tenant does not have."""
    target = forecast_scope_resolve(tenant=tenant, scope=scope, scope_id=scope_id)
    end = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    load = hourly_load(scope=target, start=end - TRAINING_READ, end=end)
    frame = history_frame(load)
    training_end = end if frame is None else (frame.index[-1] + fm.HOUR).to_pydatetime()
    latest = forecast_model_latest(tenant=tenant, scope=target.scope, scope_id=target.scope_id)
    if latest is not None and latest.training_end == training_end:
        return latest
    if (
        frame is None
        and latest is not None
        and latest.status == ForecastStatus.REFUSED
        and not latest.covered_hours
    ):
        return latest  # still no load at all: the refusal stands, no version a day
    config = fm.ForecastConfig(timezone=target.timezone, horizon_h=fm.WEEK_H)
    day_config = dataclasses.replace(config, horizon_h=DAY_H)
    row = ForecastModel(
        tenant=tenant,
        scope=target.scope,
        scope_id=target.scope_id,
        training_end=training_end,
        timezone=target.timezone,
        config=_config_data(config),
    )
    started = time.perf_counter()
    if frame is None:
        row.status = ForecastStatus.REFUSED
        row.refusal_rule = "history_too_short"
        row.refusal_reason = f"no hourly load in the {TRAINING_READ.days} days before {end.isoformat()}"
    else:
        row.history_start = frame.index[0].to_pydatetime()
        row.covered_hours = int(frame["load_kw"].notna().sum())
        with threadpool_limits(limits=settings.FORECAST_THREADS):
            _fit_into(row, frame, day_config, config)
    row.fit_s = time.perf_counter() - started
    return _store_version(row)


def _fit_into(
    row: ForecastModel, frame: pd.DataFrame, day_config: fm.ForecastConfig, config: fm.ForecastConfig
) -> None:
    """Fit the version's two models: the day model (trained on leads 1-24 h only) serves horizons up
    to a day and is the one the stored backtest scores; the week model serves longer horizons.
    A model trained on one week of leads spends its trees on leads 25-168 h and measured worse on
    the first day than one trained on that day alone (docs/benchmarks.md, forecast.py)."""
    try:
        fitted = fm.fit(frame, config)
        day = fm.fit(frame, day_config)
    except fm.ForecastRefused as exc:
        row.status = ForecastStatus.REFUSED
        row.refusal_rule, row.refusal_reason = exc.rule, exc.reason
        return
    row.status = ForecastStatus.TRAINED
    row.training_start = fitted.training_start.to_pydatetime()
    row.features = list(fitted.feature_names)
    row.samples = fitted.samples
    row.calibration = dict(fitted.calibration)
    row.backtest = {"day_ahead": day_ahead_backtest(frame, day_config)}
    row.model_blob = _dumps({DAY_H: day, fm.WEEK_H: fitted})


def _store_version(row: ForecastModel) -> ForecastModel:
    """Number the row after the scope's newest version; a concurrent training of the same scope
    that stored first wins when it ends at the same hour."""
    for _ in range(3):
        latest = forecast_model_latest(tenant=row.tenant, scope=row.scope, scope_id=row.scope_id)
        if latest is not None and latest.training_end == row.training_end:
            return latest
        row.version = 1 if latest is None else latest.version + 1
        try:
            with transaction.atomic():
                row.save()
            return row
        except IntegrityError:
            row.pk = None
    raise RuntimeError(f"could not number a forecast version of {row.scope} {row.scope_id!r}")


def forecast_scopes_due() -> list[tuple[int, str, str]]:
    """Every scope the daily retraining covers: each active asset (meters included), each site
    with an active asset, and each tenant's fleet, as (tenant id, scope, id)."""
    out: list[tuple[int, str, str]] = []
    for tenant in Tenant.objects.order_by("pk"):
        ids = list(
            Asset.objects.filter(tenant=tenant, active=True)
            .order_by("asset_id")
            .values_list("asset_id", flat=True)
        )
        if not ids:
            continue
        out.extend((tenant.pk, ForecastScope.ASSET.value, a) for a in ids)
        sites = {s.code for s in site_list(tenant=tenant)}
        used = set(Asset.objects.filter(tenant=tenant, active=True).values_list("supply_site", flat=True))
        out.extend((tenant.pk, ForecastScope.SITE.value, code) for code in sorted(sites & used))
        out.append((tenant.pk, ForecastScope.FLEET.value, ""))
    return out
