"""Reporting API routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("reporting.schedules.urls")),
]
