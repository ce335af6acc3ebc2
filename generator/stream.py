"""Post simulated events to an ingest URL in batches, at a target rate, with retries.

Protocol: POST, JSON array body, `Authorization: Bearer TOKEN`. 201/202 mean accepted;
429 (after Retry-After), 502/503/504 and connection errors/timeouts are retried with
exponential backoff; any other 4xx means the batch was rejected (never retried); a 5xx
that is not retried, or a batch still failing after `max_retries`, counts as failed.

Pacing: accelerated mode sends at `rate` events/s (token bucket; 0 = as fast as the
server answers); real-time mode sends each event once the wall clock reaches its
timestamp (the scenario then starts at "now" unless --start is given).
"""

from __future__ import annotations

import email.utils
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import IO, Any

RETRY_STATUS = {429, 502, 503, 504}
ACCEPTED_STATUS = {200, 201, 202}


@dataclass
class StreamSummary:
    sent: int = 0  # events whose batch got a final answer or was given up
    accepted: int = 0
    rejected: int = 0
    failed: int = 0
    retried: int = 0  # re-sends of a batch (attempts after the first)
    batches: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        return (
            f"stream summary: sent={self.sent} accepted={self.accepted} rejected={self.rejected} "
            f"retried={self.retried} failed={self.failed} batches={self.batches} seconds={self.seconds:.1f}"
        )


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class Sender:
    """One batch at a time, with the retry policy; `post` is injectable for tests."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 8,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        session: Any = None,
        log: IO[str] | None = None,
    ):
        import requests  # local: the simulate path needs no HTTP client

        self._requests = requests
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.session = session or requests.Session()
        self.log = log
        self._jitter = random.Random(0)

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff_base * (2**attempt))
        return base * (0.5 + 0.5 * self._jitter.random())

    def send(self, body: bytes, n_events: int, summary: StreamSummary) -> str:
        """Send one batch; returns "accepted" | "rejected" | "failed"."""
        attempt = 0
        while True:
            wait: float | None
            try:
                resp = self.session.post(self.url, data=body, headers=self.headers, timeout=self.timeout)
            except (self._requests.ConnectionError, self._requests.Timeout) as exc:
                status, wait, reason = None, None, type(exc).__name__
            else:
                status = resp.status_code
                reason = str(status)
                wait = retry_after_seconds(resp.headers.get("Retry-After")) if status == 429 else None
                if status in ACCEPTED_STATUS:
                    summary.accepted += n_events
                    summary.sent += n_events
                    return "accepted"
                if 400 <= status < 500 and status != 429:
                    summary.rejected += n_events
                    summary.sent += n_events
                    self._say(f"batch rejected: HTTP {status}: {resp.text[:300]}")
                    return "rejected"
                if status not in RETRY_STATUS:
                    summary.failed += n_events
                    summary.sent += n_events
                    self._say(f"batch failed: HTTP {status}")
                    return "failed"
            if attempt >= self.max_retries:
                summary.failed += n_events
                summary.sent += n_events
                self._say(f"batch failed after {attempt} retries ({reason})")
                return "failed"
            delay = wait if wait is not None else self._backoff(attempt)
            attempt += 1
            summary.retried += 1
            self.sleep(delay)

    def _say(self, text: str) -> None:
        if self.log is not None:
            print(text, file=self.log)


def stream_events(
    events: Iterable[tuple[str, float]],
    sender: Sender,
    *,
    batch_size: int = 500,
    rate: float = 1000.0,
    real_time: bool = False,
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_events: int | None = None,
    progress: IO[str] | None = None,
) -> StreamSummary:
    """Send (event JSON, epoch seconds) pairs in batches; returns the summary.

    Accelerated (default): batches of `batch_size` paced to `rate` events/s.
    Real time: an event is sent once the wall clock reaches its timestamp; a partial
    batch is flushed before waiting for the next event, so nothing waits for a batch
    to fill.
    """
    summary = StreamSummary()
    t0 = clock()
    state = {"sent": 0}

    def flush(batch: list[str]) -> None:
        if not batch:
            return
        if not real_time and rate > 0:
            delay = t0 + state["sent"] / rate - clock()
            if delay > 0:
                sleep(delay)
        body = ("[" + ",".join(batch) + "]").encode()
        sender.send(body, len(batch), summary)
        summary.batches += 1
        state["sent"] += len(batch)
        if progress is not None and summary.batches % 50 == 0:
            print(summary.line(), file=progress, flush=True)

    batch: list[str] = []
    for i, (line, when) in enumerate(events):
        if max_events is not None and i >= max_events:
            break
        if real_time:
            delay = when - wall()
            if delay > 0:
                flush(batch)
                batch = []
                sleep(max(0.0, when - wall()))
        batch.append(line)
        if len(batch) >= batch_size:
            flush(batch)
            batch = []
    flush(batch)
    summary.seconds = clock() - t0
    return summary


def fleet_event_stream(fleet: Any) -> Iterator[tuple[str, float]]:
    """(event JSON, epoch) in time order for a simulated fleet."""
    from .output import iter_event_blocks

    start = fleet.start.timestamp()
    for block in iter_event_blocks(fleet, with_labels=False):
        for line, t in zip(block.lines, block.t_rel.tolist(), strict=True):
            yield line, start + t


def print_summary(summary: StreamSummary, out: IO[str] | None = None) -> None:
    out = out or sys.stdout
    print(summary.line(), file=out)
    print(json.dumps(asdict(summary)), file=out)


def floor_now(interval_s: int) -> datetime:
    now = int(time.time())
    return datetime.fromtimestamp(now - now % interval_s, UTC)
