"""The API's error answers come from one place (ingestion/api_errors.py): every read endpoint of
every app answers an unreachable time-series store with 503, Retry-After and the one error
shape, and a raw read too large for a chart with 400 naming `resolution`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestion.timeseries import Point, get_store, reset_store
from pdm_project.devservices import free_port
from tests.ingestion.events import T0

WINDOW = f"start={T0.isoformat().replace('+00:00', 'Z')}&end={(T0 + timedelta(hours=1)).isoformat().replace('+00:00', 'Z')}"
READS = [
    f"/api/v1/assets/PUMP-01/signals?{WINDOW}",
    "/api/v1/assets/PUMP-01/latest",
    "/api/v1/assets/PUMP-01/health",
    f"/api/v1/assets/PUMP-01/health/history?{WINDOW}",
    "/api/v1/fleet/health",
]


@pytest.fixture
def unreachable_store(settings):
    settings.INFLUXDB_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.INFLUXDB_TIMEOUT_S = 2
    reset_store()
    yield
    reset_store()


@pytest.fixture
def sql_store_with_three_points(settings, asset):
    """Three events and three health points of the asset in the SQL store."""
    settings.INFLUXDB_URL = ""
    reset_store()
    get_store().write(
        [Point("events", asset.asset_id, T0 + timedelta(minutes=i), {"voltage_v": 415.0}) for i in range(3)]
        + [
            Point("health", asset.asset_id, T0 + timedelta(minutes=i), {"health_score": 90.0})
            for i in range(3)
        ]
    )
    yield
    reset_store()


@pytest.mark.parametrize("path", READS)
def test_an_unreachable_store_is_503_with_retry_after_on_every_read(api, asset, unreachable_store, path):
    resp = api.get(path)

    assert resp.status_code == 503
    assert resp["Retry-After"] == "30"
    body = resp.json()
    assert list(body) == ["detail"]
    assert body["detail"].startswith(
        "time-series store unreachable: cannot reach InfluxDB at http://127.0.0.1:"
    )


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (f"/api/v1/assets/PUMP-01/signals?{WINDOW}&resolution=raw", "ingestion.selectors.MAX_RAW_POINTS"),
        (
            f"/api/v1/assets/PUMP-01/health/history?{WINDOW}&resolution=raw",
            "assessment.selectors.MAX_RAW_POINTS",
        ),
    ],
)
def test_a_raw_read_over_the_point_limit_is_400_naming_resolution(
    api, sql_store_with_three_points, monkeypatch, path, limit
):
    monkeypatch.setattr(limit, 2)  # the limit is 20,000 points; three stored points exceed 2

    resp = api.get(path)

    assert resp.status_code == 400, resp.content
    body = resp.json()
    assert body["errors"] == [{"field": "resolution", "message": body["detail"]}]
    assert "narrow the range or pass resolution" in body["detail"]
