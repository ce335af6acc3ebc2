"""Faults on the running stack (units as deployed, own PostgreSQL, Redis, influxd), exact counts.

Each test streams its own asset's events through the API with a client that resends a batch
until it gets 201/202 (what devices and the generator do), breaks one component mid-stream, and
then checks that every event is stored exactly once and analysed (features), that no answer was
a 500, and that no batch was acknowledged that was not stored (or spooled).

Faults covered elsewhere, against real processes: InfluxDB down for minutes and replay in order
(tests/ingestion/test_durability.py, test_store_failures.py), an InfluxDB write that times out
after it was applied (test_store_failures.py, `test_a_timeout_is_202_spooled...`), a worker
SIGKILLed mid-task (tests/analytics/test_worker_pipeline.py).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.e2e.stack import Stack, wait_until
from tests.e2e.test_stack import influx_count, pipeline_idle, sql
from tests.ingestion.events import body, series


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(
        tmp_path_factory.mktemp("faults"),
        extra_env={
            "CELERY_VISIBILITY_TIMEOUT_S": "20",
            "ANALYTICS_REQUEUE_AFTER_S": "30",
            "PDM_SPOOL_REPLAY_S": "2",
        },
    )
    s.write_env()
    try:
        s.start_all(first=True)
        s.manage("create_api_token", "--tenant", "acme", "--scope", "ingest", "--create-tenant")
        yield s
    finally:
        s.stop()


def register(stack: Stack, asset_id: str) -> str:
    manifest = stack.work / f"{asset_id}.json"
    manifest.write_text(
        json.dumps(
            {
                "assets": [
                    {"asset_id": asset_id, "name": asset_id, "asset_type": "pump", "phase": "three",
                     "rated_voltage_v": 415.0, "rated_current_a": 28.0, "rated_power_kw": 15.0,
                     "rated_rpm": 1480.0, "iso_group": 2, "foundation": "rigid", "location": "Bay 1"}
                ]
            }
        )
    )  # fmt: skip
    stack.manage("register_fleet", str(manifest), "--tenant", "acme")
    return stack.manage("create_api_token", "--tenant", "acme", "--scope", "ingest").strip().splitlines()[-1]


class Client:
    """Sends batches in order; resends one until 201/202 (as devices do); records every answer."""

    def __init__(self, base: str, token: str):
        self.url = f"{base}/api/v1/ingest"
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        self.answers: Counter[int | str] = Counter()

    def send(self, batch: list[dict], *, give_up_s: float = 300) -> int:
        deadline = time.monotonic() + give_up_s
        while True:
            try:
                status: int | str = self.session.post(self.url, data=body(batch), timeout=30).status_code
            except requests.RequestException as exc:
                status = type(exc).__name__
            self.answers[status] += 1
            if status in (201, 202):
                return int(status)
            assert status != 500, "ingest answered 500"
            if isinstance(status, int) and 400 <= status < 500:
                raise AssertionError(f"batch refused with {status}")
            if time.monotonic() > deadline:
                raise AssertionError(f"batch never accepted: {dict(self.answers)}")
            time.sleep(0.5)


def read_only(stack: Stack, on: bool) -> None:
    import psycopg

    with psycopg.connect(stack.postgres.url, connect_timeout=5, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        conn.execute(f"ALTER DATABASE pdm SET default_transaction_read_only = {'on' if on else 'off'}")


def recent_series(asset_id: str, n: int) -> list[dict]:
    start = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return series(asset_id, n, start=start, step_s=60)


def assert_all_stored_and_analysed(stack: Stack, asset_id: str, n: int, *, within_s: float = 300) -> None:
    wait_until(
        lambda: pipeline_idle(stack), within_s, "the pipeline", lambda: stack.log_tail("pdm-worker.service")
    )
    assert influx_count(stack, "events", asset_id) == n
    assert influx_count(stack, "features", asset_id) == n
    assert sql(stack, "SELECT count(*) FROM ingestion_spoolentry")[0][0] == 0


def stream_with_fault(
    stack: Stack, asset_id: str, n: int, fault, *, at_batch: int = 5, batch: int = 50
) -> Client:
    """Send n events in batches; call fault() in a thread when batch `at_batch` is about to go."""
    client = Client(stack.base, register(stack, asset_id))
    events = recent_series(asset_id, n)
    worker: threading.Thread | None = None
    for i in range(0, n, batch):
        if i // batch == at_batch:
            worker = threading.Thread(target=fault)
            worker.start()
            time.sleep(0.3)  # the fault lands while the next batches are in flight
        client.send(events[i : i + batch])
    if worker is not None:
        worker.join()
    return client


def test_redis_down_answers_503_when_a_run_must_be_queued_and_loses_nothing(stack: Stack):
    """CONTRACTS §17.5: without the broker, a batch that needs a new analytics run answers 503
    (its pending range is committed in SQL; the resend queues the run). A batch for an asset
    whose run is queued already needs no message and answers 201."""
    client = Client(stack.base, register(stack, "PMP-R01"))
    events = recent_series("PMP-R01", 1000)
    for i in range(0, 500, 50):
        client.send(events[i : i + 50])
    wait_until(
        lambda: pipeline_idle(stack), 300, "the pipeline", lambda: stack.log_tail("pdm-worker.service")
    )
    stack.redis.kill()
    try:
        answer = client.session.post(client.url, data=body(events[500:550]), timeout=30)
        assert answer.status_code == 503, answer.text
        assert answer.headers["Retry-After"]
        threading.Timer(5, stack.redis.start).start()
        for i in range(500, 1000, 50):
            client.send(events[i : i + 50])  # resent until Redis is back
    finally:
        if not stack.redis.running:
            time.sleep(6)
    assert client.answers[500] == 0 and client.answers[503] >= 1, dict(client.answers)
    assert_all_stored_and_analysed(stack, "PMP-R01", 1000)


def test_postgresql_restarted_mid_batch_loses_nothing(stack: Stack):
    def restart():
        from tests.e2e.stack import killpg

        killpg(stack.postgres.proc)
        time.sleep(3)
        stack.postgres.start()

    client = stream_with_fault(stack, "PMP-P01", 1000, restart)
    assert client.answers[503] + client.answers["ConnectionError"] >= 1, dict(client.answers)
    assert client.answers[500] == 0
    # Runs that failed on the lost connection retry within seconds, not at the 5-min sweep.
    assert_all_stored_and_analysed(stack, "PMP-P01", 1000, within_s=120)
    health = requests.get(f"{stack.base}/api/v1/health", timeout=30).json()
    assert health["checks"]["database"]["status"] == "ok"


def test_spool_cannot_be_written_is_503_and_nothing_unstored_is_acknowledged(stack: Stack, tmp_path: Path):
    """The spool lives in PostgreSQL: with InfluxDB down and PostgreSQL refusing writes (a full
    disk; here the database made read-only, which fails the INSERT the same way), ingest must
    not answer 201/202. Once PostgreSQL takes writes the batches are spooled, and replayed when
    InfluxDB is back."""
    token = register(stack, "PMP-S01")
    client = Client(stack.base, token)
    events = recent_series("PMP-S01", 300)
    client.send(events[:100])  # stored directly: 201
    stack.influx.stop()
    try:
        read_only(stack, True)
        # new connections of the web processes see the read-only default
        stack.restart_web_connections()
        for _ in range(4):  # the first answers may come from connections just ended: 503 too
            r = requests.post(
                f"{stack.base}/api/v1/ingest", data=body(events[100:200]), timeout=60,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )  # fmt: skip
            assert r.status_code == 503, r.text
        assert sql(stack, "SELECT count(*) FROM ingestion_spoolentry")[0][0] == 0
        read_only(stack, False)
        stack.restart_web_connections()
        assert client.send(events[100:200]) == 202
        assert client.send(events[200:300]) == 202
        assert sql(stack, "SELECT sum(n_events) FROM ingestion_spoolentry")[0][0] == 200
    finally:
        read_only(stack, False)
        stack.influx.start()
    assert_all_stored_and_analysed(stack, "PMP-S01", 300)
