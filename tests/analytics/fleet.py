"""Generator fleets for analytics tests, made once per session through the public CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from tempfile import mkdtemp

ROOT = Path(__file__).resolve().parents[2]
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def fleet_start(days: int, weekday: str, today: date | None = None) -> datetime:
    """00:00 UTC of the latest ``weekday`` that ends the run at least 10 days before today.

    The generator's plant has a weekly off day (Sunday, machines stopped) and shift pattern,
    so where a run starts in the week decides what the baseline window and the data after it
    contain; a start relative to today would change that with the date. Anchoring the start to
    a weekday makes it the same every day, while the run stays inside the 90-day raw retention.
    """
    today = today or datetime.now(UTC).date()
    latest = today - timedelta(days=days + 10)
    back = (latest.weekday() - WEEKDAYS.index(weekday)) % 7
    return datetime.combine(latest - timedelta(days=back), datetime.min.time(), tzinfo=UTC)


@cache
def healthy_fleet(
    assets: int = 1, days: int = 5, interval_s: int = 60, seed: int = 7, weekday: str = "monday"
) -> tuple[list[dict], dict]:
    """Events and manifest of a healthy fleet starting on ``weekday`` (see :func:`fleet_start`).

    The default (Monday, 5 days) holds no weekly off day; other weekdays put the off day inside
    the baseline window (Saturday) or after it (Thursday).
    """
    start = fleet_start(days, weekday)
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


def steady_times(events: list[dict], rated_current_a: float) -> list[datetime]:
    """Event times where every event of (t - 1 h, t] draws >= 10 % of rated current (§6.7),
    worked out from the raw events (the generator's events carry rpm > 0 exactly then)."""
    times = [datetime.fromisoformat(e["timestamp"]) for e in events]
    stopped = [t for t, e in zip(times, events, strict=True) if e["current_a"] < 0.1 * rated_current_a]
    out, j = [], 0
    for t in times:
        while j < len(stopped) and stopped[j] <= t - timedelta(hours=1):
            j += 1
        if j == len(stopped) or stopped[j] > t:
            out.append(t)
    return out
