from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ingestion.services import events

        from . import services, tasks

        services.pipeline_enqueue = tasks.asset_pipeline_task.delay
        events.analytics_handoff = services.analytics_request
