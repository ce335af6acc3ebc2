from django.apps import AppConfig


class IngestionConfig(AppConfig):
    name = "ingestion"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import tasks
        from .services import spool

        spool.replay_enqueue = tasks.spool_replay_task.delay
