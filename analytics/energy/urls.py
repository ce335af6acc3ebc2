"""Energy API routes under /api/v1/ (docs/CONTRACTS.md §18.9)."""

from django.urls import path

from . import views

urlpatterns = [
    path("energy", views.EnergyView.as_view(), name="energy-summary"),
    path("energy/today", views.EnergyTodayView.as_view(), name="energy-today"),
    path("sites", views.SiteListView.as_view(), name="site-list"),
    path("sites/<str:code>/tariff", views.SiteTariffView.as_view(), name="site-tariff"),
]
