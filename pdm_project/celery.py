"""The Celery application. Broker and eager mode come from settings (pdm_project/settings/queue.py)."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")

app = Celery("pdm_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from . import celery_signals  # noqa: E402,F401 - connects the metrics and liveness signals
