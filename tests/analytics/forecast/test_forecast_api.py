"""GET /api/v1/forecast and the versioned training behind it, on PostgreSQL and a throwaway
influxd holding hourly energy rollups of a known load (CONTRACTS §19)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from rest_framework.test import APIClient

from analytics.forecast import tasks
from analytics.forecast.models import ForecastModel
from analytics.forecast.selectors import forecast_model_loads
from ingestion.models import Site
from ingestion.services import member_create
from tests.analytics.forecast.rollups import this_hour, weekly_load, write_rollups
from tests.factories import AssetFactory, TenantFactory, token_for

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Rotating-Machines-42"
WEEKS6 = 42 * 24


def client(tenant, *scopes) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return api


def iso(t) -> str:
    return t.isoformat().replace("+00:00", "Z")


@pytest.fixture
def plant(influx_settings):
    tenant = TenantFactory(name="plant")
    Site.objects.create(tenant=tenant, code="main", name="Main incomer", timezone="UTC")
    meter = AssetFactory(tenant=tenant, asset_id="MTR-1", supply_site="main", asset_type="meter")
    end = this_hour()
    times, kw = weekly_load(WEEKS6, end)
    write_rollups(meter.asset_id, times, kw)
    return tenant, meter, times, kw


def test_a_trained_meter_is_forecast_hour_by_hour_with_its_interval_version_and_backtest_once(plant):
    tenant, meter, times, kw = plant
    assert tasks.forecast_train_task(tenant.pk, "asset", meter.asset_id) == 1

    body = (
        client(tenant, "read")
        .get("/api/v1/forecast", {"scope": "asset", "id": "MTR-1", "horizon": "168h"})
        .json()
    )

    assert body["status"] == "ok" and body["reason"] is None
    assert body["origin"] == iso(times[-1])
    points = body["points"]
    assert [p["time"] for p in points] == [iso(times[-1] + timedelta(hours=h)) for h in range(1, 169)]
    assert all(p["low_kw"] <= p["load_kw"] <= p["high_kw"] for p in points)
    # the known shape of the next week (without its noise): the median follows it closely
    expected = weekly_load(168, times[-1] + timedelta(hours=169))[1] / (
        1 + 0.02 * np.random.default_rng(0).standard_normal(168)
    )
    median = np.array([p["load_kw"] for p in points])
    assert np.mean(np.abs(median - expected)) < 0.1 * np.mean(expected)
    assert [h["time"] for h in body["history"]] == [iso(t) for t in times[-168:]]
    assert body["history"][-1]["load_kw"] == pytest.approx(kw[-1], rel=1e-9)
    model = body["model"]
    assert model["version"] == 1 and model["status"] == "trained" and model["refusal"] is None
    assert model["training_end"] == iso(times[-1] + timedelta(hours=1))
    assert model["history_start"] == iso(times[0]) and model["covered_hours"] == WEEKS6
    assert "lag_day" in model["features"] and "lag_2week" in model["features"] and model["samples"] > 0
    day_ahead = model["backtest"]["day_ahead"]
    assert day_ahead["days"] == 14 and day_ahead["hours"] == 14 * 24
    # weekends break persistence; a 2 % noise is all the model cannot know
    assert day_ahead["mae_vs_persistence"] < 0.5
    assert day_ahead["mae_kw"] < 0.05 * np.mean(kw)
    assert 0.0 <= day_ahead["interval_coverage"] <= 1.0

    # training again without a new measured hour is the same version (the task is idempotent)
    assert tasks.forecast_train_task(tenant.pk, "asset", meter.asset_id) == 1
    assert ForecastModel.objects.filter(tenant=tenant).count() == 1


def test_the_day_ahead_is_served_by_the_model_trained_on_the_first_day_of_leads(plant):
    tenant, meter, _, _ = plant
    tasks.forecast_train_task(tenant.pk, "asset", meter.asset_id)
    row = ForecastModel.objects.get(tenant=tenant)
    assert forecast_model_loads(row, 24).config.horizon_h == 24
    assert forecast_model_loads(row, 168).config.horizon_h == 168

    day = (
        client(tenant, "read")
        .get("/api/v1/forecast", {"scope": "asset", "id": "MTR-1", "horizon": "24h"})
        .json()
    )
    week = (
        client(tenant, "read")
        .get("/api/v1/forecast", {"scope": "asset", "id": "MTR-1", "horizon": "168h"})
        .json()
    )
    assert len(day["points"]) == 24 and len(week["points"]) == 168
    # two models: the first day of the week's forecast is not the day model's forecast
    assert [p["load_kw"] for p in day["points"]] != [p["load_kw"] for p in week["points"][:24]]


def test_too_short_a_history_is_refused_with_its_reason_stored_and_returned(influx_settings):
    tenant = TenantFactory(name="young")
    asset = AssetFactory(tenant=tenant, asset_id="NEW-1", supply_site="main")
    times, kw = weekly_load(10 * 24, this_hour())
    write_rollups(asset.asset_id, times, kw)

    tasks.forecast_train_task(tenant.pk, "asset", "NEW-1")

    row = ForecastModel.objects.get(tenant=tenant)
    assert (row.status, row.refusal_rule, row.model_blob) == ("refused", "history_too_short", None)
    assert "240 h of history" in row.refusal_reason
    body = client(tenant, "read").get("/api/v1/forecast", {"scope": "asset", "id": "NEW-1"}).json()
    assert body["status"] == "refused" and body["points"] == []
    assert body["reason"] == row.refusal_reason
    assert body["model"]["refusal"] == {"rule": "history_too_short", "reason": row.refusal_reason}


def test_a_scope_never_trained_says_so(plant):
    tenant, *_ = plant
    body = client(tenant, "read").get("/api/v1/forecast", {"scope": "site", "id": "main"}).json()
    assert body["status"] == "not_trained" and body["model"] is None and body["points"] == []


def test_the_daily_task_trains_every_asset_site_and_fleet_and_the_site_is_the_sum(plant):
    tenant, _meter, times, kw = plant
    other = AssetFactory(tenant=tenant, asset_id="MTR-2", supply_site="main", asset_type="meter")
    kw2 = weekly_load(WEEKS6, this_hour(), base_kw=10.0, seed=1)[1]
    kw2[-30] = np.nan  # an hour MTR-2 missed: missing for the site, never a partial sum
    write_rollups(other.asset_id, times, kw2)

    assert tasks.forecasts_retrain_daily_task() == 4  # two assets, the site, the fleet

    rows = ForecastModel.objects.filter(tenant=tenant, status="trained")
    assert sorted((r.scope, r.scope_id) for r in rows) == [
        ("asset", "MTR-1"),
        ("asset", "MTR-2"),
        ("fleet", ""),
        ("site", "main"),
    ]
    body = (
        client(tenant, "read")
        .get("/api/v1/forecast", {"scope": "site", "id": "main", "horizon": "168h"})
        .json()
    )
    assert body["assets"] == ["MTR-1", "MTR-2"]
    history = [h["load_kw"] for h in body["history"]]
    assert history[-30] is None
    assert history[-1] == pytest.approx(kw[-1] + kw2[-1], rel=1e-9)
    assert len(body["points"]) == 168


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scope": "plant", "id": "main"}, "scope"),
        ({"id": "main"}, "scope"),
        ({"scope": "site"}, "id"),
        ({"scope": "fleet", "id": "main"}, "id"),
        ({"scope": "asset", "id": "MTR-1", "horizon": "48h"}, "horizon"),
        ({"scope": "asset", "id": "MTR-1", "horizon": ""}, "horizon"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(plant, params, field):
    tenant, *_ = plant
    resp = client(tenant, "read").get("/api/v1/forecast", params)
    assert resp.status_code == 400
    assert field in {e["field"] for e in resp.json()["errors"]}


def test_another_tenants_asset_or_site_is_404_like_a_missing_one(plant):
    stranger = client(TenantFactory(name="other"), "read")
    for params in (
        {"scope": "asset", "id": "MTR-1"},
        {"scope": "site", "id": "main"},
        {"scope": "asset", "id": "NOPE"},
    ):
        resp = stranger.get("/api/v1/forecast", params)
        assert resp.status_code == 404, params
    assert stranger.get("/api/v1/forecast", {"scope": "fleet"}).json()["assets"] == []


@pytest.mark.parametrize("role", ["operator", "manager", "admin"])
def test_every_dashboard_role_reads_the_forecast_and_an_ingest_token_does_not(plant, role):
    tenant, *_ = plant
    member_create(tenant=tenant, username="user1", password=PASSWORD, role=role)
    api = APIClient()
    assert api.login(username="user1", password=PASSWORD)
    assert api.get("/api/v1/forecast", {"scope": "fleet"}).status_code == 200
    assert client(tenant, "ingest").get("/api/v1/forecast", {"scope": "fleet"}).status_code == 403
    assert APIClient().get("/api/v1/forecast", {"scope": "fleet"}).status_code in (401, 403)


def test_a_scope_without_any_load_is_refused_once_not_once_a_day(influx_settings):
    tenant = TenantFactory(name="silent")
    AssetFactory(tenant=tenant, asset_id="QUIET-1", supply_site="main")

    assert tasks.forecast_train_task(tenant.pk, "site", "main") == 1
    assert tasks.forecast_train_task(tenant.pk, "site", "main") == 1

    row = ForecastModel.objects.get(tenant=tenant)
    assert (row.status, row.refusal_rule, row.covered_hours) == ("refused", "history_too_short", 0)
    assert row.refusal_reason.startswith("no hourly load in the 386 days before ")
    assert tasks.forecast_train_task(tenant.pk, "site", "elsewhere") is None  # no such site: nothing stored
    assert ForecastModel.objects.filter(tenant=tenant).count() == 1
