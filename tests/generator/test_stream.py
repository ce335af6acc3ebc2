"""`stream`: batches, bearer token, pacing, retries with backoff, and the final summary.

A scripted HTTP server on 127.0.0.1 stands in for /api/v1/ingest.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from contextlib import contextmanager, redirect_stdout
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from generator.__main__ import main
from generator.invalid import valid_event
from generator.stream import Sender, StreamSummary, retry_after_seconds, stream_events
from ingestion.schemas import parse_events


class _Recorder:
    def __init__(self, script):
        self.script = list(script)  # (status, headers) per request; then 201
        self.requests = []  # (headers, body)
        self.lock = threading.Lock()


@contextmanager
def ingest_server(script=()):
    rec = _Recorder(script)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with rec.lock:
                rec.requests.append((dict(self.headers), body))
                status, headers = rec.script.pop(0) if rec.script else (201, {})
            payload = json.dumps({"status": status}).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v1/ingest", rec
    finally:
        server.shutdown()
        server.server_close()


def events(n, start=0):
    return [(json.dumps(valid_event(i)), 1_700_000_000.0 + i) for i in range(start, start + n)]


class FakeTime:
    def __init__(self, t=0.0):
        self.t = t
        self.sleeps = []

    def clock(self):
        return self.t

    def sleep(self, s):
        self.sleeps.append(s)
        self.t += s


def test_stream_posts_json_array_batches_with_the_bearer_token():
    with ingest_server([(202, {})]) as (url, rec):
        sender = Sender(url, "secret-token", sleep=lambda s: None)
        summary = stream_events(events(25), sender, batch_size=10, rate=0)
    assert [len(parse_events(body)) for _, body in rec.requests] == [10, 10, 5]
    for headers, body in rec.requests:
        assert headers["Authorization"] == "Bearer secret-token"
        assert headers["Content-Type"] == "application/json"
        assert body.startswith(b"[")
    assert (summary.sent, summary.accepted, summary.rejected, summary.retried) == (25, 25, 0, 0)


def test_stream_honours_retry_after_on_429_then_counts_the_batch_accepted():
    fake = FakeTime()
    with ingest_server([(429, {"Retry-After": "2"}), (201, {})]) as (url, rec):
        sender = Sender(url, "t", sleep=fake.sleep)
        summary = stream_events(events(5), sender, batch_size=5, rate=0)
    assert len(rec.requests) == 2 and rec.requests[0][1] == rec.requests[1][1]
    assert fake.sleeps == [2.0]
    assert (summary.sent, summary.accepted, summary.retried, summary.failed) == (5, 5, 1, 0)


def test_stream_retries_503_with_growing_backoff():
    fake = FakeTime()
    with ingest_server([(503, {}), (503, {}), (503, {}), (201, {})]) as (url, rec):
        sender = Sender(url, "t", sleep=fake.sleep, backoff_base=0.5)
        summary = stream_events(events(3), sender, batch_size=10, rate=0)
    assert len(rec.requests) == 4
    assert summary.retried == 3 and summary.accepted == 3
    assert fake.sleeps[0] < fake.sleeps[2]
    assert all(0.25 <= s <= 2.0 for s in fake.sleeps)


def test_stream_retries_connection_errors_then_reports_the_batch_failed():
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake = FakeTime()
    sender = Sender(f"http://127.0.0.1:{port}/ingest", "t", sleep=fake.sleep, max_retries=3, timeout=2)
    summary = stream_events(events(4), sender, batch_size=10, rate=0)
    assert (summary.sent, summary.accepted, summary.failed, summary.retried) == (4, 0, 4, 3)
    assert len(fake.sleeps) == 3


def test_stream_does_not_retry_a_rejected_batch():
    with ingest_server([(400, {}), (201, {}), (401, {})]) as (url, rec):
        sender = Sender(url, "t", sleep=lambda s: None)
        summary = stream_events(events(9), sender, batch_size=3, rate=0)
    assert len(rec.requests) == 3
    assert (summary.sent, summary.accepted, summary.rejected, summary.retried) == (9, 3, 6, 0)


def test_stream_paces_batches_to_the_target_rate():
    fake = FakeTime()
    with ingest_server() as (url, _):
        sender = Sender(url, "t", sleep=fake.sleep)
        summary = stream_events(
            events(50), sender, batch_size=10, rate=100, clock=fake.clock, sleep=fake.sleep
        )
    assert summary.accepted == 50
    # 5 batches of 10 at 100 events/s: the last batch may leave at 0.4 s, not before
    assert sum(fake.sleeps) >= 0.4 - 1e-9


def test_real_time_stream_sends_no_event_before_its_timestamp():
    fake = FakeTime(t=1_700_000_000.0)
    epoch_of = {valid_event(i)["event_id"]: 1_700_000_000.0 + 30 * i for i in range(6)}
    sent = []  # (wall time of the POST, epochs of the events in it)

    class Capture:
        def send(self, body, n, summary):
            sent.append((fake.t, [epoch_of[e["event_id"]] for e in json.loads(body)]))
            summary.sent += n
            summary.accepted += n
            return "accepted"

    evs = [(json.dumps(valid_event(i)), 1_700_000_000.0 + 30 * i) for i in range(6)]
    summary = stream_events(
        evs, Capture(), batch_size=100, real_time=True, clock=fake.clock, wall=fake.clock, sleep=fake.sleep
    )
    assert summary.accepted == 6
    assert sorted(e for _, batch in sent for e in batch) == sorted(epoch_of.values())
    assert all(max(batch) <= t for t, batch in sent)
    assert len(sent) >= 5  # partial batches are flushed instead of waiting to fill


def test_retry_after_accepts_seconds_and_http_dates():
    assert retry_after_seconds("3") == 3.0
    now = datetime(2025, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=10), usegmt=True)
    assert abs(retry_after_seconds(later, now=now.timestamp()) - 10) < 1e-6
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_stream_command_prints_a_final_summary():
    with ingest_server([(429, {"Retry-After": "0"})]) as (url, rec):
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(
                ["stream", "--url", url, "--token", "tok", "--assets", "2", "--days", "0.05",
                 "--interval-s", "60", "--rate", "0", "--batch-size", "50"]
            )  # fmt: skip
    assert code == 0
    lines = out.getvalue().strip().splitlines()
    assert lines[-2].startswith("stream summary: sent=144 accepted=144 rejected=0 retried=1")
    summary = StreamSummary(**json.loads(lines[-1]))
    assert summary.accepted == 144 and summary.retried == 1
    total = sum(len(parse_events(body)) for _, body in rec.requests[1:])
    assert total == 144
