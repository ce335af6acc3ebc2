from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "assessment"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import openapi  # noqa: F401  (registers the OpenAPI authentication extensions)
