"""Django for a benchmark on its own throwaway influxd and a temporary SQLite registry."""

from __future__ import annotations

import os


def setup_django(influx_url: str, data_dir: str) -> None:
    """Settings from the environment as a fresh machine has them (no PostgreSQL, broker or cache
    URL), the time series in database ``bench`` of ``influx_url``, the registry migrated."""
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        PDM_DATA_DIR=data_dir,
        INFLUXDB_URL=influx_url,
        INFLUXDB_DATABASE="bench",
        DJANGO_SETTINGS_MODULE="pdm_project.settings",
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
