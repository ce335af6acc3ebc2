"""The live demo on embedded defaults: a generator fleet catches up to now, then streams live.

Sets up a demo tenant, one dashboard login per role (operator, manager, admin; passwords
printed once), an ingest/read token and the fleet of generator/scenarios/demo.yaml, starts the
web server (dashboard at /), then streams the fleet's last nine days, ending now, through the
real ingest API in accelerated time (`--rate`): features, baselines, scores, health, RUL and
alerts follow in event time, so faults develop over minutes of wall clock. From then on the
same fleet streams in real time (one reading per machine per minute, `--live-days`), so the
assets stay live instead of going stale 15 minutes after the catch-up.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from generator.output import manifest
from generator.scenario import build_fleet, load_scenario
from generator.stream import Sender, fleet_event_stream, stream_events
from ingestion import services
from ingestion.models import MemberRole, TenantMember

SCENARIO = Path(__file__).resolve().parents[3] / "generator" / "scenarios" / "demo.yaml"
HISTORY_DAYS = 9  # streamed in accelerated time, ending now


class Command(BaseCommand):
    help = "Run the live demo: admin, token, a generator fleet streaming into the API, alerts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--rate", type=float, default=400.0, help="events per second to stream")
        parser.add_argument(
            "--live-days", type=float, default=7.0, help="days of real-time streaming after the catch-up"
        )
        parser.add_argument("--no-stream", action="store_true", help="set up and serve only")
        parser.add_argument(
            "--exit-after-stream", action="store_true", help="stop when the catch-up to now has been streamed"
        )

    def handle(self, *args, **opts) -> None:
        if settings.INFLUXDB_URL or not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stderr.write(
                "note: the demo is meant for the embedded defaults (no INFLUXDB_URL, no broker)"
            )
        base = f"http://{opts['host']}:{opts['port']}"
        tenant = services.tenant_get_or_create(name="demo", create=True)
        logins = self._logins(tenant)
        _, token = services.api_token_create(tenant=tenant, name="demo stream", scopes=["ingest", "read"])
        workdir = Path(tempfile.mkdtemp(prefix="pdm-demo-"))
        if opts["live_days"] < 0:
            raise CommandError("--live-days must be >= 0")
        scenario = self._scenario(workdir, now=datetime.now(UTC), live_days=opts["live_days"])
        fleet = build_fleet(load_scenario(scenario))
        entries = manifest(fleet)["assets"]
        (workdir / "assets.json").write_text(json.dumps({"assets": entries}, indent=2) + "\n")
        created, updated = services.fleet_register(tenant=tenant, entries=entries)
        call_command("collectstatic", "--noinput", verbosity=0)
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pdm_project.wsgi:application",
                "--bind",
                f"{opts['host']}:{opts['port']}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--access-logfile",
                "-",
            ],
            env={**os.environ, "API_TOKEN_RATE": "100000/s"},
            stdout=subprocess.DEVNULL,
        )
        try:
            self._wait_for(f"{base}/api/v1/health", server)
            self.stdout.write(self.style.SUCCESS(f"\nPdM demo is up at {base}/"))
            self.stdout.write(f"  dashboard: {base}/  log in as (user / password, shown once):")
            for role, (username, password) in logins.items():
                shown = password or "(as set before; PDM_DEMO_PASSWORD or the first run printed it)"
                self.stdout.write(f"    {role:<9} {username} / {shown}")
            self.stdout.write(f"  admin:     {base}/admin/  (user 'admin')")
            self.stdout.write(f"  API docs:  {base}/api/docs/")
            self.stdout.write(
                f"  fleet:     {created + updated} assets of tenant 'demo' ({workdir / 'assets.json'})"
            )
            self.stdout.write(f"  alerts:    curl -H 'Authorization: Bearer {token}' {base}/api/v1/alerts")
            self.stdout.write(
                f"  health:    curl -H 'Authorization: Bearer {token}' {base}/api/v1/fleet/health"
            )
            if not opts["no_stream"]:
                self.stdout.write(
                    f"Streaming the fleet's last {HISTORY_DAYS} days at {opts['rate']:g} events/s (accelerated), "
                    "ending now; the first 72 h of each asset train its baseline, then three assets degrade "
                    "and alerts open.\n"
                )
                history, live = _split_at_now(fleet_event_stream(fleet))
                sender = Sender(f"{base}/api/v1/ingest", token, log=sys.stderr)
                summary = stream_events(
                    history, sender, batch_size=360, rate=opts["rate"], progress=sys.stderr
                )
                self.stdout.write(self.style.SUCCESS(f"Caught up with now: {summary.line()}"))
                if not opts["exit_after_stream"] and opts["live_days"] > 0:
                    self.stdout.write(
                        f"Streaming live for up to {opts['live_days']:g} days: one reading per machine per "
                        "minute; press Ctrl-C to stop."
                    )
                    stream_events(live, sender, batch_size=360, real_time=True)
            if opts["exit_after_stream"]:
                return
            self.stdout.write("Serving; press Ctrl-C to stop.")
            server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    def _logins(self, tenant) -> dict[str, tuple[str, str | None]]:
        """One dashboard login per role: `operator`, `manager` and `admin` (a superuser, so the
        Django admin opens too). Passwords: PDM_DEMO_PASSWORD or random, printed once; a login
        made by an earlier run keeps its password (None here)."""
        User = get_user_model()
        logins: dict[str, tuple[str, str | None]] = {}
        for role in (MemberRole.OPERATOR, MemberRole.MANAGER, MemberRole.ADMIN):
            username = str(role.value)
            user = User.objects.filter(username=username).first()
            if user is not None:
                TenantMember.objects.get_or_create(user=user, defaults={"tenant": tenant, "role": role})
                logins[role.value] = (username, None)
                continue
            password = os.environ.get("PDM_DEMO_PASSWORD") or secrets.token_urlsafe(12)
            if role == MemberRole.ADMIN:
                user = User.objects.create_superuser(username, f"{username}@example.invalid", password)
                TenantMember.objects.create(user=user, tenant=tenant, role=role)
            else:
                services.member_create(
                    tenant=tenant,
                    username=username,
                    password=password,
                    role=role,
                    email=f"{username}@example.invalid",
                )
            logins[role.value] = (username, password)
        return logins

    def _scenario(self, workdir: Path, *, now: datetime, live_days: float) -> Path:
        """demo.yaml with its window placed so the history ends at the last whole minute before
        `now` and the live part follows it."""
        data = yaml.safe_load(SCENARIO.read_text())
        interval = timedelta(seconds=int(data.get("interval_s", 60)))
        last = datetime.fromtimestamp(
            now.timestamp() // interval.total_seconds() * interval.total_seconds(), UTC
        )
        start = last - timedelta(days=HISTORY_DAYS) + interval
        data["start"] = start.isoformat().replace("+00:00", "Z")
        data["duration_days"] = HISTORY_DAYS + live_days
        path = workdir / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def _wait_for(self, url: str, server: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"the web server exited with code {server.returncode}")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own loopback URL
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise CommandError(f"the web server did not answer at {url}")


def _split_at_now(events: Iterator[tuple[str, float]]) -> tuple[Iterator, Iterator]:
    """(the events due by now, the rest): the second iterator starts where the first stopped."""
    stream = iter(events)
    first_later: list[tuple[str, float]] = []

    def history() -> Iterator[tuple[str, float]]:
        cutoff = time.time()
        for line, when in stream:
            if when > cutoff:
                first_later.append((line, when))
                return
            yield line, when

    def live() -> Iterator[tuple[str, float]]:
        yield from itertools.chain(first_later, stream)

    return history(), live()
