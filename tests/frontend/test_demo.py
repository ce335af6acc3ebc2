"""`make demo`: the streamed history ends at now with every machine live (the faulty ones
degrading, not tripped), the live part follows it seamlessly, and the server answers 200 at `/`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from frontend.management.commands.demo import HISTORY_DAYS, Command, _split_at_now
from generator.scenario import build_fleet, load_scenario
from generator.stream import fleet_event_stream

ROOT = Path(__file__).resolve().parents[2]
DEMO_PORT = 8113  # the demo's server in this test (8110-8119 are this suite's ports)


def test_the_history_ends_at_the_last_whole_minute_and_the_live_days_follow(tmp_path):
    now = datetime(2026, 12, 7, 10, 30, 42, 500000, tzinfo=UTC)

    scenario = load_scenario(Command()._scenario(tmp_path, now=now, live_days=2.0))

    last_history = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    assert scenario.start == last_history - timedelta(days=HISTORY_DAYS) + timedelta(minutes=1)
    assert scenario.duration_days == HISTORY_DAYS + 2.0


def test_at_the_end_of_the_catch_up_every_machine_is_live_and_the_faulty_ones_still_run(tmp_path):
    fleet = build_fleet(load_scenario(Command()._scenario(tmp_path, now=datetime.now(UTC), live_days=0.05)))
    started = time.time()

    history, live = _split_at_now(fleet_event_stream(fleet))
    last_seen: dict[str, float] = {}
    for line, when in history:
        last_seen[json.loads(line)["asset_id"]] = when
    upcoming = list(live)

    # 15 minutes of silence make an asset stale (CONTRACTS §12): each one reported within 2.
    assert sorted(last_seen) == ["CMP-005", "FAN-004", "MTR-001", "MTR-002", "PMP-003", "SFN-006"]
    assert all(started - when < 120 for when in last_seen.values()), last_seen
    # The live part starts where the history stopped: after now, one minute apart per asset.
    assert upcoming and all(when > started - 1 for _, when in upcoming)
    assert min(when for _, when in upcoming) - max(last_seen.values()) <= 60
    faulty = {f.asset: f for f in load_scenario(tmp_path / "scenario.yaml").faults}
    for asset_id, fault in faulty.items():  # degrading at now, failing later
        assert fault.onset_days < HISTORY_DAYS < fault.onset_days + fault.time_to_failure_days, asset_id


@pytest.mark.slow
def test_the_demo_server_answers_200_at_the_root(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "INFLUXDB_URL", "CELERY_BROKER_URL"}
    }
    env.update(PDM_DATA_DIR=str(tmp_path), PDM_DEMO_PASSWORD="demo password 1", REDIS_URL="")
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)
    demo = subprocess.Popen(
        [*manage, "demo", "--port", str(DEMO_PORT), "--no-stream"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, status, html = time.monotonic() + 120, None, ""
        while time.monotonic() < deadline and status != 200:
            assert demo.poll() is None, demo.stdout.read().decode()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{DEMO_PORT}/", timeout=5) as resp:
                    status, html = resp.status, resp.read().decode()
            except OSError:
                time.sleep(0.5)
        assert status == 200
        # the dashboard's built shell (make demo builds it), not the "not built" 503 page
        assert (
            '<div id="root"></div>' in html
            and '<script type="module" crossorigin src="/static/assets/' in html
        )
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=60)
