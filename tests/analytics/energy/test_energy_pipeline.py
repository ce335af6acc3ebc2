"""The pipeline keeps energy rollups and the healthy power model of a generator machine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from analytics.baseline_versions import baseline_activate, baseline_train
from analytics.energy.models import HealthyPowerFit
from analytics.energy.services import energy_rollups_rebuild
from analytics.models import Baseline
from ingestion import services as ingest_services
from ingestion.models import Tenant
from ingestion.timeseries import get_store, reset_store
from tests.analytics.fleet import healthy_fleet
from tests.factories import token_for

EPOCH = datetime(2000, 1, 2, tzinfo=UTC)
FAR = datetime(2262, 1, 1, tzinfo=UTC)


@pytest.fixture
def sql_pipeline(settings, transactional_db):
    settings.INFLUXDB_URL = ""
    reset_store()
    yield get_store()
    reset_store()


@override_settings(BASELINE_DEFAULT_HOURS=72, BASELINE_MIN_EVENTS=500)
def test_healthy_machine_reads_no_degradation_loss_and_rollups_hold_all_its_energy(sql_pipeline):
    events, manifest = healthy_fleet()
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    asset_id = manifest["assets"][0]["asset_id"]
    for i in range(0, len(events), 5000):
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(events[i : i + 5000]))
    store = get_store()
    rollups = store.read(measurement="energy", asset_id=asset_id, start=EPOCH, end=FAR)
    features = store.read(
        measurement="features", asset_id=asset_id, start=EPOCH, end=FAR, fields=["energy_kwh"]
    )
    rolled = sum(p.fields["kwh_m00"] + p.fields["kwh_m30"] for p in rollups)
    assert rolled == pytest.approx(sum(p.fields["energy_kwh"] for p in features), rel=1e-9)
    baseline = Baseline.objects.get(asset__asset_id=asset_id, active=True)
    assert HealthyPowerFit.objects.filter(baseline=baseline).count() == 1
    after = [p for p in rollups if p.time >= baseline.window_end]
    assert {p.fields["baseline_version"] for p in after} == {baseline.version}
    assert all(
        p.fields["model_s_m00"] == 0 for p in rollups if p.time < baseline.window_end - timedelta(hours=1)
    )

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    start = baseline.window_end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    end = rollups[-1].time + timedelta(hours=1)
    iso = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
    resp = api.get("/api/v1/energy", {"scope": "asset", "id": asset_id, "start": iso(start), "end": iso(end)})
    assert resp.status_code == 200, resp.content
    totals = resp.json()["totals"]
    assert totals["healthy_model_h"] > 0.5 * totals["running_h"]
    assert abs(totals["degradation_loss_kwh"]) < 0.02 * totals["measured_model_kwh"]
    assert totals["idle_running_h"] > 0  # the twin idles at shift changeovers and breaks


@override_settings(BASELINE_DEFAULT_HOURS=72, BASELINE_MIN_EVENTS=500)
def test_new_baseline_version_recomputes_degradation_of_every_hour_after_its_window(sql_pipeline):
    events, manifest = healthy_fleet()
    tenant = Tenant.objects.create(name="plant")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    asset_id = manifest["assets"][0]["asset_id"]
    t0 = datetime.fromisoformat(events[0]["timestamp"])
    batch_end = t0 + timedelta(hours=96)
    first_batch = [e for e in events if datetime.fromisoformat(e["timestamp"]) < batch_end]
    for i in range(0, len(first_batch), 5000):
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(first_batch[i : i + 5000]))
    old = Baseline.objects.get(asset__asset_id=asset_id, active=True)
    # a second version whose window ends 16 h before the newest event of the first batch
    new = baseline_train(
        asset=old.asset,
        window_start=t0 + timedelta(hours=48),
        window_end=t0 + timedelta(hours=80),
        activate=False,
    )
    baseline_activate(baseline=new, by="test", forced=True)
    later = [e for e in events if datetime.fromisoformat(e["timestamp"]) >= batch_end]
    ingest_services.events_ingest(tenant=tenant, body=json.dumps(later[:600]))

    store = get_store()
    rollups = store.read(measurement="energy", asset_id=asset_id, start=EPOCH, end=FAR)
    between = [p for p in rollups if old.window_end <= p.time < new.window_end - timedelta(hours=1)]
    after = [p for p in rollups if p.time >= new.window_end]
    assert between and {p.fields["baseline_version"] for p in between} == {old.version}
    assert len(after) >= 25 and {p.fields["baseline_version"] for p in after} == {new.version}
    # the hours only the first batch touched hold what a full recompute with the new model gives
    energy_rollups_rebuild(asset=old.asset)
    rebuilt = {
        p.time: p.fields
        for p in store.read(measurement="energy", asset_id=asset_id, start=new.window_end, end=FAR)
    }
    assert [p.fields for p in after] == [rebuilt[p.time] for p in after]
    assert sum(p.fields["model_s_m00"] for p in after) > 0
