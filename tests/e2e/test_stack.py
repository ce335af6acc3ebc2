"""The platform end to end, as its systemd units run it, through a power cut (`make e2e`).

A generator fleet streams through the API in accelerated time; mid-stream every process is
SIGKILLed (PostgreSQL, Redis and InfluxDB too) and started again in the units' order while the
generator keeps retrying its batch. Afterwards the counts are compared with the generator's own:
every event stored once, features for every event, a score for every steady-running event after
the baseline window, an assessment at every grid point, the fault's incident opened once with its
explanation (read through the API), and nothing left in the spool or the queue. Then a report
schedule created through the API is fired by the stack's beat and its report arrives by e-mail.

Size: `PDM_E2E_SIZE=smoke` (3 assets, 5.5 days at 120 s, `make e2e-smoke`) or `full`
(8 assets, 8 days at 60 s, `make e2e`).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import psycopg
import pytest
import requests
import yaml
from pypdf import PdfReader

from reporting.summary import NO_DATA_TEXT
from tests.analytics.fleet import steady_times
from tests.e2e.stack import ROOT, Stack, wait_until

SIZES = {
    "smoke": {"assets": ["motor", "pump", "fan"], "days": 5.5, "interval_s": 120, "rate": 250, "batch": 60},
    "full": {
        "assets": ["motor", "pump", "fan", "compressor", "motor", "pump", "fan", "compressor"],
        "days": 8.0,
        "interval_s": 60,
        "rate": 800,
        "batch": 200,
    },
}
COUNT_QUERIES = {
    m: f'SELECT count(*) FROM "{rp}"."{m}" WHERE "asset_id" = $a'  # noqa: S608 - fixed names
    for m, rp in (("events", "raw"), ("features", "derived"), ("scores", "derived"), ("health", "derived"))
}
GRID_S = 600  # ASSESSMENT_INTERVAL_MIN = 10 (CONTRACTS §13.1)


def report(text: str) -> None:
    print(text, flush=True)


def scenario(path: Path, size: dict) -> Path:
    start = (datetime.now(UTC) - timedelta(days=size["days"] + 0.5)).replace(
        minute=0, second=0, microsecond=0
    )
    prefixes = {"motor": "MTR", "pump": "PMP", "fan": "FAN", "compressor": "CMP"}
    data = {
        "seed": 11,
        "duration_days": size["days"],
        "interval_s": size["interval_s"],
        "start": start.isoformat().replace("+00:00", "Z"),
        "site": {"name": "Pune plant"},
        "faults": [
            {"asset": "MTR-001", "mode": "bearing_outer", "onset_days": 3.2, "time_to_failure_days": 2.0}
        ],
    }
    counts = Counter(size["assets"])
    data["assets"] = [{"type": t, "id_prefix": prefixes[t], "count": n} for t, n in counts.items()]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def influx_count(stack: Stack, measurement: str, asset_id: str) -> int:
    q = COUNT_QUERIES[measurement]  # asset id bound as a parameter
    r = requests.get(
        f"{stack.influx.url}/query",
        params={"db": "pdm", "q": q, "params": json.dumps({"a": asset_id})},
        timeout=60,
    )
    r.raise_for_status()
    series = r.json()["results"][0].get("series")
    return max((v for v in series[0]["values"][0][1:] if v is not None), default=0) if series else 0


def sql(stack: Stack, query: str, *args) -> list[tuple]:
    with psycopg.connect(stack.postgres.url, connect_timeout=5) as conn:
        cursor = conn.execute(query, args)
        return cursor.fetchall() if cursor.description else []


def pipeline_idle(stack: Stack) -> bool:
    busy = sql(
        stack,
        "SELECT count(*) FROM analytics_analyticsstate WHERE pending_from IS NOT NULL "
        "OR inflight_from IS NOT NULL OR queued",
    )[0][0]
    spooled = sql(stack, "SELECT count(*) FROM ingestion_spoolentry")[0][0]
    return busy == 0 and spooled == 0


@pytest.fixture
def stack(tmp_path: Path):
    s = Stack(tmp_path, extra_env={"CELERY_VISIBILITY_TIMEOUT_S": "20", "ANALYTICS_REQUEUE_AFTER_S": "30"})
    s.write_env()
    try:
        s.start_all(first=True)
        yield s
    finally:
        s.stop()


def test_stream_power_cut_and_recovery_store_and_analyse_everything_once(stack: Stack, tmp_path: Path):
    size = SIZES[os.environ.get("PDM_E2E_SIZE", "smoke")]
    scen = scenario(tmp_path / "fleet.yaml", size)
    manifest_path = tmp_path / "assets.json"
    events_path = tmp_path / "events.jsonl"
    subprocess.run(
        [sys.executable, "-m", "generator", "simulate", "--scenario", str(scen), "--out", str(events_path),
         "--manifest", str(manifest_path)],
        cwd=ROOT, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    stack.manage("register_fleet", str(manifest_path), "--tenant", "acme", "--create-tenant")
    ingest_token = (
        stack.manage("create_api_token", "--tenant", "acme", "--scope", "ingest").strip().splitlines()[-1]
    )
    read_token = (
        stack.manage("create_api_token", "--tenant", "acme", "--scope", "read").strip().splitlines()[-1]
    )
    events = [json.loads(line) for line in events_path.read_text().splitlines()]
    by_asset: dict[str, list[dict]] = {}
    for e in events:
        by_asset.setdefault(e["asset_id"], []).append(e)
    total = len(events)
    report(f"e2e: {len(by_asset)} assets, {total} events, stream at {size['rate']} events/s")

    gen_log = tmp_path / "generator.err"
    generator = subprocess.Popen(
        [sys.executable, "-m", "generator", "stream", "--scenario", str(scen), "--url",
         f"{stack.base}/api/v1/ingest", "--token", ingest_token, "--rate", str(size["rate"]),
         "--batch-size", str(size["batch"]), "--max-retries", "30", "--timeout", "30"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=gen_log.open("wb"), text=True,
    )  # fmt: skip
    try:
        # The power cut: once about 40 % of the events are in, every process dies at once.
        first = next(iter(by_asset))
        wait_until(
            lambda: influx_count(stack, "events", first) >= 0.4 * len(by_asset[first]),
            600, "40 % of the stream", lambda: gen_log.read_text()[-2000:],
        )  # fmt: skip
        processes = stack.pids()
        stored_before = sum(influx_count(stack, "events", a) for a in by_asset)
        stack.kill_all()
        report(f"e2e: SIGKILL at about {stored_before} events stored: {sum(map(len, processes.values()))} "
               "platform processes plus PostgreSQL, Redis, influxd")  # fmt: skip
        time.sleep(3)
        stack.start_all()
        out, _ = generator.communicate(timeout=1800)
    finally:
        if generator.poll() is None:
            generator.kill()
    summary = json.loads(out.strip().splitlines()[-1])
    report(f"e2e: generator: {summary}")
    assert summary["accepted"] == total and summary["rejected"] == 0 and summary["failed"] == 0

    wait_until(
        lambda: pipeline_idle(stack),
        1500,
        "the pipeline to catch up",
        lambda: stack.log_tail("pdm-worker.service"),
    )

    baselines = dict(
        sql(
            stack,
            "SELECT a.asset_id, b.window_end FROM analytics_baseline b JOIN ingestion_asset a "
            "ON a.id = b.asset_id WHERE b.active",
        )
    )
    rated = {a["asset_id"]: a["rated_current_a"] for a in json.loads(manifest_path.read_text())["assets"]}
    for asset_id, rows in by_asset.items():
        times = [datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")) for e in rows]
        stored = influx_count(stack, "events", asset_id)
        features = influx_count(stack, "features", asset_id)
        scores = influx_count(stack, "scores", asset_id)
        health = influx_count(stack, "health", asset_id)
        assert asset_id in baselines, f"{asset_id}: no active baseline"
        steady_after = [t for t in steady_times(rows, rated[asset_id]) if t >= baselines[asset_id]]
        first_g = -(-int(times[0].timestamp()) // GRID_S) * GRID_S
        grid = (int(times[-1].timestamp()) - first_g) // GRID_S + 1
        report(
            f"e2e: {asset_id}: events {stored}/{len(rows)}, features {features}/{len(rows)}, "
            f"scores {scores}/{len(steady_after)}, assessments {health}/{grid}"
        )
        assert stored == len(rows)
        assert features == len(rows)
        assert scores == len(steady_after)
        assert health == grid

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {read_token}"
    alerts = api.get(f"{stack.base}/api/v1/alerts", params={"limit": 1000}, timeout=30).json()["results"]
    keys = Counter((a["asset_id"], a["cause"], a["opened_at"]) for a in alerts)
    report(f"e2e: alerts: {sorted(Counter((a['asset_id'], a['cause']) for a in alerts).items())}")
    assert all(n == 1 for n in keys.values()), f"duplicated incidents: {keys}"
    fault = [a for a in alerts if a["asset_id"] == "MTR-001"]
    assert fault, "the bearing fault of MTR-001 opened no incident"
    assert all(a["explanation"] for a in fault)

    health_now = requests.get(f"{stack.base}/api/v1/health", timeout=30)
    assert health_now.status_code == 200
    checks = health_now.json()["checks"]
    assert checks["spool"]["entries"] == 0 and checks["workers"]["alive"] >= 1

    scheduled_report_arrives_by_email(stack)


def scheduled_report_arrives_by_email(stack: Stack) -> None:
    """A fleet report schedule created through the API (due every minute): the stack's own beat
    fires it, a worker builds the PDF and the Excel file of the previous local day and mails them
    to the SMTP server; the delivery is recorded `sent`, once."""
    admin_token = (
        stack.manage("create_api_token", "--tenant", "acme", "--scope", "read", "--scope", "admin")
        .strip()
        .splitlines()[-1]
    )
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {admin_token}"
    created = api.post(
        f"{stack.base}/api/v1/report-schedules",
        json={"scope": "fleet", "period_rule": "previous_day", "formats": "both",
              "recipients": ["plant.manager@example.com"], "cron": "* * * * *"},
        timeout=30,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    schedule_id = created.json()["id"]
    wait_until(lambda: stack.messages, 240, "the scheduled report e-mail",
               lambda: stack.log_tail("pdm-beat.service") + stack.log_tail("pdm-worker.service"))  # fmt: skip
    message = stack.messages[0]
    files = {
        part.get_filename(): part.get_payload(decode=True) for part in message.walk() if part.get_filename()
    }
    report(f"e2e: report e-mail: {message['Subject']!r} to {message['To']}, attachments "
           f"{sorted((name, len(data)) for name, data in files.items())}")  # fmt: skip
    assert message["Subject"].startswith("[PdM] acme report, fleet:")
    assert message["To"] == "plant.manager@example.com"
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["pdf", "xlsx"]
    pdf = next(data for name, data in files.items() if name.endswith(".pdf"))
    text = " ".join(" ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert " ".join(NO_DATA_TEXT.split()[:6]) not in text  # the streamed day is in the report
    openpyxl.load_workbook(io.BytesIO(next(d for n, d in files.items() if n.endswith(".xlsx"))))
    deliveries = api.get(f"{stack.base}/api/v1/report-schedules/{schedule_id}/deliveries", timeout=30).json()
    assert [(d["status"], d["attempts"]) for d in deliveries] == [("sent", 1)]
    assert len(stack.messages) == 1
