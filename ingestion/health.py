"""The checks behind `GET /api/v1/health` (docs/CONTRACTS.md §17.5, docs/operations.md).

Each check answers `{"status": ..., ...}` with status `ok`, `warning`, `down` or `off` (not
used in this configuration, e.g. no broker in embedded mode). A check is *critical* when
ingest cannot answer 201/202 without it: the SQL database (events spool there, the hand-off
commits there) and the broker (the hand-off queues the analytics run, §17.4). Without the cache
ingest still works (the throttle lets requests through, the registry is read from SQL).
Any critical check `down` makes the service `down` and the answer 503, so a load balancer
takes the node out. Anything else that is not `ok` makes it `degraded` (still 200: ingest
works, the operator has something to do). An unreachable time-series store is not critical:
ingest spools (202) and replays.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.models import Count, Min, Sum
from kombu.exceptions import ChannelError

from pdm_project import metrics
from pdm_project.celery import app as celery_app

from .models import SpoolEntry
from .timeseries import TimeSeriesError, get_store

CRITICAL = ("database", "broker")
Check = dict[str, Any]


def _error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def check_database() -> Check:
    """A connection left over from before a database restart fails once however healthy the
    server is now: it is closed and the probe tried again on a fresh one before saying down."""
    began = time.monotonic()
    for attempt in (1, 2):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
            break
        except DatabaseError as exc:
            connection.close()
            if attempt == 2:
                return {"status": "down", "vendor": connection.vendor, "detail": _error(exc)}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "latency_ms": round((time.monotonic() - began) * 1000, 1),
    }


def check_timeseries() -> Check:
    store = get_store()
    try:
        version = store.ping()
    except TimeSeriesError as exc:
        return {"status": "down", "backend": store.backend, "detail": _error(exc)}
    return {"status": "ok", "backend": store.backend, "detail": version}


def check_cache() -> Check:
    try:
        client = metrics.redis_client()
    except Exception as exc:
        return {"status": "down", "detail": _error(exc)}
    if client is None:
        return {"status": "off", "detail": "no REDIS_URL: per-process cache"}
    try:
        client.ping()
    except Exception as exc:
        return {"status": "down", "detail": _error(exc)}
    return {"status": "ok"}


def check_broker() -> Check:
    """Reachability and depth of the default queue and of the live analytics queue (messages
    waiting, not yet taken)."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "off", "detail": "no CELERY_BROKER_URL: tasks run in the web process"}
    queue = celery_app.conf.task_default_queue or "celery"
    live_queue = settings.ANALYTICS_LIVE_QUEUE
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            depth, live_depth = (_queue_depth(conn, name) for name in (queue, live_queue))
    except Exception as exc:
        return {"status": "down", "queue": queue, "detail": _error(exc)}
    limit = settings.HEALTH_QUEUE_DEPTH_WARN
    return {
        "status": "warning" if max(depth, live_depth) > limit else "ok",
        "queue": queue,
        "depth": depth,
        "live_queue": live_queue,
        "live_depth": live_depth,
        "depth_warn": limit,
    }


def _queue_depth(conn, queue: str) -> int:
    try:
        _, depth, _ = conn.default_channel.queue_declare(queue=queue, passive=True)
    except ChannelError:  # Redis keeps no empty list: no queue yet is an empty queue
        return 0
    return depth


def check_workers() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "off", "detail": "no CELERY_BROKER_URL: tasks run in the web process"}
    try:
        beats = metrics.heartbeats_read()
    except Exception as exc:
        return {"status": "down", "alive": 0, "detail": _error(exc)}
    now = time.time()
    workers = [{"name": name, "last_seen_s": round(now - at, 1)} for name, at in sorted(beats.items())]
    return {"status": "ok" if workers else "down", "alive": len(workers), "workers": workers}


def check_spool() -> Check:
    try:
        row = SpoolEntry.objects.aggregate(
            entries=Count("id"), events=Sum("n_events"), oldest=Min("created_at")
        )
    except DatabaseError as exc:
        return {"status": "down", "detail": _error(exc)}
    entries, events = row["entries"] or 0, row["events"] or 0
    age = (time.time() - row["oldest"].timestamp()) if row["oldest"] else 0.0
    return {
        "status": "warning" if entries else "ok",
        "entries": entries,
        "events": events,
        "oldest_age_s": round(age, 1),
    }


def check_beat() -> Check:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "off", "detail": "no CELERY_BROKER_URL: no scheduler"}
    try:
        last = metrics.beat_last_publish()
    except Exception as exc:
        return {"status": "down", "detail": _error(exc)}
    if last is None:
        return {"status": "down", "detail": "beat has never sent a task", "last_run_age_s": None}
    at, task = last
    age = time.time() - at
    stale = settings.HEALTH_BEAT_STALE_S
    return {
        "status": "ok" if age <= stale else "down",
        "last_run_age_s": round(age, 1),
        "last_task": task,
        "stale_after_s": stale,
    }


CHECKS = {
    "database": check_database,
    "timeseries": check_timeseries,
    "cache": check_cache,
    "broker": check_broker,
    "workers": check_workers,
    "spool": check_spool,
    "beat": check_beat,
}


def service_health() -> tuple[dict[str, Any], int]:
    """(body, HTTP status): every check, and `status` ok/degraded (200) or down (503)."""
    checks = {name: check() for name, check in CHECKS.items()}
    if any(checks[name]["status"] == "down" for name in CRITICAL):
        overall, code = "down", 503
    elif any(c["status"] not in ("ok", "off") for c in checks.values()):
        overall, code = "degraded", 200
    else:
        overall, code = "ok", 200
    return {"status": overall, "checks": checks, "critical": list(CRITICAL)}, code
