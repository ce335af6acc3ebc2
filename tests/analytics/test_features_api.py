"""GET /api/v1/assets/{id}/features: the features as chart series with the point budget of
CONTRACTS §5.3 (min/max envelope per bucket, raw once they fit), on both stores."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from ingestion.timeseries import Point, get_store, reset_store
from tests.factories import AssetFactory, TenantFactory, token_for

T0 = (datetime.now(UTC) - timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
N = 6 * 60  # six hours of one-minute feature points


def z(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture(params=["sql", "influxdb"])
def store(request, settings, db):
    if request.param == "influxdb":
        yield request.getfixturevalue("influx_settings")
    else:
        settings.INFLUXDB_URL = ""
        reset_store()
        yield get_store()
        reset_store()


@pytest.fixture
def setup(store):
    tenant = TenantFactory(name="acme")
    asset = AssetFactory(tenant=tenant, asset_id="MTR-9")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    rng = random.Random(3)
    rows = [(T0 + timedelta(minutes=i), rng.uniform(1.0, 3.0), rng.uniform(2.5, 6.0)) for i in range(N)]
    get_store().write(
        Point(
            "features",
            asset.asset_id,
            t,
            {
                "vibration_rms_mm_s__mean_15m": v,
                "vibration_kurtosis__mean_15m": k,
                "temperature_rise_c": 20.0,
            },
        )
        for t, v, k in rows
    )
    return api, asset, rows


def test_features_over_six_hours_at_60_points_are_the_10_minute_envelope(setup):
    api, asset, rows = setup
    body = api.get(
        f"/api/v1/assets/{asset.asset_id}/features",
        {"start": z(T0), "end": z(T0 + timedelta(minutes=N)), "points": 60,
         "fields": "vibration_rms_mm_s__mean_15m,vibration_kurtosis__mean_15m"},
    ).json()  # fmt: skip
    assert body["resolution"] == "600s"
    expected: dict[str, list[tuple[float, float]]] = {}
    for t, v, k in rows:
        key = z(datetime.fromtimestamp(int(t.timestamp()) // 600 * 600, UTC))
        expected.setdefault(key, []).append((v, k))
    assert len(body["series"]) == len(expected) == 36
    for p in body["series"]:
        vs = [v for v, _ in expected[p["time"]]]
        ks = [k for _, k in expected[p["time"]]]
        got_v = p["values"]["vibration_rms_mm_s__mean_15m"]
        got_k = p["values"]["vibration_kurtosis__mean_15m"]
        assert (got_v["min"], got_v["max"]) == (pytest.approx(min(vs)), pytest.approx(max(vs)))
        assert (got_k["min"], got_k["max"]) == (pytest.approx(min(ks)), pytest.approx(max(ks)))


def test_a_zoomed_range_returns_the_raw_feature_points_and_the_default_chart_set(setup):
    api, asset, rows = setup
    start, end = T0 + timedelta(hours=1), T0 + timedelta(hours=1, minutes=30)
    body = api.get(
        f"/api/v1/assets/{asset.asset_id}/features", {"start": z(start), "end": z(end), "points": 100}
    ).json()
    assert body["resolution"] == "raw"
    assert "vibration_rms_slope_mm_s_per_day" in body["fields"] and "temperature_rise_c" in body["fields"]
    assert [p["values"]["vibration_rms_mm_s__mean_15m"] for p in body["series"]] == [
        pytest.approx(v) for t, v, _ in rows if start <= t < end
    ]


def test_unknown_feature_is_400_naming_fields_and_another_tenants_asset_is_404(setup):
    api, asset, _ = setup
    resp = api.get(f"/api/v1/assets/{asset.asset_id}/features", {"fields": "voltage_v"})
    assert resp.status_code == 400 and any(e["field"] == "fields" for e in resp.json()["errors"])
    other = AssetFactory(tenant=TenantFactory(name="globex"), asset_id="GLX-9")
    assert api.get(f"/api/v1/assets/{other.asset_id}/features").status_code == 404
