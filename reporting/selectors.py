"""Reads of stored reports, always scoped by tenant (another tenant's report is simply absent)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from ingestion.models import Tenant

from .models import Report


def report_list(*, tenant: Tenant) -> QuerySet[Report]:
    """The tenant's stored reports, newest first."""
    return Report.objects.filter(tenant=tenant).order_by("-created_at")


def report_get(*, tenant: Tenant, report_id: Any) -> Report | None:
    """The tenant's report with this id; None for a malformed id, a missing one or another tenant's."""
    try:
        key = uuid.UUID(str(report_id))
    except ValueError:
        return None
    return Report.objects.filter(tenant=tenant, pk=key).first()
