"""A small generator fleet for the report tests: a motor with a bearing fault that ends High or
Critical, and a healthy pump and fan, made once per session through the generator's CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

import yaml

from tests.analytics.fleet import fleet_start

ROOT = Path(__file__).resolve().parents[2]
DAYS = 5.5
FAULTY = "MTR-001"


@cache
def report_fleet() -> tuple[list[dict], dict, datetime]:
    """Events, manifest and start of the fleet (start anchored to a Monday, see fleet_start)."""
    start = fleet_start(6, "monday")
    out = Path(mkdtemp(prefix="pdm-report-fleet-"))
    scenario = {
        "seed": 11,
        "duration_days": DAYS,
        "interval_s": 120,
        "start": start.isoformat().replace("+00:00", "Z"),
        "site": {"name": "Pune plant"},
        "assets": [
            {"type": "motor", "id_prefix": "MTR"},
            {"type": "pump", "id_prefix": "PMP"},
            {"type": "fan", "id_prefix": "FAN"},
        ],
        "faults": [
            {"asset": FAULTY, "mode": "bearing_outer", "onset_days": 3.2, "time_to_failure_days": 2.0}
        ],
    }
    (out / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    subprocess.run(
        [sys.executable, "-m", "generator", "simulate", "--scenario", str(out / "scenario.yaml"),
         "--out", str(out / "events.jsonl"), "--manifest", str(out / "assets.json")],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    return events, json.loads((out / "assets.json").read_text()), start


def half_hour_ceil(t: datetime) -> datetime:
    floor = t.replace(minute=0 if t.minute < 30 else 30, second=0, microsecond=0)
    return floor if floor == t else floor + timedelta(minutes=30)


def iso(t: datetime) -> str:
    return t.astimezone(UTC).isoformat().replace("+00:00", "Z")
