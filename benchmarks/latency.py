"""Latency: from posting an event that crosses a rule threshold to its incident in the API, under load.

Starts the stack of tests/e2e/stack.py (own PostgreSQL, Redis, influxd, gunicorn, the Celery
workers of the default and the live queue, and beat, each from its deploy/*.service lines; the
fleet's history is backfill for the default queue, the probes are live data for the live queue,
CONTRACTS §17.4), streams a generator fleet through the API at
`--rate` events/s (2,000 by default) and, while it streams, runs `--trials` trials: each posts one
event of a fresh probe asset at a grid time (CONTRACTS §13.1: the assessment of that grid point
sees it) with `temperature_c` 120 °C, above the 95 °C limit (rule `rule:temperature_limit`,
§15.1), then polls `GET /api/v1/alerts?asset_id=` every 20 ms until the incident is listed.
The time measured is wall clock from sending the POST to the first answer that lists it.

Reference in the same run: the same POST and a plain `GET /api/v1/alerts` round trip with no
pipeline work (`api_round_trip_s`, the floor of what the poll can see). Goal: p95 < 2 s.

    .venv/bin/python benchmarks/latency.py                  # 200 trials at 2,000 events/s
    .venv/bin/python benchmarks/latency.py --trials 20      # a short form

Last line: JSON with `p50_s`, `p95_s`, `max_s`, `goal_p95_s`, and the part of each trial spent
on the POST until its 201 (`post_p50_s`, `post_p95_s`, `post_max_s`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
GRID_S = 600


def probe_event(asset_id: str, t: datetime) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "asset_id": asset_id,
        "timestamp": t.isoformat().replace("+00:00", "Z"),
        "voltage_v": 415.0,
        "current_a": 20.0,
        "power_factor": 0.86,
        "frequency_hz": 50.0,
        "temperature_c": 120.0,
        "vibration_rms_mm_s": 1.1,
        "vibration_kurtosis": 3.0,
        "schema_version": "1.0",
    }


def accepted_events(base: str) -> float:
    """Events the API accepted so far (/metrics, summed over the web processes)."""
    import requests
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base}/metrics", timeout=30).text
    return sum(
        s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "pdm_ingest_events_accepted_total"
    )


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--rate", type=float, default=2000.0, help="background events/s")
    parser.add_argument("--assets", type=int, default=40, help="background fleet size")
    parser.add_argument("--timeout-s", type=float, default=60.0, help="a trial slower than this fails")
    args = parser.parse_args()

    import django
    import requests
    import yaml

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
    django.setup()
    from tests.e2e.stack import Stack

    work = Path(tempfile.mkdtemp(prefix="pdm-latency-"))
    stack = Stack(work)
    stack.write_env()
    latencies: list[float] = []
    posts: list[float] = []  # of each trial: until the 201 (ingest and the hand-off), polling excluded
    failures = 0
    try:
        stack.start_all(first=True)
        days = 20
        start = (datetime.now(UTC) - timedelta(days=days + 1)).replace(minute=0, second=0, microsecond=0)
        scenario = work / "fleet.yaml"
        scenario.write_text(
            yaml.safe_dump(
                {
                    "seed": 5,
                    "duration_days": days,
                    "interval_s": 60,
                    "start": start.isoformat().replace("+00:00", "Z"),
                    "assets": [{"type": "motor", "count": args.assets}],
                    "faults": [],
                }
            )
        )
        subprocess.run(
            [sys.executable, "-m", "generator", "simulate", "--scenario", str(scenario), "--out", str(work / "sample.jsonl"), "--days", "0.01",
             "--manifest", str(work / "assets.json")],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        manifest = json.loads((work / "assets.json").read_text())
        probe = dict(manifest["assets"][0])
        probes = []
        for i in range(args.trials):
            probes.append({**probe, "asset_id": f"PROBE-{i:04d}", "name": f"Probe {i}"})
        (work / "probes.json").write_text(json.dumps({"assets": probes}))
        stack.manage("register_fleet", str(work / "assets.json"), "--tenant", "lat", "--create-tenant")
        stack.manage("register_fleet", str(work / "probes.json"), "--tenant", "lat")
        ingest = (
            stack.manage("create_api_token", "--tenant", "lat", "--scope", "ingest").strip().splitlines()[-1]
        )
        read = stack.manage("create_api_token", "--tenant", "lat", "--scope", "read").strip().splitlines()[-1]
        gen = subprocess.Popen(
            [sys.executable, "-m", "generator", "stream", "--scenario", str(scenario), "--url",
             f"{stack.base}/api/v1/ingest", "--token", ingest, "--rate", str(args.rate), "--batch-size", "500"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(work / "generator.err").open("wb"),
        )  # fmt: skip
        post = requests.Session()
        post.headers.update({"Authorization": f"Bearer {ingest}", "Content-Type": "application/json"})
        poll = requests.Session()
        poll.headers["Authorization"] = f"Bearer {read}"
        time.sleep(20)  # the stream is at speed
        # reference: a round trip of each request with nothing to wait for
        t = time.monotonic()
        poll.get(f"{stack.base}/api/v1/alerts", params={"asset_id": "PROBE-none"}, timeout=30)
        api_round_trip_s = time.monotonic() - t
        g0 = (int(time.time()) // GRID_S - 1) * GRID_S
        accepted_before, trials_began = accepted_events(stack.base), time.monotonic()
        for i in range(args.trials):
            asset_id = f"PROBE-{i:04d}"
            when = datetime.fromtimestamp(g0, UTC)
            began = time.monotonic()
            r = post.post(
                f"{stack.base}/api/v1/ingest", data=json.dumps([probe_event(asset_id, when)]), timeout=30
            )
            assert r.status_code == 201, r.text
            posts.append(time.monotonic() - began)
            while True:
                rows = poll.get(
                    f"{stack.base}/api/v1/alerts", params={"asset_id": asset_id}, timeout=30
                ).json()
                if rows["results"]:
                    latencies.append(time.monotonic() - began)
                    break
                if time.monotonic() - began > args.timeout_s:
                    failures += 1
                    break
                time.sleep(0.02)
            print(f"trial {i}: {latencies[-1] if latencies else float('nan'):.3f} s", file=sys.stderr)
        time.sleep(1.5)  # the last counts reach the shared store
        achieved_rate = (accepted_events(stack.base) - accepted_before - len(latencies)) / (
            time.monotonic() - trials_began
        )
        stream_alive = gen.poll() is None
        gen.kill()
        gen.wait()
    finally:
        stack.stop()
    result = {
        "trials": args.trials,
        "background_rate_events_s": args.rate,
        "background_achieved_events_s": round(achieved_rate, 1),
        "background_still_streaming": stream_alive,
        "failed_trials": failures,
        "api_round_trip_s": round(api_round_trip_s, 4),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
        "max_s": round(max(latencies), 3) if latencies else None,
        "post_p50_s": round(statistics.median(posts), 3) if posts else None,
        "post_p95_s": round(percentile(posts, 0.95), 3) if posts else None,
        "post_max_s": round(max(posts), 3) if posts else None,
        "goal_p95_s": 2.0,
    }
    print(json.dumps(result))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
