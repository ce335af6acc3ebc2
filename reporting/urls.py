"""Reports API routes under /api/v1/ (docs/CONTRACTS.md §16.4), and the report schedules' (§16.5)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("reports", views.ReportListView.as_view(), name="reports"),
    path("reports/<str:report_id>", views.ReportDetailView.as_view(), name="report-detail"),
    path("reports/<str:report_id>/download", views.ReportDownloadView.as_view(), name="report-download"),
    path("", include("reporting.schedules.urls")),
]
