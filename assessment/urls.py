"""Assessment API routes under /api/v1/ (health, alerts, fleet)."""

from django.urls import path

from . import views

urlpatterns = [
    path("assets/<str:asset_id>/health", views.AssetHealthView.as_view(), name="asset-health"),
    path(
        "assets/<str:asset_id>/health/history",
        views.AssetHealthHistoryView.as_view(),
        name="asset-health-history",
    ),
    path("alerts", views.AlertListView.as_view(), name="alert-list"),
    path("alerts/<uuid:alert_id>", views.AlertDetailView.as_view(), name="alert-detail"),
    path(
        "alerts/<uuid:alert_id>/acknowledge", views.AlertAcknowledgeView.as_view(), name="alert-acknowledge"
    ),
    path("alerts/<uuid:alert_id>/resolve", views.AlertResolveView.as_view(), name="alert-resolve"),
    path("fleet/health", views.FleetHealthView.as_view(), name="fleet-health"),
]
