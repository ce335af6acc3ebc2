"""`/metrics` (top level, where Prometheus looks by default)."""

from django.urls import path

from .views import metrics_view

urlpatterns = [path("metrics", metrics_view, name="metrics")]
