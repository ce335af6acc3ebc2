"""What Celery processes tell the operator: task durations, worker heartbeats, beat's last send.

Connected when `pdm_project.celery` is imported, i.e. in every worker, beat and web process:

* `task_prerun`/`task_postrun` -> histogram `pdm_task_duration_seconds{task, state}`;
* `worker_ready` -> a daemon thread of the worker's main process writes its heartbeat every
  `WORKER_HEARTBEAT_S` (10 s) with a time to live of three beats (`/api/v1/health` `workers`);
* `beat_init` marks the beat process; in it, `after_task_publish` records the time and task of
  each send (`/api/v1/health` `beat`).

A failing Redis never fails a task: every write here is wrapped and logged at debug level.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from celery import signals
from django.conf import settings

from . import metrics

logger = logging.getLogger(__name__)

_started: dict[str, float] = {}
_is_beat = False


@signals.task_prerun.connect
def _task_started(task_id=None, **_) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **_) -> None:
    began = _started.pop(task_id, None) if task_id else None
    if began is None or task is None:
        return
    try:
        metrics.histogram_observe(
            "pdm_task_duration_seconds", time.monotonic() - began, task=task.name, state=str(state or "")
        )
    except Exception as exc:
        logger.debug("metrics: task duration not recorded: %s", exc)


def _heartbeat_loop(worker: str) -> None:
    every = int(getattr(settings, "WORKER_HEARTBEAT_S", 10))
    while True:
        try:
            metrics.heartbeat_write(worker=worker, ttl_s=3 * every)
        except Exception as exc:
            logger.debug("heartbeat not written: %s", exc)
        time.sleep(every)


@signals.worker_ready.connect
def _worker_ready(sender=None, **_) -> None:
    name = getattr(sender, "hostname", None) or f"celery@{socket.gethostname()}"
    threading.Thread(target=_heartbeat_loop, args=(name,), name="pdm-heartbeat", daemon=True).start()


@signals.beat_init.connect
def _beat_init(**_) -> None:
    global _is_beat
    _is_beat = True


@signals.after_task_publish.connect
def _published(sender=None, **_) -> None:
    if not _is_beat:
        return
    try:
        metrics.beat_publish_record(task=str(sender or ""))
    except Exception as exc:
        logger.debug("beat's send not recorded: %s", exc)
