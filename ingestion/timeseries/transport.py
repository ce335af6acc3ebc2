"""HTTP to InfluxDB's v1 API: kept-alive connections of our own, or a `requests` session.

For a plain `http://` URL that no proxy applies to, requests go over keep-alive
connections kept per process (`_Connections`, a minimal HTTP/1.1 client): ~0.2 ms of CPU per
request instead of ~0.7 ms through `requests`, which was a tenth of a single-event ingest.
`https://` URLs, proxies and URLs with credentials in them go through a `requests` session.

`InfluxHttp.request` turns every failure into the store's two exceptions: what a retry may
cure (refused connection, timeout, HTTP 5xx) is `TimeSeriesUnavailable`, everything else
`TimeSeriesError`, with the server's own message. What the store makes of particular answers
(a missing database, a field-type conflict) is the store's business (`influx.py`).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.utils import get_netrc_auth

from .base import TimeSeriesError, TimeSeriesMisconfigured, TimeSeriesUnavailable


@dataclass(frozen=True, slots=True)
class Reply:
    """What the store needs of an HTTP response, whichever transport carried it (header
    names in lower case)."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    def json(self):
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class _StaleConnection(Exception):
    """A kept-alive connection turned out closed before the server sent anything back."""


class _Connection:
    """One HTTP/1.1 keep-alive connection, with just the protocol InfluxDB's API uses.

    `http.client` parses every response's headers with the email package, which was a tenth
    of the CPU of a single-event ingest; this reads status line, headers and a Content-Length
    or chunked body itself. Timeouts raise TimeoutError, like http.client's.
    """

    __slots__ = ("buffer", "host_header", "sock")

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        name = f"[{host}]" if ":" in host else host  # an IPv6 literal
        self.host_header = f"{name}:{port}" if port != 80 else name
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise http.client.RemoteDisconnected("InfluxDB closed the connection mid-response")
        return chunk

    def exchange(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], reused: bool
    ) -> tuple[Reply, bool]:
        """Send one request, read its response; (reply, whether the connection can be reused)."""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}", "Accept: */*"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if body is not None or method == "POST":
            head.append(f"Content-Length: {len(body or b'')}")
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + (body or b""))
        data = self.buffer
        while (end := data.find(b"\r\n\r\n")) < 0:
            chunk = self.sock.recv(65536)
            if not chunk:
                if reused and not data:
                    raise _StaleConnection()
                raise http.client.RemoteDisconnected("InfluxDB closed the connection without a response")
            data += chunk
        lines = data[:end].decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or not code.isdigit():
            raise http.client.BadStatusLine(lines[0])
        fields: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        status = int(code)
        data = data[end + 4 :]
        keep = version == "HTTP/1.1" and fields.get("connection", "").lower() != "close"
        if status in (204, 304) or 100 <= status < 200 or method == "HEAD":
            content = b""
        elif "content-length" in fields:
            length = int(fields["content-length"])
            while len(data) < length:
                data += self._fill()
            content, data = data[:length], data[length:]
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            parts = []
            while True:
                while (eol := data.find(b"\r\n")) < 0:
                    data += self._fill()
                size = int(data[:eol].split(b";")[0], 16)
                while len(data) < eol + 2 + size + 2:
                    data += self._fill()
                if size == 0:
                    # trailers end with an empty line
                    while (tail := data.find(b"\r\n", eol + 2)) < 0:
                        data += self._fill()
                    if tail == eol + 2:
                        data = data[tail + 2 :]
                        break
                    data = data[: eol + 2] + data[tail + 2 :]  # drop one trailer line
                    continue
                parts.append(data[eol + 2 : eol + 2 + size])
                data = data[eol + 2 + size + 2 :]
            content = b"".join(parts)
        else:  # delimited by the end of the connection
            chunks = [data]
            while chunk := self.sock.recv(65536):
                chunks.append(chunk)
            content, data, keep = b"".join(chunks), b"", False
        self.buffer = data
        return Reply(status, reason, fields, content), keep


class _Connections:
    """Keep-alive connections to one `http://` server, shared by a process's threads.

    An idle connection the server has closed meanwhile fails on first use; the request is
    then sent once more on a new connection (every request the store makes is idempotent:
    writes are keyed by identity, queries are reads or idempotent schema/delete statements).
    Connections are not shared across fork(): a child starts with an empty pool.
    """

    def __init__(self, host: str, port: int, timeout_s: float, maxsize: int = 16) -> None:
        self.host, self.port, self.timeout_s, self.maxsize = host, port, timeout_s, maxsize
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def _take(self) -> _Connection | None:
        with self._lock:
            if self._pid != os.getpid():
                self._idle, self._pid = [], os.getpid()
            return self._idle.pop() if self._idle else None

    def _give_back(self, conn: _Connection) -> None:
        with self._lock:
            if self._pid == os.getpid() and len(self._idle) < self.maxsize:
                self._idle.append(conn)
                return
        conn.close()

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        conn = self._take()
        reused = conn is not None
        while True:
            if conn is None:
                conn = _Connection(self.host, self.port, self.timeout_s)
            try:
                reply, keep = conn.exchange(method, path, body, headers, reused)
            except (_StaleConnection, *_STALE_CONNECTION) as exc:
                conn.close()
                if not reused:
                    raise http.client.RemoteDisconnected(str(exc) or "connection closed") from exc
                conn, reused = None, False
                continue
            except BaseException:
                conn.close()
                raise
            if keep:
                self._give_back(conn)
            else:
                conn.close()
            return reply

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


_STALE_CONNECTION = (BrokenPipeError, ConnectionResetError)


class InfluxHttp:
    """The HTTP side of one InfluxDB URL: authorization, environment, transport, error mapping."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        elif username:
            self.session.auth = (username, password or "")
        self._netrc_auth: tuple[str, str] | None = None
        self._resolve_environment()
        self._connections: _Connections | None = None
        self._headers: dict[str, str] = {}
        self._base_path = ""
        self._direct_transport(token)

    def _resolve_environment(self) -> None:
        """Resolve what requests takes from the environment (proxies and NO_PROXY,
        REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE, ~/.netrc) once, for the one URL this store talks to.

        With `trust_env` requests scans os.environ (and reads ~/.netrc) on every request: with a
        typical environment that was the largest CPU cost of a single-event ingest. The result
        is the same as long as the environment does not change while the process runs.
        """
        session = self.session
        if not session.trust_env:
            return
        env = session.merge_environment_settings(self.url, {}, None, None, None)
        session.proxies.update(env["proxies"])
        session.verify = env["verify"]
        session.cert = env["cert"]
        if session.auth is None:
            # requests applies ~/.netrc per request when no other auth is set; keep it per request
            # (not session.auth) so the session looks exactly as configured.
            self._netrc_auth = get_netrc_auth(self.url)
        session.trust_env = False

    def _direct_transport(self, token: str | None) -> None:
        """Use `_Connections` when requests would add nothing: plain http, no proxy for this
        URL, no credentials in the URL. Authorization is sent exactly as the session would."""
        parts = urlsplit(self.url)
        if parts.scheme != "http" or self.session.proxies or parts.username or parts.password:
            return
        if token:
            self._headers["Authorization"] = f"Token {token}"
        elif isinstance(self.session.auth, tuple):  # (username, password) from __init__
            self._headers["Authorization"] = _basic_auth_str(*self.session.auth)
        elif self.session.auth is not None:
            return  # an auth object only requests can apply: keep the session
        elif self._netrc_auth is not None:
            self._headers["Authorization"] = _basic_auth_str(*self._netrc_auth)
        self._base_path = parts.path.rstrip("/")
        self._connections = _Connections(parts.hostname or "localhost", parts.port or 80, self.timeout_s)

    def close(self) -> None:
        if self._connections is not None:
            self._connections.close()
        self.session.close()

    def _send(self, method: str, path: str, body: bytes | None, content_type: str | None) -> Reply:
        """One HTTP exchange over the direct connections or the requests session."""
        if self._connections is not None:
            headers = dict(self._headers)
            if content_type:
                headers["Content-Type"] = content_type
            return self._connections.request(method, self._base_path + path, body, headers)
        kwargs: dict = {"data": body}
        if content_type:
            kwargs["headers"] = {"Content-Type": content_type}
        if self._netrc_auth is not None:
            kwargs["auth"] = self._netrc_auth
        response = self.session.request(method, self.url + path, timeout=self.timeout_s, **kwargs)
        headers = {name.lower(): value for name, value in response.headers.items()}
        return Reply(response.status_code, response.reason or "", headers, response.content)

    def exchange(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Reply:
        """One request and its reply, whatever its status; TimeSeriesUnavailable when no reply
        came (refused, reset, timed out)."""
        try:
            return self._send(method, path, body, content_type)
        except (requests.Timeout, TimeoutError) as exc:
            raise TimeSeriesUnavailable(
                f"InfluxDB at {self.url} did not answer within {self.timeout_s:g} s"
            ) from exc
        except (requests.RequestException, OSError, http.client.HTTPException) as exc:
            raise TimeSeriesUnavailable(f"cannot reach InfluxDB at {self.url}: {_reason(exc)}") from exc

    def request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> Reply:
        """One request; its reply when the status is below 400, else the exception of `http_error`."""
        response = self.exchange(method, path, body, content_type)
        if response.status_code >= 400:
            raise self.http_error(response)
        return response

    def http_error(self, response: Reply) -> TimeSeriesError:
        """The exception for an HTTP error reply: a 5xx may pass (unavailable); refused credentials
        (401/403) wait for an operator (misconfigured); any other 4xx carries the server's message."""
        message = server_message(response)
        status = response.status_code
        if status in (401, 403):
            return TimeSeriesMisconfigured(
                f"InfluxDB at {self.url} refused the credentials (HTTP {status}): {message}; "
                "check INFLUXDB_USERNAME/INFLUXDB_PASSWORD or INFLUXDB_TOKEN"
            )
        if status >= 500:
            return TimeSeriesUnavailable(f"InfluxDB at {self.url} failed with HTTP {status}: {message}")
        return TimeSeriesError(f"InfluxDB refused the request: {message}")


def server_message(response: Reply) -> str:
    try:
        payload = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        message = payload.get("error") or payload.get("message")
        if message:
            return str(message)
    text = response.text.strip()
    return text[:500] if text else f"HTTP {response.status_code} {response.reason}"


def _reason(exc: BaseException) -> str:
    """A short human reason for a connection failure ("connection refused", ...)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        text = str(current)
        if "Connection refused" in text or "Errno 111" in text:
            return "connection refused"
        if "Name or service not known" in text or "nodename nor servname" in text or "Errno -2" in text:
            return "host name not found"
        if "No route to host" in text:
            return "no route to host"
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = getattr(current, "reason", None) or nested or current.__cause__ or current.__context__
    return str(exc).split("\n")[0][:300] or type(exc).__name__
