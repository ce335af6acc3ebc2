"""Effective per-asset limits: contract defaults plus the asset's threshold overrides (§3.3)."""

from __future__ import annotations

import logging

from ingestion.models import Asset, AssetThresholds

from .. import conf
from ..health import Limits

logger = logging.getLogger(__name__)

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
