"""Ingestion API routes under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("health", views.ServiceHealthView.as_view(), name="service-health"),
    path("ingest", views.IngestView.as_view(), name="ingest"),
    path("assets", views.AssetListView.as_view(), name="asset-list"),
    path("assets/<str:asset_id>", views.AssetDetailView.as_view(), name="asset-detail"),
    path("assets/<str:asset_id>/signals", views.AssetSignalsView.as_view(), name="asset-signals"),
    path("assets/<str:asset_id>/latest", views.AssetLatestView.as_view(), name="asset-latest"),
]
