from django.apps import AppConfig
from django.core import checks


class IngestionConfig(AppConfig):
    name = "ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .handoff import handoff_check

        checks.register(handoff_check)
