"""Throwaway development services: a private `influxd` for tests and benchmarks.

Imported by `tests/fixtures/influx.py` and `benchmarks/timeseries_write.py`; it imports no
Django so a plain script can use it. The server listens on loopback only (HTTP and the
RPC/backup port, both on free ports), keeps meta/data/wal in its own temporary
directory, reports nothing to InfluxData and logs only errors.

    with InfluxdServer.launch() as server:
        requests.get(server.url + "/ping")
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

INFLUXD_CANDIDATES = ("/usr/bin/influxd",)


class InfluxdNotFound(RuntimeError):
    """No influxd binary; install it with `apt-get install influxdb`."""


class InfluxdStartError(RuntimeError):
    """influxd exited or did not answer /ping in time; the message carries its log tail."""


def find_influxd() -> str:
    for candidate in INFLUXD_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("influxd")
    if found:
        return found
    raise InfluxdNotFound("influxd not found: install it with `apt-get install influxdb`")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"

[meta]
  dir = "{root}/meta"
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = false
  trace-logging-enabled = false

[coordinator]
  log-queries-after = "0s"

[retention]
  enabled = true

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:{http_port}"
  auth-enabled = {auth_enabled}
  log-enabled = false
  suppress-write-log = true
  pprof-enabled = false
  max-row-limit = 0
  max-body-size = 0

[logging]
  level = "{log_level}"
  suppress-logo = true
"""


class InfluxdServer:
    """One private influxd process; `stop()`/`start()` keep the port and the data directory."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        binary: str | None = None,
        auth_enabled: bool = False,
        log_level: str = "error",
        env: dict[str, str] | None = None,
    ) -> None:
        self.binary = binary or find_influxd()
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="pdm-influxd-"))
        self.http_port = free_port()
        self.rpc_port = free_port()
        while self.rpc_port == self.http_port:
            self.rpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.config_path = self.root / "influxdb.conf"
        self.log_path = self.root / "influxd.log"
        self.config_path.write_text(
            _CONFIG.format(
                root=self.root,
                rpc_port=self.rpc_port,
                http_port=self.http_port,
                auth_enabled="true" if auth_enabled else "false",
                log_level=log_level,
            )
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self.env = None if env is None else {**os.environ, **env}
        self.started_at = 0.0  # time.time() when the process was last started
        atexit.register(self.stop)  # an interrupted run must not leave influxd behind

    @classmethod
    def launch(
        cls,
        root: Path | None = None,
        *,
        timeout_s: float = 30.0,
        auth_enabled: bool = False,
        log_level: str = "error",
        env: dict[str, str] | None = None,
    ) -> InfluxdServer:
        """`log_level="info"` logs the storage engine's cache snapshots and compactions; `env`
        adds variables to influxd's environment (e.g. GODEBUG=gctrace=1: one log line per
        Go garbage collection)."""
        server = cls(root, auth_enabled=auth_enabled, log_level=log_level, env=env)
        try:
            server.start(timeout_s=timeout_s)
        except BaseException:
            server.close()
            raise
        return server

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The running influxd's process id (for a benchmark sampling its memory)."""
        return self._proc.pid if self.running and self._proc is not None else None

    def start(self, *, timeout_s: float = 30.0) -> None:
        """Start (or restart) influxd on the same ports and data directory; wait for /ping."""
        if self.running:
            return
        with open(self.log_path, "ab") as log:
            self.started_at = time.time()
            self._proc = subprocess.Popen(
                [self.binary, "run", "-config", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.env,
                start_new_session=True,  # a Ctrl-C in the test terminal does not reach it first
            )
        deadline = time.monotonic() + timeout_s
        while True:
            if self._proc.poll() is not None:
                code = self._proc.returncode
                self._proc = None
                raise InfluxdStartError(f"influxd exited with status {code} on start:\n{self.log_tail()}")
            if self._ping():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise InfluxdStartError(
                    f"influxd did not answer {self.url}/ping within {timeout_s:g} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, *, timeout_s: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited within `timeout_s`."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)  # a paused server could not act on SIGTERM
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)

    def pause(self) -> None:
        """Freeze the process (SIGSTOP): connections are still accepted by the kernel, nothing
        answers them, so clients time out (tests of the timeout path). `resume()` undoes it."""
        if self._proc is not None:
            self._proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._proc is not None:
            self._proc.send_signal(signal.SIGCONT)

    def close(self) -> None:
        """Stop the server and remove its directory (when it created it)."""
        self.stop()
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> InfluxdServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _ping(self) -> bool:
        with contextlib.suppress(OSError, urllib.error.URLError):
            with urllib.request.urlopen(self.url + "/ping", timeout=1) as resp:  # noqa: S310 - loopback http
                return resp.status == 204
        return False
