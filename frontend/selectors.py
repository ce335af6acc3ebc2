"""Reads for the dashboard's session endpoints: who is logged in, and the tenant's sites."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Count

from ingestion.auth import ApiPrincipal
from ingestion.models import Asset, MemberRole, Tenant


def tenant_sites(*, tenant: Tenant) -> list[dict[str, Any]]:
    """The supply sites of the tenant's active assets (CONTRACTS §3.2 `supply_site`), each with the
    time zone and shifts the dashboard uses for local time and shift ranges."""
    rows = (
        Asset.objects.filter(tenant=tenant, active=True)
        .values("supply_site")
        .annotate(assets=Count("id"))
        .order_by("supply_site")
    )
    return [
        {
            "name": row["supply_site"],
            "assets": row["assets"],
            "time_zone": settings.PDM_SITE_TIME_ZONE,
            "shifts": settings.PDM_SHIFTS,
        }
        for row in rows
    ]


def session_profile(*, principal: ApiPrincipal, user: Any | None) -> dict[str, Any]:
    """GET /api/v1/auth/me: the login (or token), its tenant, role, what it may do, and links."""
    role = principal.role
    is_staff = bool(user is not None and user.is_staff)
    return {
        "username": principal.username,
        "display_name": (user.get_full_name() or user.get_username()) if user is not None else "",
        "role": role,
        "role_label": MemberRole(role).label if role else None,
        "capabilities": sorted(principal.capabilities),
        "tenant": {"name": principal.tenant.name},
        "sites": tenant_sites(tenant=principal.tenant),
        "links": {"api_docs": "/api/docs/", "admin": "/admin/" if is_staff else None},
        "live_refresh_s": settings.PDM_LIVE_REFRESH_S,
    }
