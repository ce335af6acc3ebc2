"""Helpers to build valid contract events for tests (independent of the generator)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

# Recent, so every event lies inside the default raw retention (90 days).
T0 = (datetime.now(UTC) - timedelta(days=5)).replace(hour=6, minute=0, second=0, microsecond=0)


def event(asset_id: str, t: datetime, **overrides) -> dict:
    ev = {
        "event_id": str(uuid.uuid4()),
        "asset_id": asset_id,
        "timestamp": t.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "voltage_v": 415.0,
        "current_a": 20.0,
        "power_factor": 0.86,
        "frequency_hz": 50.0,
        "temperature_c": 55.0,
        "vibration_rms_mm_s": 1.1,
        "vibration_kurtosis": 3.0,
        "schema_version": "1.0",
    }
    ev.update(overrides)
    return ev


def series(asset_id: str, n: int, *, start: datetime = T0, step_s: int = 10) -> list[dict]:
    return [
        event(asset_id, start + timedelta(seconds=i * step_s), current_a=10.0 + (i % 50) * 0.1)
        for i in range(n)
    ]


def body(events) -> bytes:
    return json.dumps(events).encode()
