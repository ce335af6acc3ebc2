"""`manage.py check_timeseries`: prove the configured time-series store works, step by step.

Connects, shows the backend and retention policies (running the idempotent `setup()` first
unless --no-setup), writes one point to the scratch measurement `pdm_check` under a unique
asset id, reads it back, compares, deletes it. Any failure ends with a one-line CommandError
(non-zero exit) that names the store's URL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingestion.timeseries import (
    SCRATCH_MEASUREMENT,
    Point,
    TimeSeriesError,
    TimeSeriesMisconfigured,
    TimeSeriesUnavailable,
    build_store,
)


def _where() -> str:
    if settings.INFLUXDB_URL:
        return f"InfluxDB at {settings.INFLUXDB_URL} (database {settings.INFLUXDB_DATABASE!r})"
    from django.db import connection

    return f"the SQL database ({connection.vendor}: {connection.settings_dict.get('NAME')})"


def _hint(exc: Exception) -> str:
    if not settings.INFLUXDB_URL:
        return "check DATABASE_URL and run `manage.py migrate`"
    if isinstance(exc, TimeSeriesMisconfigured):
        return "the message says what to fix; then run this command again"
    if isinstance(exc, TimeSeriesUnavailable):
        return "is influxd running and INFLUXDB_URL right?"
    return "check INFLUXDB_DATABASE and the credentials (INFLUXDB_USERNAME/PASSWORD or INFLUXDB_TOKEN)"


class Command(BaseCommand):
    help = "Check the time-series store: connect, show retention policies, write/read/delete a test point."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-setup",
            action="store_true",
            help="Only list retention policies; do not create the database/policies first.",
        )

    def handle(self, *args, **options) -> None:
        try:
            self._check(no_setup=options["no_setup"])
        except TimeSeriesError as exc:
            message = " ".join(str(exc).split())  # one line, whatever the server sent
            if settings.INFLUXDB_URL and settings.INFLUXDB_URL not in message:
                message = f"InfluxDB at {settings.INFLUXDB_URL}: {message}"
            raise CommandError(f"{message} — {_hint(exc)}") from None
        except ValueError as exc:  # bad configuration, e.g. an invalid retention duration
            raise CommandError(f"invalid time-series configuration: {exc}") from None

    def step(self, text: str) -> None:
        self.stdout.write(text)

    def _check(self, *, no_setup: bool) -> None:
        store = build_store()
        self.step(f"Backend: {store.backend} — {_where()}")
        self.step(f"Server: {store.ping()}")
        if no_setup:
            policies = store.retention_policies()
        else:
            policies = store.setup()
        listed = ", ".join(f"{p.name} {p.duration}{' (default)' if p.default else ''}" for p in policies)
        self.step(f"Retention policies: {listed or '(none)'}")

        asset_id = f"check-{uuid.uuid4().hex[:12]}"
        now = datetime.now(UTC)
        point = Point(
            SCRATCH_MEASUREMENT,
            asset_id,
            now,
            {"value": 42.5, "count": 7, "ok": True, "note": 'pdm "check"'},
        )
        store.write([point])
        self.step(f"Write: 1 point to {SCRATCH_MEASUREMENT} (asset_id {asset_id}) at {now.isoformat()}")
        try:
            got = store.read(
                measurement=SCRATCH_MEASUREMENT,
                asset_id=asset_id,
                start=now - timedelta(seconds=1),
                end=now + timedelta(seconds=1),
            )
            if got != [point]:
                raise CommandError(f"read back {got!r}, expected {[point]!r} from {_where()}")
            self.step("Read: the point came back identical")
        finally:
            store.delete(measurement=SCRATCH_MEASUREMENT, asset_id=asset_id)
        left = store.count(measurement=SCRATCH_MEASUREMENT, asset_id=asset_id)
        if left:
            raise CommandError(f"delete left {left} point(s) of {asset_id} in {_where()}")
        self.step("Delete: removed, 0 points left")
        self.stdout.write(self.style.SUCCESS(f"OK: the {store.backend} time-series store works"))
