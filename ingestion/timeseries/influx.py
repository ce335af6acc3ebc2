"""The InfluxDB store, over the v1 HTTP API only (`/write` line protocol, `/query` InfluxQL).

It talks to InfluxDB 1.x (user/password) and to 2.x/3.x through their v1-compatibility
endpoints (token in `Authorization: Token ...`, database/retention policy mapped to a bucket).
Line protocol is made in `line_protocol.py`, HTTP is spoken in `transport.py`, the reads are
in `influx_reads.py`; this module holds the store: schema, requests, writes.

Layout: database `INFLUXDB_DATABASE`; measurement `events` (and the `pdm_check` scratch) in
retention policy `raw` (the default), `features`/`scores`/`health` in `derived`; one tag,
`asset_id`; one point per (measurement, asset_id, time) at microsecond precision.

Query safety: every value (asset ids, time bounds, limits) is a bound parameter (`params`
of `/query`, supported since InfluxDB 1.5 for values -- not for identifiers). Identifiers
are never user data: measurement and field names are checked against
`^[A-Za-z_][A-Za-z0-9_]{0,63}$` and double-quoted; the database name, which only appears in
the schema statements of `setup()`, goes through `quote_ident()`.

Schema on first use: with `manage_schema` (INFLUXDB_MANAGE_SCHEMA, the default) the first
request of a store runs `setup()`, and a write or query that the server refuses because the
database or a retention policy is missing (dropped at runtime, or a server set up after this
process started) runs `setup()` again and is sent once more. Without it, such a refusal is
`TimeSeriesMisconfigured`, whose message names the database and the fix; callers spool.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlencode

import orjson

from .base import (
    RP_DERIVED,
    RP_RAW,
    Point,
    PointRows,
    RetentionPolicy,
    TimeSeriesConflict,
    TimeSeriesError,
    TimeSeriesMisconfigured,
    TimeSeriesStore,
    TimeSeriesUnavailable,
    retention_policy_of,
)
from .influx_reads import LATEST_ASSETS_PER_QUERY, InfluxReads
from .line_protocol import format_line, format_rows, quote_ident
from .transport import InfluxHttp, server_message
from .validation import (
    format_duration,
    last_per_identity,
    normalize_points,
    parse_duration,
    retention_duration,
)

READ_CHUNK_SIZE = 10_000
# How long a process trusts its copy of a measurement's field keys on write (see
# `_delete_points_losing_fields`): keys this process writes are added at once, keys another
# process adds are seen after at most this long.
FIELD_KEYS_TTL_S = 5.0
# What InfluxDB 1.x (and the v1 API of 2.x/3.x) says when the database or policy is missing.
_SCHEMA_MISSING = re.compile(
    r"database not found|retention policy not found|no dbrp mapping|bucket \S* ?not found", re.IGNORECASE
)
_T = TypeVar("_T")
logger = logging.getLogger(__name__)


class _SchemaMissing(TimeSeriesUnavailable):
    """The server refused a request because the database or a retention policy is missing
    (healed by `setup()` when the store manages the schema; a retry after that is safe)."""


class InfluxStore(InfluxReads, TimeSeriesStore):
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
        self.database = database
        self.raw_retention = retention_duration(raw_retention, "INFLUXDB_RAW_RETENTION")
        self.derived_retention = retention_duration(derived_retention, "INFLUXDB_DERIVED_RETENTION")
        self.manage_schema = manage_schema
        if write_batch < 1:
            raise ValueError("INFLUXDB_WRITE_BATCH must be >= 1")
        self.write_batch = write_batch
        self.http = InfluxHttp(url, username=username, password=password, token=token, timeout_s=timeout_s)
        self.url, self.timeout_s = self.http.url, timeout_s
        # measurement -> {field: InfluxDB type}; JSON turns a float 3.0 into 3, this undoes it.
        self._field_types: dict[str, dict[str, str]] = {}
        # measurement -> (monotonic time fetched, field keys it may hold), for writes.
        self._write_keys: dict[str, tuple[float, frozenset[str]]] = {}
        self._write_paths: dict[str, str] = {}
        self._schema_checked = not manage_schema  # the first request runs setup() when managed
        self._schema_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"InfluxStore(url={self.url!r}, database={self.database!r})"

    def close(self) -> None:
        self.http.close()

    # --- requests, with the schema healed on first use and when it goes missing ---------------

    def _healed(self, send: Callable[[], _T]) -> _T:
        """`send()`, after the first-use `setup()`; once more after `setup()` if the server says
        the database or a retention policy is missing (both requests are idempotent)."""
        if not self._schema_checked:
            self._first_use()
        try:
            return send()
        except _SchemaMissing as exc:
            if not self.manage_schema:
                raise self._misconfigured(exc) from exc
            with self._schema_lock:
                self._field_types.clear()
                self._write_keys.clear()
                self.setup()
            return send()

    def _first_use(self) -> None:
        """`setup()` once per store, before its first request: a database or policy missing at
        start-up is created, a retention duration changed in the settings is applied. Not
        repeated when it fails: a server that is down fails the request itself, and a schema
        still missing is healed when a request says so."""
        with self._schema_lock:
            if self._schema_checked:
                return
            self._schema_checked = True
            try:
                self.setup()
            except TimeSeriesError as exc:
                logger.warning("InfluxDB schema check at first use failed: %s", exc)

    def _misconfigured(self, exc: _SchemaMissing) -> TimeSeriesMisconfigured:
        return TimeSeriesMisconfigured(
            f"InfluxDB at {self.url} has no database {self.database!r} with retention policies "
            f"{RP_RAW!r} and {RP_DERIVED!r} ({exc}), and INFLUXDB_MANAGE_SCHEMA is false: create them "
            "(InfluxDB 1.x: `python manage.py check_timeseries` with INFLUXDB_MANAGE_SCHEMA=true; "
            "2.x/3.x: the buckets and DBRP mappings of docs/timeseries.md)"
        )

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
        return self._healed(lambda: self._query_once(statement, params, use_db=use_db, chunked=chunked))

    def _query_once(
        self,
        statement: str,
        params: dict[str, object] | None = None,
        *,
        use_db: bool = True,
        chunked: bool = False,
    ) -> list[dict]:
        data: dict[str, str] = {"q": statement, "epoch": "u"}
        if use_db:
            data["db"] = self.database
        if params:
            data["params"] = json.dumps(params)
        if chunked:
            data["chunked"] = "true"
            data["chunk_size"] = str(READ_CHUNK_SIZE)
        response = self.http.request(
            "POST", "/query", urlencode(data).encode(), "application/x-www-form-urlencoded"
        )
        series: list[dict] = []
        chunks = response.content.splitlines() if chunked else [response.content]
        for chunk in chunks:
            if not chunk.strip():
                continue
            try:
                payload = orjson.loads(chunk)  # ~3x the stdlib's speed on the large read answers
            except ValueError as exc:
                raise TimeSeriesError(f"InfluxDB sent a response that is not JSON: {chunk[:200]!r}") from exc
            errors = [payload.get("error")] + [r.get("error") for r in payload.get("results", [])]
            for error in filter(None, errors):
                if _SCHEMA_MISSING.search(error):
                    raise _SchemaMissing(f"InfluxDB query failed: {error}")
                raise TimeSeriesError(f"InfluxDB query failed: {error}")
            for result in payload.get("results", []):
                series.extend(result.get("series", []))
        return series

    def _write_lines(self, rp: str, body: bytes) -> None:
        self._healed(lambda: self._write_once(rp, body))

    def _write_once(self, rp: str, body: bytes) -> None:
        path = self._write_paths.get(rp)
        if path is None:  # the query string requests would encode from params, once per policy
            path = "/write?" + urlencode({"db": self.database, "rp": rp, "precision": "u"})
            self._write_paths[rp] = path
        reply = self.http.exchange("POST", path, body, "text/plain; charset=utf-8")
        if reply.status_code < 400:
            return
        message = server_message(reply)
        if _SCHEMA_MISSING.search(message):  # 404 for the database, 500 for a policy (1.x)
            raise _SchemaMissing(f"InfluxDB refused the write: {message}")
        if reply.status_code == 400 and "field type conflict" in message:
            raise TimeSeriesConflict(
                f"InfluxDB database {self.database!r} holds a field of these points with another type "
                f"and refused them ({message}); the points without the conflict were stored. Another "
                "writer put that field there with the other type, and InfluxDB keeps a field's type "
                "per shard even after its points are deleted: drop the shard of those times (SHOW "
                "SHARDS, then DROP SHARD <id>; export what it holds first) or wait until it expires, "
                "then resend"
            )
        raise self.http.http_error(reply)

    # --- schema and health -------------------------------------------------------------------

    def ping(self) -> str:
        try:
            response = self.http.request("GET", "/ping")
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
        if self.manage_schema:
            return _policies(self._query("SHOW RETENTION POLICIES"))
        try:
            return _policies(self._query_once("SHOW RETENTION POLICIES"))
        except _SchemaMissing:
            pass
        except TimeSeriesUnavailable:
            raise
        except TimeSeriesError:
            pass
        # 2.x/3.x may not list DBRP mappings over InfluxQL: report the configured ones.
        return self._configured_policies()

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
        self._schema_checked = True
        db = quote_ident(self.database)
        self._query_once(f"CREATE DATABASE {db}", use_db=False)
        existing: dict[str, dict] = {}
        for fragment in self._query_once("SHOW RETENTION POLICIES"):
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
                self._query_once(
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
            self._query_once(
                f"ALTER RETENTION POLICY {quote_ident(name)} ON {db} DURATION {duration}{shard}{suffix}",
                use_db=False,
            )
        return _policies(self._query_once("SHOW RETENTION POLICIES"))

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
                if not isinstance(asset_id, str):
                    continue
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


def _policies(series: list[dict]) -> list[RetentionPolicy]:
    policies: list[RetentionPolicy] = []
    for fragment in series:
        cols = fragment["columns"]
        for row in fragment.get("values", []):
            rec = dict(zip(cols, row, strict=False))
            policies.append(
                RetentionPolicy(
                    rec["name"], format_duration(parse_duration(str(rec["duration"]))), bool(rec["default"])
                )
            )
    return policies


def _default_shard_duration(retention_s: int) -> int:
    """InfluxDB 1.x's own default shard group duration for a retention duration."""
    if retention_s == 0 or retention_s >= 180 * 86400:
        return 7 * 86400
    if retention_s >= 2 * 86400:
        return 86400
    return 3600
