"""Report-schedule routes under /api/v1/ (docs/CONTRACTS.md §16.5)."""

from django.urls import path

from . import views

urlpatterns = [
    path("report-schedules", views.ScheduleListView.as_view(), name="report-schedule-list"),
    path("report-schedules/<int:schedule_id>", views.ScheduleDetailView.as_view(), name="report-schedule"),
    path(
        "report-schedules/<int:schedule_id>/deliveries",
        views.ScheduleDeliveriesView.as_view(),
        name="report-schedule-deliveries",
    ),
]
