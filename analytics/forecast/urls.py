"""Forecast API routes under /api/v1/ (docs/CONTRACTS.md §19.2)."""

from django.urls import path

from . import views

urlpatterns = [
    path("forecast", views.ForecastView.as_view(), name="forecast"),
]
