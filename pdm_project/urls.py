"""URL map: admin, the versioned REST API, Prometheus metrics, the OpenAPI schema with its docs page, and the dashboard."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("ingestion.urls")),
    path("api/v1/", include("assessment.urls")),
    path("api/v1/", include("analytics.energy.urls")),
    path("api/v1/", include("analytics.urls")),
    path("api/v1/", include("analytics.forecast.urls")),
    path("api/v1/", include("reporting.urls")),
    path("", include("assessment.observability.urls")),  # /metrics (Prometheus)
    path("", include("frontend.urls")),  # last: the dashboard takes every other path
]
