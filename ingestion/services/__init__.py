"""Writes of the ingestion app: registry, event ingest and the durable spool."""

from ..handoff import AnalyticsHandoffUnavailable
from .events import ForeignAssets, IngestResult, events_ingest, events_store
from .members import member_create
from .registry import (
    api_token_create,
    api_token_revoke,
    asset_create,
    asset_update,
    fleet_register,
    manifest_asset_fields,
    site_save,
    tenant_get_or_create,
)
from .spool import spool_replay

__all__ = [
    "AnalyticsHandoffUnavailable",
    "ForeignAssets",
    "IngestResult",
    "api_token_create",
    "api_token_revoke",
    "asset_create",
    "asset_update",
    "events_ingest",
    "events_store",
    "fleet_register",
    "manifest_asset_fields",
    "member_create",
    "site_save",
    "spool_replay",
    "tenant_get_or_create",
]
