from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Celery's autodiscovery and the admin look for reporting.tasks / reporting.admin only.
        from .schedules import admin, tasks  # noqa: F401
