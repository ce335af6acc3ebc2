"""The InfluxDB store, over the v1 HTTP API only (`/write` line protocol, `/query` InfluxQL).

It talks to InfluxDB 1.x (user/password) and to 2.x/3.x through their v1-compatibility
endpoints (token in `Authorization: Token ...`, database/retention policy mapped to a bucket).

Layout: database `INFLUXDB_DATABASE`; measurement `events` (and the `pdm_check` scratch) in
retention policy `raw` (the default), `features`/`scores`/`health` in `derived`; one tag,
`asset_id`; one point per (measurement, asset_id, time) at microsecond precision.

Query safety: every value (asset ids, time bounds, limits) is a bound parameter (`params`
of `/query`, supported since InfluxDB 1.5 for values -- not for identifiers). Identifiers
are never user data: measurement and field names are checked against
`^[A-Za-z_][A-Za-z0-9_]{0,63}$` and double-quoted; the database name, which only appears in
the schema statements of `setup()`, goes through `quote_ident()`.

Writes are hand-written line protocol: the `influxdb` package's serializer (`make_lines`)
ran at ~47k points/s for 12-field points, below what one influxd ingests, while this one runs
at ~120k points/s (benchmarks/timeseries_write.py measures both). The ingest path writes
`PointRows` (pre-checked, one field list), serialised by orjson and put into line protocol by
one %-template per chunk (`format_rows`): ~2.2 us per 18-field point instead of ~6.7 us
formatting each float by repr (benchmarks/line_protocol.py).

Transport: for a plain `http://` URL that no proxy applies to, requests go over keep-alive
`http.client` connections kept per process (`_Connections`): ~0.2 ms of CPU per request
instead of ~0.7 ms through `requests`, which was a tenth of a single-event ingest. `https://`
URLs, proxies and URLs with credentials in them go through a `requests` session as before.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
import time
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.auth import _basic_auth_str
from requests.utils import get_netrc_auth

from .base import (
    DERIVED_MEASUREMENTS,
    Bucket,
    FieldValue,
    Point,
    PointRows,
    RetentionPolicy,
    TimeSeriesError,
    TimeSeriesStore,
    TimeSeriesUnavailable,
)
from .validation import (
    check_aggregate_args,
    check_asset_id,
    check_asset_ids,
    check_field_names,
    check_limit,
    check_measurement_name,
    check_range,
    format_duration,
    from_micros,
    last_per_identity,
    normalize_points,
    parse_duration,
    retention_duration,
    to_micros,
)

RP_RAW = "raw"
RP_DERIVED = "derived"
LATEST_ASSETS_PER_QUERY = 500
READ_CHUNK_SIZE = 10_000
AGGREGATES = ("mean", "min", "max", "count")
# How long a process trusts its copy of a measurement's field keys on write (see
# `_delete_points_losing_fields`): keys this process writes are added at once, keys another
# process adds are seen after at most this long.
FIELD_KEYS_TTL_S = 5.0


def retention_policy_of(measurement: str) -> str:
    """`derived` for features/scores/health, `raw` for events and the pdm_check scratch."""
    return RP_DERIVED if measurement in DERIVED_MEASUREMENTS else RP_RAW


# --- quoting and line protocol ---------------------------------------------------------------


def quote_ident(name: str) -> str:
    """An InfluxQL double-quoted identifier.

    Inside double quotes InfluxQL's scanner understands exactly the escapes `\\\\` and `\\"`,
    so backslashes and double quotes are escaped, in that order; control characters (a
    newline ends the string in InfluxQL's scanner) are refused rather than escaped. Used for
    the database name in schema statements; everything else is a validated identifier.
    """
    if not isinstance(name, str) or not name:
        raise ValueError("identifier must be a non-empty string")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in name):
        raise ValueError(f"identifier must not contain control characters: {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_TAG_ESCAPES = str.maketrans({",": "\\,", " ": "\\ ", "=": "\\="})


def escape_tag_value(value: str) -> str:
    """Line-protocol tag value: comma, space and equals sign get a backslash.

    InfluxDB 1.x unescapes only those three, so other backslashes are written as they are;
    `validation.check_asset_id` refuses the values this cannot represent (control
    characters, a backslash at the end or before a space/comma/equals sign).
    """
    return value.translate(_TAG_ESCAPES)


def format_field_value(value: FieldValue) -> str:
    """Line-protocol field value: bools as true/false, ints with an `i` suffix, floats by
    repr (shortest round-trip form), strings double-quoted with `\\` and `"` escaped."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is float:
        return repr(value)
    if kind is int:
        return f"{value}i"
    if kind is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise ValueError(f"unsupported field value {value!r}")  # validation normalises first


def format_line(measurement: str, asset_id: str, fields: dict[str, FieldValue], time_us: int) -> str:
    """One point in line protocol at microsecond precision (names are validated identifiers).

    The same encoding as format_field_value, inlined for the common float/int cases: this
    loop is the hot path of every write.
    """
    parts = []
    for name, value in fields.items():
        kind = type(value)
        if kind is float:
            parts.append(f"{name}={value!r}")
        elif kind is int:
            parts.append(f"{name}={value}i")
        else:
            parts.append(f"{name}={format_field_value(value)}")
    return f"{measurement},asset_id={escape_tag_value(asset_id)} {','.join(parts)} {time_us}"


def _row_template(
    measurement: str, names: Sequence[str], kinds: Sequence[type], present, *, serialized: bool = False
) -> str:
    """The %-format of one line of PointRows, newline included: tag, the present fields, time (us).

    `serialized`: the values arrive as JSON tokens (`_format_rows_serialized`): numbers and
    already-quoted strings go in as they are. Else floats by repr, strings quoted here.
    """
    float_spec, str_spec, time_spec = ("%s", "%s", "%s") if serialized else ("%r", '"%s"', "%d")
    pieces = []
    for name, kind, keep in zip(names, kinds, present, strict=True):
        if not keep:
            continue
        if kind is float:
            pieces.append(f"{name}={float_spec}")
        elif kind is int:
            pieces.append(f"{name}=%si" if serialized else f"{name}=%di")
        elif kind is str:
            pieces.append(f"{name}={str_spec}")
        else:
            raise ValueError(f"PointRows column {name!r}: unsupported kind {kind!r}")
    return f"{measurement},asset_id=%s {','.join(pieces)} {time_spec}\n"


def format_rows(rows: PointRows, start: int = 0, stop: int | None = None) -> bytes:
    """Line protocol of rows[start:stop]: one line per row, each ending in a newline, the same
    points format_line writes.

    Formatting floats one by one (repr) was most of the CPU of a batch ingest, so the slice is
    serialised by orjson in one call (shortest round-trip floats, as repr, in compiled code) and
    its tokens are put into place by one %-template per slice (`_format_rows_serialized`).
    Rows that this cannot represent token for token (strings with commas, brackets, spaces,
    equals signs or escapes; tags that need escaping) take `_format_rows_templated`.
    """
    chunk = rows.rows[start:stop]
    if not chunk:
        return b""
    fast = _format_rows_serialized(rows, chunk)
    if fast is not None:
        return fast
    return _format_rows_templated(rows, chunk).encode()


def _format_rows_serialized(rows: PointRows, chunk: list) -> bytes | None:
    """orjson.dumps(chunk) is `[["asset",us,[v1,...,vk]],...]`: without brackets and split on
    commas, each row is exactly k + 2 tokens: the quoted asset id, the time, then the values
    (numbers in JSON form, which line protocol reads as floats; strings already quoted with
    `"` escaped as line protocol wants; `null` for a missing value). The tokens are reordered
    (time last) and formatted by `template * n`; then each `name=null` is cut out.

    Returns None where the token count would not hold or where a tag or string would need
    line-protocol escaping that JSON does not give: any comma, bracket, space, equals sign or
    backslash inside a string (JSON-escaped control characters included). It relies on the
    PointRows guarantee of finite floats: orjson writes NaN and infinities as `null`, which
    would read here as a missing value.
    """
    try:
        blob = orjson.dumps(chunk)
    except TypeError:  # a value orjson does not serialise (e.g. an int beyond 64 bits)
        return None
    n, names, kinds = len(chunk), rows.names, rows.kinds
    k = len(names)
    width = k + 2
    if b"\\" in blob or b" " in blob or b"=" in blob:
        return None
    unbracketed = blob.translate(None, b"[]")
    if len(blob) - len(unbracketed) != 4 * n + 2:  # a bracket inside a string
        return None
    tokens = unbracketed.split(b",")
    if len(tokens) != width * n:  # a comma inside a string
        return None
    ordered: list = [None] * (width * n)
    ordered[0::width] = [t[1:-1] for t in tokens[0::width]]  # the asset id, unquoted for the tag
    for j in range(k):
        ordered[1 + j :: width] = tokens[2 + j :: width]
    ordered[width - 1 :: width] = tokens[1::width]
    template = _row_template(rows.measurement, names, kinds, [True] * k, serialized=True).encode()
    body = (template * n) % tuple(ordered)
    # Only a missing value gives `=null`: strings are quoted (and one with `=` fell back).
    if b"null" in unbracketed:
        for j in [*range(1, k), 0]:  # the first field last: ` first=null,` needs a later field
            if b"null" not in tokens[2 + j :: width]:
                continue
            suffix = b"i" if kinds[j] is int else b""
            name = names[j].encode()
            if j:
                body = body.replace(b"," + name + b"=null" + suffix, b"")
            else:
                body = body.replace(b" " + name + b"=null" + suffix + b",", b" ")
    return body


def _format_rows_templated(rows: PointRows, chunk: list) -> str:
    """format_rows by one %-template per pattern of absent fields (repr for floats, `i` for
    ints, quoted and escaped strings), the tag value escaped once per asset."""
    names, kinds = rows.names, rows.kinds
    full = _row_template(rows.measurement, names, kinds, [True] * len(names))
    templates: dict[tuple[bool, ...], str] = {}
    string_cols = [i for i, kind in enumerate(kinds) if kind is str]
    tags: dict[str, str] = {}
    lines = []
    append = lines.append
    for asset_id, us, values in chunk:
        tag = tags.get(asset_id)
        if tag is None:
            tag = tags[asset_id] = escape_tag_value(asset_id)
        if string_cols:
            for i in string_cols:
                v = values[i]
                if v is not None and ("\\" in v or '"' in v):
                    values = (*values[:i], v.replace("\\", "\\\\").replace('"', '\\"'), *values[i + 1 :])
        if None in values:
            present = tuple([v is not None for v in values])
            template = templates.get(present)
            if template is None:
                template = templates[present] = _row_template(rows.measurement, names, kinds, present)
            append(template % (tag, *[v for v in values if v is not None], us))
        else:
            append(full % (tag, *values, us))
    return "".join(lines)


# --- transport -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reply:
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
    ) -> tuple[_Reply, bool]:
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
        return _Reply(status, reason, fields, content), keep


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

    def request(self, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> _Reply:
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


# --- the store -----------------------------------------------------------------------------


class InfluxStore(TimeSeriesStore):
    backend = "influxdb"

    def __init__(
        self,
        *,
        url: str,
        database: str = "pdm",
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        timeout_s: float = 10.0,
        raw_retention: str = "90d",
        derived_retention: str = "730d",
        manage_schema: bool = True,
        write_batch: int = 5000,
    ) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ValueError(f"INFLUXDB_URL must be an http(s) URL, got {url!r}")
        if not database:
            raise ValueError("INFLUXDB_DATABASE must not be empty")
        quote_ident(database)  # refuse unusable names up front
        self.url = url.rstrip("/")
        self.database = database
        self.timeout_s = timeout_s
        self.raw_retention = retention_duration(raw_retention, "INFLUXDB_RAW_RETENTION")
        self.derived_retention = retention_duration(derived_retention, "INFLUXDB_DERIVED_RETENTION")
        self.manage_schema = manage_schema
        if write_batch < 1:
            raise ValueError("INFLUXDB_WRITE_BATCH must be >= 1")
        self.write_batch = write_batch
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        if token:
            self.session.headers["Authorization"] = f"Token {token}"
        elif username:
            self.session.auth = (username, password or "")
        self._netrc_auth = None
        self._resolve_environment()
        self._connections: _Connections | None = None
        self._headers: dict[str, str] = {}
        self._base_path = ""
        self._direct_transport(token)
        # measurement -> {field: InfluxDB type}; JSON turns a float 3.0 into 3, this undoes it.
        self._field_types: dict[str, dict[str, str]] = {}
        # measurement -> (monotonic time fetched, field keys it may hold), for writes.
        self._write_keys: dict[str, tuple[float, frozenset[str]]] = {}
        self._write_paths: dict[str, str] = {}

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
        elif self.session.auth is not None:
            self._headers["Authorization"] = _basic_auth_str(*self.session.auth)
        elif self._netrc_auth is not None:
            self._headers["Authorization"] = _basic_auth_str(*self._netrc_auth)
        self._base_path = parts.path.rstrip("/")
        self._connections = _Connections(parts.hostname or "localhost", parts.port or 80, self.timeout_s)

    def __repr__(self) -> str:
        return f"InfluxStore(url={self.url!r}, database={self.database!r})"

    def close(self) -> None:
        if self._connections is not None:
            self._connections.close()
        self.session.close()

    # --- HTTP --------------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: bytes | None, content_type: str | None) -> _Reply:
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
        return _Reply(response.status_code, response.reason or "", headers, response.content)

    def _request(
        self, method: str, path: str, body: bytes | None = None, content_type: str | None = None
    ) -> _Reply:
        try:
            response = self._send(method, path, body, content_type)
        except (requests.Timeout, TimeoutError) as exc:
            raise TimeSeriesUnavailable(
                f"InfluxDB at {self.url} did not answer within {self.timeout_s:g} s"
            ) from exc
        except (requests.RequestException, OSError, http.client.HTTPException) as exc:
            raise TimeSeriesUnavailable(f"cannot reach InfluxDB at {self.url}: {_reason(exc)}") from exc
        if response.status_code >= 500:
            raise TimeSeriesUnavailable(
                f"InfluxDB at {self.url} failed with HTTP {response.status_code}: {_server_message(response)}"
            )
        if response.status_code in (401, 403):
            raise TimeSeriesError(
                f"InfluxDB at {self.url} refused the credentials (HTTP {response.status_code}): "
                f"{_server_message(response)}; check INFLUXDB_USERNAME/INFLUXDB_PASSWORD or INFLUXDB_TOKEN"
            )
        if response.status_code >= 400:
            raise TimeSeriesError(f"InfluxDB refused the request: {_server_message(response)}")
        return response

    def _query(
        self,
        statement: str,
        params: dict[str, object] | None = None,
        *,
        use_db: bool = True,
        chunked: bool = False,
    ) -> list[dict]:
        """Run one InfluxQL statement; return its series fragments (name, tags, columns, values).

        Values are only ever passed in `params` ($name placeholders), never in `statement`.
        """
        data: dict[str, str] = {"q": statement, "epoch": "u"}
        if use_db:
            data["db"] = self.database
        if params:
            data["params"] = json.dumps(params)
        if chunked:
            data["chunked"] = "true"
            data["chunk_size"] = str(READ_CHUNK_SIZE)
        response = self._request(
            "POST", "/query", urlencode(data).encode(), "application/x-www-form-urlencoded"
        )
        series: list[dict] = []
        chunks = response.content.splitlines() if chunked else [response.content]
        for chunk in chunks:
            if not chunk.strip():
                continue
            try:
                payload = json.loads(chunk)
            except ValueError as exc:
                raise TimeSeriesError(f"InfluxDB sent a response that is not JSON: {chunk[:200]!r}") from exc
            if payload.get("error"):
                raise TimeSeriesError(f"InfluxDB query failed: {payload['error']}")
            for result in payload.get("results", []):
                if result.get("error"):
                    raise TimeSeriesError(f"InfluxDB query failed: {result['error']}")
                series.extend(result.get("series", []))
        return series

    def _write_lines(self, rp: str, body: bytes) -> None:
        path = self._write_paths.get(rp)
        if path is None:  # the query string requests would encode from params, once per policy
            path = "/write?" + urlencode({"db": self.database, "rp": rp, "precision": "u"})
            self._write_paths[rp] = path
        self._request("POST", path, body, "text/plain; charset=utf-8")

    # --- schema and health -------------------------------------------------------------------

    def ping(self) -> str:
        try:
            response = self._request("GET", "/ping")
        except TimeSeriesUnavailable:
            raise
        except TimeSeriesError as exc:
            raise TimeSeriesError(f"{exc} (on {self.url}/ping: is this an InfluxDB server?)") from exc
        version = response.headers.get("x-influxdb-version")
        if not version and response.content:
            try:
                version = json.loads(response.content).get("version")
            except (ValueError, AttributeError):
                version = None
        return f"InfluxDB {version or 'unknown version'}"

    def retention_policies(self) -> list[RetentionPolicy]:
        try:
            series = self._query("SHOW RETENTION POLICIES")
        except TimeSeriesUnavailable:
            raise
        except TimeSeriesError:
            if self.manage_schema:
                raise
            # 2.x/3.x may not list DBRP mappings over InfluxQL: report the configured ones.
            return self._configured_policies()
        policies: list[RetentionPolicy] = []
        for fragment in series:
            cols = fragment["columns"]
            for row in fragment.get("values", []):
                rec = dict(zip(cols, row, strict=False))
                policies.append(
                    RetentionPolicy(
                        rec["name"],
                        format_duration(parse_duration(str(rec["duration"]))),
                        bool(rec["default"]),
                    )
                )
        return policies

    def _configured_policies(self) -> list[RetentionPolicy]:
        return [
            RetentionPolicy(RP_RAW, self.raw_retention, True),
            RetentionPolicy(RP_DERIVED, self.derived_retention, False),
        ]

    def setup(self) -> list[RetentionPolicy]:
        """CREATE DATABASE (idempotent), then create `raw` (DEFAULT) and `derived`, or ALTER
        them when they exist with another duration. Skipped with manage_schema=False."""
        if not self.manage_schema:
            return self.retention_policies()
        db = quote_ident(self.database)
        self._query(f"CREATE DATABASE {db}", use_db=False)
        existing: dict[str, dict] = {}
        for fragment in self._query("SHOW RETENTION POLICIES"):
            for row in fragment.get("values", []):
                rec = dict(zip(fragment["columns"], row, strict=False))
                existing[rec["name"]] = rec
        for name, duration, default in (
            (RP_RAW, self.raw_retention, True),
            (RP_DERIVED, self.derived_retention, False),
        ):
            want = parse_duration(duration)
            suffix = " DEFAULT" if default else ""
            current = existing.get(name)
            if current is None:
                self._query(
                    f"CREATE RETENTION POLICY {quote_ident(name)} ON {db} DURATION {duration} REPLICATION 1{suffix}",
                    use_db=False,
                )
                continue
            same_duration = parse_duration(str(current["duration"])) == want
            if same_duration and (current["default"] or not default):
                continue
            shard = ""
            shard_s = parse_duration(str(current.get("shardGroupDuration") or "0s"))
            if want and shard_s > want:
                shard = f" SHARD DURATION {format_duration(_default_shard_duration(want))}"
            self._query(
                f"ALTER RETENTION POLICY {quote_ident(name)} ON {db} DURATION {duration}{shard}{suffix}",
                use_db=False,
            )
        return self.retention_policies()

    # --- write -------------------------------------------------------------------------------

    def write(self, points: Iterable[Point]) -> int:
        """Validate everything first, then POST line protocol per measurement (to its retention
        policy) in chunks of `write_batch` points. A failure part-way leaves the earlier chunks written; rewriting
        the whole batch is safe because points are idempotent by identity.

        InfluxDB merges the fields of a rewritten point with the stored ones; the contract says
        a rewrite *replaces* them. So before writing, points that do not carry every field
        key of their measurement are looked up, and a stored point with a field the new one
        lacks is deleted first (see `_delete_points_losing_fields`).
        """
        normalized = last_per_identity(normalize_points(points))
        by_measurement: dict[str, list] = {}
        for point in normalized:
            by_measurement.setdefault(point[0], []).append(point)
        for measurement, group in by_measurement.items():
            written: set[str] = set()
            for point in group:
                written.update(point[3].keys())
            known = self._known_write_keys(measurement, written)
            candidates: dict[str, dict[int, Container[str]]] = {}
            if known:
                for _, asset_id, us, fields in group:
                    if not known.issubset(fields.keys()):
                        candidates.setdefault(asset_id, {})[us] = fields
            self._delete_points_losing_fields(measurement, candidates)
            size = self.write_batch
            self._post_chunks(
                retention_policy_of(measurement),
                (
                    "\n".join([format_line(m, a, f, us) for m, a, us, f in group[i : i + size]]).encode()
                    for i in range(0, len(group), size)
                ),
                len(group) > size,
            )
        return len(normalized)

    def write_rows(self, rows: PointRows) -> int:
        """The write of pre-checked rows (see PointRows): same replace semantics and chunking as
        `write`, without checking each value again and without building a dict per point."""
        if not rows.rows:
            return 0
        measurement, names = rows.measurement, rows.names
        known = self._known_write_keys(measurement, set(names))
        candidates: dict[str, dict[int, Container[str]]] = {}
        if known:
            never = not known.issubset(names)
            tracked = [i for i, name in enumerate(names) if name in known]
            for asset_id, us, values in rows.rows:
                if never or (None in values and any(values[i] is None for i in tracked)):
                    present = frozenset(n for n, v in zip(names, values, strict=True) if v is not None)
                    candidates.setdefault(asset_id, {})[us] = present
        self._delete_points_losing_fields(measurement, candidates)
        size, n = self.write_batch, len(rows.rows)
        self._post_chunks(
            retention_policy_of(measurement),
            (format_rows(rows, i, i + size) for i in range(0, n, size)),
            n > size,
        )
        return n

    def _post_chunks(self, rp: str, bodies: Iterator[bytes], several: bool) -> None:
        """POST each body; with several chunks, while one is in flight the next is serialized
        (one helper thread), so client CPU and server ingest overlap. Stops at the first
        failure, after the chunk in flight has finished."""
        if not several:
            for body in bodies:
                self._write_lines(rp, body)
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="influx-write") as pool:
            in_flight = None
            for body in bodies:
                if in_flight is not None:
                    in_flight.result()
                in_flight = pool.submit(self._write_lines, rp, body)
            if in_flight is not None:
                in_flight.result()

    def _field_keys(self, measurement: str) -> dict[str, str]:
        """Field keys and types of a measurement, fresh from the server (and cached)."""
        known: dict[str, str] = {}
        for fragment in self._query(f"SHOW FIELD KEYS FROM {self._source(measurement)}"):
            for key, kind in fragment.get("values", []):
                known[key] = kind if known.get(key, kind) == kind else "mixed"
        self._field_types[measurement] = known
        self._write_keys[measurement] = (time.monotonic(), frozenset(known))
        return known

    def _known_write_keys(self, measurement: str, written: set[str]) -> frozenset[str]:
        """The field keys the measurement may hold, for the replace check of a write.

        From the server (SHOW FIELD KEYS) at most every FIELD_KEYS_TTL_S per process, plus the
        keys of every point this process writes (`written`, added before the write: a superset
        only costs a lookup). Field keys only ever appear, so a copy can lack a key only if
        another process wrote it first within the last FIELD_KEYS_TTL_S.
        """
        cached = self._write_keys.get(measurement)
        if cached is None or time.monotonic() - cached[0] > FIELD_KEYS_TTL_S:
            self._field_keys(measurement)
            cached = self._write_keys[measurement]
        fetched, known = cached
        if not written <= known:
            self._write_keys[measurement] = (fetched, known | written)
        return known

    def _delete_points_losing_fields(
        self, measurement: str, candidates: dict[str, dict[int, Container[str]]]
    ) -> None:
        """Delete stored points that the new ones replace with fewer fields.

        `candidates` maps asset -> time (us) -> the field names of the new point, for the new
        points lacking one of the measurement's known field keys (`_known_write_keys`;
        trade-off: a key another process added less than FIELD_KEYS_TTL_S ago is not looked
        for yet). Only those can drop a field, so usually (fresh data, or rewrites with the
        full field set) there are none and this costs nothing. Else one query per 500 assets
        over the time span of those points finds the stored ones.
        """
        if not candidates:
            return
        lo = min(min(times) for times in candidates.values())
        hi = max(max(times) for times in candidates.values())
        stale: list[tuple[str, int]] = []
        assets = list(candidates)
        for i in range(0, len(assets), LATEST_ASSETS_PER_QUERY):
            chunk = assets[i : i + LATEST_ASSETS_PER_QUERY]
            params: dict[str, object] = {f"a{j}": a for j, a in enumerate(chunk)}
            where = " OR ".join(f"asset_id = ${key}" for key in params)
            params.update(start=lo * 1000, end=hi * 1000)
            statement = (
                f"SELECT *::field FROM {self._source(measurement)} "  # noqa: S608 - validated identifiers, values bound
                f"WHERE ({where}) AND time >= $start AND time <= $end GROUP BY asset_id"
            )
            for fragment in self._query(statement, params, chunked=True):
                asset_id = (fragment.get("tags") or {}).get("asset_id")
                wanted = candidates.get(asset_id)
                if not wanted:
                    continue
                columns = fragment["columns"][1:]
                for row in fragment.get("values") or []:
                    new = wanted.get(row[0])
                    if new is None:
                        continue
                    if any(v is not None and c not in new for c, v in zip(columns, row[1:], strict=True)):
                        stale.append((asset_id, row[0]))
        for i in range(0, len(stale), 200):
            chunk_stale = stale[i : i + 200]
            params = {}
            statements = []
            for j, (asset_id, us) in enumerate(chunk_stale):
                params[f"a{j}"], params[f"t{j}"] = asset_id, us * 1000
                statements.append(f'DELETE FROM "{measurement}" WHERE asset_id = $a{j} AND time = $t{j}')  # noqa: S608
            self._query(";".join(statements), params)

    # --- read --------------------------------------------------------------------------------

    def _source(self, measurement: str) -> str:
        return f'"{retention_policy_of(measurement)}"."{measurement}"'

    @staticmethod
    def _select_list(names: list[str] | None) -> str:
        return "*::field" if names is None else ",".join(f'"{n}"' for n in names)

    def _float_fields(self, measurement: str, columns: Sequence[str]) -> set[str]:
        """Fields of float type among `columns` (refreshing the cache for unknown columns)."""
        known = self._field_types.get(measurement)
        if known is None or any(c not in known for c in columns):
            known = self._field_keys(measurement)
        return {c for c in columns if known.get(c) == "float"}

    def _rows_to_points(self, measurement: str, asset_id: str, fragment: dict) -> list[Point]:
        columns = fragment["columns"][1:]
        rows = fragment.get("values") or []
        float_cols = self._float_fields(measurement, columns) if rows else set()
        points = []
        for row in rows:
            fields = {}
            for name, value in zip(columns, row[1:], strict=True):
                if value is None:
                    continue
                if type(value) is int and name in float_cols:
                    value = float(value)
                fields[name] = value
            points.append(Point(measurement, asset_id, from_micros(row[0]), fields))
        return points

    def read(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime,
        end: datetime,
        fields: Sequence[str] | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> list[Point]:
        measurement = check_measurement_name(measurement)
        asset_id = check_asset_id(asset_id)
        names = check_field_names(fields)
        limit = check_limit(limit)
        start_us, end_us = to_micros(start, "start"), to_micros(end, "end")
        if start_us >= end_us:
            return []
        params: dict[str, object] = {"asset": asset_id, "start": start_us * 1000, "end": end_us * 1000}
        statement = (
            f"SELECT {self._select_list(names)} FROM {self._source(measurement)} "  # noqa: S608 - validated identifiers, values bound
            "WHERE asset_id = $asset AND time >= $start AND time < $end "
            f"ORDER BY time {'DESC' if descending else 'ASC'}"
        )
        if limit is not None:
            statement += " LIMIT $limit"
            params["limit"] = limit
        points: list[Point] = []
        for fragment in self._query(statement, params, chunked=True):
            points.extend(self._rows_to_points(measurement, asset_id, fragment))
        return points

    def latest(
        self, *, measurement: str, asset_ids: Sequence[str], fields: Sequence[str] | None = None
    ) -> dict[str, Point]:
        """`GROUP BY asset_id ORDER BY time DESC LIMIT 1`: the newest whole point of each asset
        (not LAST() per field, which may mix fields from different times), in one query per
        500 assets. With `fields`, the newest point carrying at least one of them."""
        measurement = check_measurement_name(measurement)
        assets = check_asset_ids(asset_ids)
        names = check_field_names(fields)
        result: dict[str, Point] = {}
        for i in range(0, len(assets), LATEST_ASSETS_PER_QUERY):
            group = assets[i : i + LATEST_ASSETS_PER_QUERY]
            params = {f"a{j}": asset for j, asset in enumerate(group)}
            where = " OR ".join(f"asset_id = ${key}" for key in params)
            statement = (
                f"SELECT {self._select_list(names)} FROM {self._source(measurement)} "  # noqa: S608 - validated identifiers, values bound
                f"WHERE {where} GROUP BY asset_id ORDER BY time DESC LIMIT 1"
            )
            wanted = set(group)
            for fragment in self._query(statement, params):
                asset_id = (fragment.get("tags") or {}).get("asset_id")
                points = self._rows_to_points(measurement, asset_id, fragment)
                if asset_id in wanted and points:
                    result[asset_id] = points[0]
        return result

    def aggregate(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime,
        end: datetime,
        every: timedelta,
        fields: Sequence[str],
    ) -> list[Bucket]:
        measurement, asset_id, names, every_us, start_us, end_us = check_aggregate_args(
            measurement, asset_id, start, end, every, fields
        )
        if start_us >= end_us:
            return []
        select = ",".join(f'{agg}("{name}")' for name in names for agg in AGGREGATES)
        statement = (
            f"SELECT {select} FROM {self._source(measurement)} "  # noqa: S608 - validated identifiers, values bound
            "WHERE asset_id = $asset AND time >= $start AND time < $end "
            f"GROUP BY time({every_us}u) fill(none)"
        )
        params = {"asset": asset_id, "start": start_us * 1000, "end": end_us * 1000}
        buckets: list[Bucket] = []
        for fragment in self._query(statement, params, chunked=True):
            for row in fragment.get("values") or []:
                values: dict[str, dict[str, float | None]] = {}
                for k, name in enumerate(names):
                    mean, lo, hi, n = row[1 + 4 * k : 5 + 4 * k]
                    values[name] = {
                        "mean": None if mean is None else float(mean),
                        "min": None if lo is None else float(lo),
                        "max": None if hi is None else float(hi),
                        "count": int(n or 0),
                    }
                buckets.append(Bucket(from_micros(row[0]), values))
        return buckets

    def count(
        self,
        *,
        measurement: str,
        asset_id: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """Points, not field values: `count(*)` counts per field, and with sparse fields no
        single field is in every point (and max over fields undercounts two points that have
        disjoint fields). The subquery `SELECT *` yields one row per point with the
        `asset_id` tag as a column that is never null, and the outer query counts that."""
        measurement = check_measurement_name(measurement)
        where, params = self._where(asset_id, start, end)
        statement = f'SELECT count("asset_id") FROM (SELECT * FROM {self._source(measurement)}{where})'  # noqa: S608 - validated identifiers, values bound
        total = 0
        for fragment in self._query(statement, params):
            for row in fragment.get("values") or []:
                total += int(row[1] or 0)
        return total

    def delete(
        self,
        *,
        measurement: str,
        asset_id: str,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> None:
        """DELETE cannot name a retention policy; each measurement lives in exactly one."""
        measurement = check_measurement_name(measurement)
        asset_id = check_asset_id(asset_id)
        where, params = self._where(asset_id, start, end)
        self._query(f'DELETE FROM "{measurement}"{where}', params)  # noqa: S608 - validated identifiers, values bound

    @staticmethod
    def _where(
        asset_id: str | None, start: datetime | None, end: datetime | None
    ) -> tuple[str, dict[str, object]]:
        start_us, end_us = check_range(start, end)
        clauses: list[str] = []
        params: dict[str, object] = {}
        if asset_id is not None:
            clauses.append("asset_id = $asset")
            params["asset"] = check_asset_id(asset_id)
        if start_us is not None:
            clauses.append("time >= $start")
            params["start"] = start_us * 1000
        if end_us is not None:
            clauses.append("time < $end")
            params["end"] = end_us * 1000
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _default_shard_duration(retention_s: int) -> int:
    """InfluxDB 1.x's own default shard group duration for a retention duration."""
    if retention_s == 0 or retention_s >= 180 * 86400:
        return 7 * 86400
    if retention_s >= 2 * 86400:
        return 86400
    return 3600


def _server_message(response: _Reply) -> str:
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
