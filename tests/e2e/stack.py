"""The whole platform as real processes, each started from its systemd unit's own lines.

`Stack` starts a private PostgreSQL (initdb in a temp dir), Redis (append-only), influxd and an
SMTP server (aiosmtpd), writes the environment file from deploy/pdm.env.example pointed at them,
and then runs what deploy/pdm-web.service, pdm-worker.service, pdm-worker-live.service and
pdm-beat.service say:
`ExecStartPre` lines in order, then `ExecStart`, with the unit's `EnvironmentFile` (our file in
place of /etc/pdm/pdm.env) and `WorkingDirectory` (this checkout in place of /opt/pdm). So a
change to a unit is what this harness runs; nothing is copied from the units into here.

Every process runs in its own session, so `kill_all()` SIGKILLs whole process groups (gunicorn
and its workers, Celery and its pool, the postmaster and its backends), as a power cut would;
`start_all()` starts them again in the units' order.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pdm_project.devservices import InfluxdServer, free_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
INFLUXDB_DROPIN = "influxdb.service.d/pdm.conf"
UNIT_ORDER = ("pdm-web.service", "pdm-worker.service", "pdm-worker-live.service", "pdm-beat.service")
INSTALL_PREFIX, ETC_ENV, DATA_DIR = "/opt/pdm", "/etc/pdm/pdm.env", "/var/lib/pdm"


@dataclass
class Unit:
    name: str
    exec_start_pre: list[str] = field(default_factory=list)
    exec_start: str = ""
    environment_file: str = ""
    working_directory: str = ""


def service_lines(path: Path) -> list[tuple[str, str]]:
    """The ``Key=value`` lines of a unit file's [Service] section (systemd syntax: one a line)."""
    out = []
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            out.append((key, value))
    return out


def unit_parse(path: Path) -> Unit:
    """The [Service] lines this harness runs."""
    unit = Unit(path.name)
    for key, value in service_lines(path):
        if key == "ExecStartPre":
            unit.exec_start_pre.append(value)
        elif key == "ExecStart":
            unit.exec_start = value
        elif key == "EnvironmentFile":
            unit.environment_file = value
        elif key == "WorkingDirectory":
            unit.working_directory = value
    return unit


def dropin_environment(path: Path) -> dict[str, str]:
    """The ``Environment=`` assignments of a systemd drop-in (its [Service] section)."""
    return dict(value.split("=", 1) for key, value in service_lines(path) if key == "Environment")


def env_file_parse(path: Path) -> dict[str, str]:
    """systemd EnvironmentFile: `KEY=VALUE` lines, `#` comments, optional quotes."""
    out = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key.strip()] = value
    return out


class Postgres:
    """A private PostgreSQL cluster (runs as the `postgres` user when we are root)."""

    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
        if not bins:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install -y postgresql)")
        self.bin = Path(bins[-1]).parent
        # Its own temp dir: pytest's are private to root, and the server runs as `postgres`.
        directory = Path(tempfile.mkdtemp(prefix="pdm-e2e-pg-"))
        self.root = directory
        self.dir = directory / "pgdata"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        self.proc: subprocess.Popen | None = None
        self.log = directory / "postgres.log"
        if self.user:
            os.chown(directory, *_ids(self.user))
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.dir), "-A", "trust", "-U", "postgres", "-E", "UTF8"],
            check=True, capture_output=True, user=self.user,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/pdm"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.dir), "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={self.dir}", "-c", "max_connections=200"],
            stdout=self.log.open("ab"), stderr=subprocess.STDOUT, user=self.user, start_new_session=True,
        )  # fmt: skip
        wait_until(lambda: self._ready(), 60, "PostgreSQL", lambda: self.log.read_text()[-2000:])

    def _ready(self) -> bool:
        r = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
        )
        return r.returncode == 0

    def create_database(self) -> None:
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "pdm"],
            check=True, capture_output=True,
        )  # fmt: skip


def _ids(user: str) -> tuple[int, int]:
    import pwd

    pw = pwd.getpwnam(user)
    return pw.pw_uid, pw.pw_gid


def wait_until(predicate, timeout_s: float, what: str, detail=lambda: "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}\n{detail()}")


def killpg(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


class Stack:
    def __init__(self, work: Path, *, extra_env: dict[str, str] | None = None):
        from tests.fixtures.redis_server import RedisServer

        self.work = work
        self.data = work / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.postgres = Postgres()
        (work / "redis").mkdir(exist_ok=True)
        self.redis = RedisServer(work / "redis")
        (work / "influx").mkdir(exist_ok=True)
        self.influx = InfluxdServer(work / "influx", env=dropin_environment(DEPLOY / INFLUXDB_DROPIN))
        self.smtp_port = free_port()
        self.smtp = None
        self.messages: list = []
        self.web_port = free_port()
        self.env_path = work / "pdm.env"
        self.units = {name: unit_parse(DEPLOY / name) for name in UNIT_ORDER}
        self.procs: dict[str, subprocess.Popen] = {}
        self.extra_env = extra_env or {}

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    # --- configuration ---------------------------------------------------------------------

    def write_env(self) -> None:
        """deploy/pdm.env.example with every value this stack needs filled in."""
        values = {
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "",
            "DJANGO_SECURE_COOKIES": "false",
            "PDM_DATA_DIR": str(self.data),
            "DATABASE_URL": self.postgres.url,
            "INFLUXDB_URL": self.influx.url,
            "INFLUXDB_DATABASE": "pdm",
            "CELERY_BROKER_URL": self.redis.url(0),
            "REDIS_URL": self.redis.url(1),
            "API_TOKEN_RATE": "100000/s",
        }
        lines = []
        for raw in (DEPLOY / "pdm.env.example").read_text().splitlines():
            m = re.match(r"^([A-Z_]+)=", raw)
            lines.append(f"{m.group(1)}={values.pop(m.group(1))}" if m and m.group(1) in values else raw)
        extra = {
            "PDM_BIND": f"127.0.0.1:{self.web_port}",
            "PDM_WEB_WORKERS": "2",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            **self.extra_env,
        }
        lines += [f"{k}={v}" for k, v in {**values, **extra}.items()]
        self.env_path.write_text("\n".join(lines) + "\n")
        self.env_path.chmod(0o600)

    def unit_env(self, unit: Unit) -> dict[str, str]:
        assert unit.environment_file == ETC_ENV, f"{unit.name}: EnvironmentFile={unit.environment_file}"
        return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
                **env_file_parse(self.env_path)}  # fmt: skip

    def unit_argv(self, line: str) -> list[str]:
        line = line.lstrip("-@+!")  # systemd prefixes
        line = line.replace(INSTALL_PREFIX, str(ROOT)).replace(DATA_DIR, str(self.data))
        return [word.replace("%%", "%") for word in shlex.split(line)]  # systemd's escaped %

    def unit_cwd(self, unit: Unit) -> str:
        return unit.working_directory.replace(INSTALL_PREFIX, str(ROOT))

    # --- processes --------------------------------------------------------------------------

    def start_services(self, *, first: bool = False) -> None:
        """PostgreSQL, Redis, InfluxDB, SMTP: what the units' After= lines wait for."""
        self.postgres.start()
        if first:
            self.postgres.create_database()
        self.redis.start()
        self.influx.start()
        if self.smtp is None:
            self.start_smtp()

    def start_smtp(self) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Message

        stack = self

        class Keep(Message):
            def handle_message(self, message) -> None:
                stack.messages.append(message)

        self.smtp = Controller(Keep(), hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()

    def start_unit(self, name: str) -> None:
        unit = self.units[name]
        env, cwd = self.unit_env(unit), self.unit_cwd(unit)
        log = (self.work / f"{name}.log").open("ab")
        for line in unit.exec_start_pre:
            subprocess.run(self.unit_argv(line), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                           check=True, timeout=600)  # fmt: skip
        self.procs[name] = subprocess.Popen(
            self.unit_argv(unit.exec_start), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def start_all(self, *, first: bool = False) -> None:
        self.start_services(first=first)
        for name in UNIT_ORDER:
            self.start_unit(name)
            if name == "pdm-web.service":
                self.wait_web()

    def wait_web(self) -> None:
        import requests

        wait_until(
            lambda: requests.get(f"{self.base}/api/v1/health", timeout=5).status_code in (200, 503),
            120, "gunicorn", lambda: self.log_tail("pdm-web.service"),
        )  # fmt: skip

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        unit = self.units["pdm-web.service"]
        result = subprocess.run(
            [str(ROOT / ".venv/bin/python"), "manage.py", *args], cwd=self.unit_cwd(unit),
            env={**self.unit_env(unit), **(env or {})}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)}: {result.stderr[-3000:]}")
        return result.stdout

    def restart_web_connections(self) -> None:
        """End every other session on the database: the services reconnect on their next query
        (and then see database-level settings changed since)."""
        import psycopg

        with psycopg.connect(self.postgres.url, connect_timeout=5, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = 'pdm' AND pid <> pg_backend_pid()"
            )

    def kill_all(self) -> None:
        """SIGKILL every process of the platform, the databases and the broker included."""
        for name in reversed(UNIT_ORDER):
            killpg(self.procs.pop(name, None))
        killpg(self.postgres.proc)
        self.redis.kill()
        proc = self.influx._proc
        killpg(proc)
        self.influx._proc = None

    def stop(self) -> None:
        self.kill_all()
        shutil.rmtree(self.postgres.root, ignore_errors=True)
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.work / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def pids(self) -> dict[str, list[int]]:
        """Every process of each unit (the group leader and its children)."""
        out: dict[str, list[int]] = {}
        for name, proc in self.procs.items():
            if proc.poll() is None:
                r = subprocess.run(
                    ["pgrep", "-g", str(proc.pid)], capture_output=True, text=True, check=False
                )
                out[name] = [int(p) for p in r.stdout.split()]
        return out
