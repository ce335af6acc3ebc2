"""Health history with a point budget (`points`, CONTRACTS §5.3): the anomaly score and health
envelopes per bucket equal the stored points' min/max; raw points once they fit the budget."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.timeseries import Point, get_store
from tests.assessment.synth import T0

STEP = timedelta(minutes=5)
N = 12 * 24 * 3  # three days of five-minute assessments


def z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def history(store, pump):
    rng = random.Random(7)
    rows = [(T0 + i * STEP, rng.randint(30, 100), round(rng.uniform(0.0, 1.0), 5)) for i in range(N)]
    get_store().write(
        Point("health", pump.asset_id, t, {"health_score": h, "anomaly_score": a, "risk_code": 0})
        for t, h, a in rows
    )
    return rows


def test_three_days_at_200_points_give_the_30_minute_envelope(api, pump, history):
    start, end = T0, T0 + N * STEP
    body = api.get(
        f"/api/v1/assets/{pump.asset_id}/health/history", {"start": z(start), "end": z(end), "points": 200}
    ).json()
    assert body["resolution"] == "1800s"  # 259200 s / 200 = 1296 s -> 30 min
    expected: dict[str, dict[str, list[float]]] = {}
    for t, h, a in history:
        k = z(datetime.fromtimestamp(int(t.timestamp()) // 1800 * 1800, UTC))
        b = expected.setdefault(k, {"health_score": [], "anomaly_score": []})
        b["health_score"].append(h)
        b["anomaly_score"].append(a)
    assert len(body["series"]) == len(expected) <= 200
    for point in body["series"]:
        for name, values in expected[point["time"]].items():
            got = point["values"][name]
            assert (got["min"], got["max"]) == (pytest.approx(min(values)), pytest.approx(max(values)))


def test_an_hour_at_200_points_is_raw(api, pump, history):
    start, end = T0 + timedelta(hours=5), T0 + timedelta(hours=6)
    body = api.get(
        f"/api/v1/assets/{pump.asset_id}/health/history", {"start": z(start), "end": z(end), "points": 200}
    ).json()
    assert body["resolution"] == "raw"
    assert [p["values"]["anomaly_score"] for p in body["series"]] == [
        a for t, _, a in history if start <= t < end
    ]
