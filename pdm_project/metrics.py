"""Counters and histograms shared by every process of the platform (docs/operations.md, CONTRACTS §17.5).

Gunicorn runs several web processes and Celery several worker processes, possibly on other
machines, and Prometheus scrapes one of them. So a count is never kept only in the process
that made it: each process adds its increments to a small in-process buffer, and a daemon
thread of that process (started lazily, again after a fork) adds the buffer to Redis hashes
every `METRICS_FLUSH_S` (1 s) with HINCRBYFLOAT, one round trip per second per process
instead of one per request. `/metrics` reads the hashes. Without Redis (the embedded
default) the "shared" store is this process's own dict, which is all there is then.

A count made in the last second before a SIGKILL is lost, and so is any increment while Redis
is unreachable (kept in the buffer and retried; dropped past `MAX_BUFFERED` series only): the
counters are for alarms and rates, never the source of truth for stored events.

Besides counts, the module keeps two liveness facts in Redis that /api/v1/health reads:
each Celery worker's heartbeat (a key with a time to live) and beat's last publish.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

COUNTERS_KEY = "pdm:metrics:counters"
HISTOGRAMS_KEY = "pdm:metrics:histograms"
HEARTBEAT_PREFIX = "pdm:worker-heartbeat:"
BEAT_KEY = "pdm:beat-last-publish"
MAX_BUFFERED = 10_000

# Seconds; task runs span milliseconds (an idle wake-up) to minutes (a backfill).
DURATION_BUCKETS_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, math.inf)

Labels = tuple[tuple[str, str], ...]


def _series(name: str, labels: Labels) -> str:
    """One hash field per series: `name|k=v|k=v` (label values never contain `|` or `=`)."""
    return "|".join([name, *(f"{k}={v}" for k, v in labels)])


def _parse_series(series: str) -> tuple[str, Labels]:
    name, *pairs = series.split("|")
    return name, tuple(tuple(p.split("=", 1)) for p in pairs)  # type: ignore[misc]


def redis_client():
    """The redis client of the default cache (pdm_project.cache), or None without Redis."""
    backend = caches["default"]
    inner = getattr(backend, "_cache", None)
    if inner is None or not hasattr(inner, "get_client"):
        return None
    return inner.get_client(None, write=True)


class _Buffer:
    """Increments of this process not yet added to the shared store."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counters: dict[str, float] = defaultdict(float)
        self.histograms: dict[str, float] = defaultdict(float)
        self.pid = 0
        self.thread: threading.Thread | None = None
        self.local_counters: dict[str, float] = defaultdict(float)  # the store without Redis
        self.local_histograms: dict[str, float] = defaultdict(float)

    def ensure_flusher(self) -> None:
        pid = os.getpid()
        if self.pid == pid:
            return
        with self.lock:
            if self.pid == pid:
                return
            # A forked child inherits the parent's unflushed increments: the parent adds them.
            self.counters.clear()
            self.histograms.clear()
            self.pid = pid
            self.thread = threading.Thread(target=self._run, name="pdm-metrics-flush", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(float(getattr(settings, "METRICS_FLUSH_S", 1.0)))
            self.flush()

    def flush(self) -> bool:
        """Add the buffer to the shared store; False (buffer kept) when Redis is unreachable."""
        with self.lock:
            counters, histograms = dict(self.counters), dict(self.histograms)
            self.counters.clear()
            self.histograms.clear()
        if not counters and not histograms:
            return True
        try:
            client = redis_client()
        except Exception:
            client = None
        if client is None:
            with self.lock:
                for k, v in counters.items():
                    self.local_counters[k] += v
                for k, v in histograms.items():
                    self.local_histograms[k] += v
            return True
        try:
            pipe = client.pipeline(transaction=False)
            for k, v in counters.items():
                pipe.hincrbyfloat(COUNTERS_KEY, k, v)
            for k, v in histograms.items():
                pipe.hincrbyfloat(HISTOGRAMS_KEY, k, v)
            pipe.execute()
            return True
        except Exception as exc:
            with self.lock:
                if len(self.counters) + len(counters) < MAX_BUFFERED:
                    for k, v in counters.items():
                        self.counters[k] += v
                    for k, v in histograms.items():
                        self.histograms[k] += v
            logger.debug("metrics: flush failed: %s", exc)
            return False


_buffer = _Buffer()
atexit.register(_buffer.flush)


def counter_inc(name: str, amount: float = 1.0, **labels: str) -> None:
    """Add `amount` to the counter `name` with these labels (shared across processes)."""
    _buffer.ensure_flusher()
    key = _series(name, tuple(sorted(labels.items())))
    with _buffer.lock:
        _buffer.counters[key] += amount


def histogram_observe(name: str, value: float, **labels: str) -> None:
    """Count one observation of `value` in the cumulative buckets of DURATION_BUCKETS_S."""
    _buffer.ensure_flusher()
    base = tuple(sorted(labels.items()))
    with _buffer.lock:
        for le in DURATION_BUCKETS_S:
            if value <= le:
                _buffer.histograms[_series(name, (*base, ("le", _le(le))))] += 1
        _buffer.histograms[_series(name + "_sum", base)] += value
        _buffer.histograms[_series(name + "_count", base)] += 1


def _le(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def metrics_flush() -> bool:
    """Flush this process's buffer now (tests, and before a process exits on purpose)."""
    return _buffer.flush()


@dataclass
class Histogram:
    buckets: dict[str, float] = field(default_factory=dict)  # le -> cumulative count
    sum: float = 0.0
    count: float = 0.0


@dataclass(frozen=True)
class Snapshot:
    counters: dict[str, dict[Labels, float]]
    histograms: dict[str, dict[Labels, Histogram]]


def metrics_snapshot() -> Snapshot:
    """Every shared counter and histogram as stored now (raises when Redis is unreachable)."""
    client = redis_client()
    if client is None:
        with _buffer.lock:
            raw_c, raw_h = dict(_buffer.local_counters), dict(_buffer.local_histograms)
    else:
        raw_c = {_text(k): float(v) for k, v in client.hgetall(COUNTERS_KEY).items()}
        raw_h = {_text(k): float(v) for k, v in client.hgetall(HISTOGRAMS_KEY).items()}
    counters: dict[str, dict[Labels, float]] = defaultdict(dict)
    for series, value in raw_c.items():
        name, labels = _parse_series(series)
        counters[name][labels] = value
    histograms: dict[str, dict[Labels, Histogram]] = defaultdict(dict)
    for series, value in raw_h.items():
        name, labels = _parse_series(series)
        for suffix in ("_sum", "_count"):
            if name.endswith(suffix):
                h = histograms[name.removesuffix(suffix)].setdefault(labels, Histogram())
                setattr(h, suffix[1:], value)
                break
        else:
            le = dict(labels)["le"]
            rest = tuple((k, v) for k, v in labels if k != "le")
            histograms[name].setdefault(rest, Histogram()).buckets[le] = value
    return Snapshot(dict(counters), dict(histograms))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


# --- liveness facts ---------------------------------------------------------------------------


def heartbeat_write(*, worker: str, ttl_s: int) -> None:
    """Record that `worker` is alive now; the key expires after ttl_s without a new beat."""
    client = redis_client()
    if client is not None:
        client.set(HEARTBEAT_PREFIX + worker, repr(time.time()), ex=ttl_s)


def heartbeats_read() -> dict[str, float]:
    """Worker name -> UNIX time of its last heartbeat, for workers beating within their TTL."""
    client = redis_client()
    if client is None:
        return {}
    keys = list(client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=500))
    if not keys:
        return {}
    values = client.mget(keys)
    return {
        _text(k).removeprefix(HEARTBEAT_PREFIX): float(v)
        for k, v in zip(keys, values, strict=True)
        if v is not None
    }


def beat_publish_record(*, task: str) -> None:
    client = redis_client()
    if client is not None:
        client.hset(BEAT_KEY, mapping={"at": repr(time.time()), "task": task})


def beat_last_publish() -> tuple[float, str] | None:
    """(UNIX time, task name) of the last task beat sent, or None when it never did."""
    client = redis_client()
    if client is None:
        return None
    data = {_text(k): _text(v) for k, v in client.hgetall(BEAT_KEY).items()}
    if "at" not in data:
        return None
    return float(data["at"]), data.get("task", "")


def metrics_reset() -> None:
    """Forget every shared count (tests)."""
    with _buffer.lock:
        _buffer.counters.clear()
        _buffer.histograms.clear()
        _buffer.local_counters.clear()
        _buffer.local_histograms.clear()
    client = redis_client()
    if client is not None:
        client.delete(COUNTERS_KEY, HISTOGRAMS_KEY, BEAT_KEY)
        for key in client.scan_iter(match=HEARTBEAT_PREFIX + "*"):
            client.delete(key)


def labels_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)
