"""Analytics API routes under /api/v1/."""

from django.urls import path

from . import views

urlpatterns = [
    path("assets/<str:asset_id>/features", views.AssetFeaturesView.as_view(), name="asset-features"),
]
