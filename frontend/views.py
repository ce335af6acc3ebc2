"""The page at `/`: where a visitor finds the API docs, the admin and the live fleet health.

A plain template, no JavaScript: the operator dashboard (React) takes this URL when it lands.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse


def landing(request: HttpRequest) -> HttpResponse:
    user = request.user
    member = getattr(user, "tenant_member", None) if user.is_authenticated else None
    return render(
        request,
        "frontend/landing.html",
        {
            "api_docs": reverse("api-docs"),
            "admin": reverse("admin:index"),
            "login": f"{reverse('admin:login')}?next=/",
            "fleet_health": reverse("fleet-health"),
            "alerts": reverse("alert-list"),
            "service_health": reverse("service-health"),
            "tenant": member.tenant.name if member is not None else None,
        },
    )
