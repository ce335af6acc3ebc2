"""Generator fleets for analytics tests, made once per session through the public CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

ROOT = Path(__file__).resolve().parents[2]


@cache
def healthy_fleet(
    assets: int = 1, days: int = 5, interval_s: int = 60, seed: int = 7
) -> tuple[list[dict], dict]:
    # Recent enough to lie inside the raw retention (90 days), whole days for stable windows.
    start = (datetime.now(UTC) - timedelta(days=days + 10)).replace(hour=0, minute=0, second=0, microsecond=0)
    out = Path(mkdtemp(prefix="pdm-fleet-"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "generator",
            "simulate",
            "--seed",
            str(seed),
            "--assets",
            str(assets),
            "--days",
            str(days),
            "--interval-s",
            str(interval_s),
            "--start",
            start.isoformat().replace("+00:00", "Z"),
            "--out",
            str(out / "events.jsonl"),
            "--labels",
            str(out / "labels.jsonl"),
            "--manifest",
            str(out / "assets.json"),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    return events, json.loads((out / "assets.json").read_text())
