"""Project package: settings, URLs and the Celery app (imported here so tasks register)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
