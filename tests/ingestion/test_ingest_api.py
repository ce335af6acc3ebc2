"""POST /api/v1/ingest: strict contract, all-or-nothing batches, idempotent, tenant-isolated."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingestion.timeseries import get_store, reset_store
from tests.factories import AssetFactory, token_for
from tests.ingestion.conftest import post_events
from tests.ingestion.events import T0, body, event, series


@pytest.fixture(params=["sql", "influxdb"])
def store(request, settings, db):
    """Each test runs once against the SQL store and once against a real influxd."""
    if request.param == "influxdb":
        yield request.getfixturevalue("influx_settings")
    else:
        settings.INFLUXDB_URL = ""
        reset_store()
        yield get_store()
        reset_store()


def stored(store, asset_id: str, start=T0 - timedelta(days=1), end=T0 + timedelta(days=30)):
    return store.read(measurement="events", asset_id=asset_id, start=start, end=end)


def test_single_event_is_readable_from_the_store_right_after_201(api, asset, store):
    ev = event(asset.asset_id, T0, voltage_v=410.0, current_a=20.0, power_factor=0.8)
    resp = post_events(api, json.dumps(ev).encode())
    assert resp.status_code == 201, resp.content
    assert resp.json() == {"accepted": 1, "assets": 1, "spooled": False}
    points = stored(store, asset.asset_id)
    assert len(points) == 1
    p = points[0]
    assert p.time == T0
    assert p.fields["voltage_v"] == 410.0
    assert p.fields["event_id"] == ev["event_id"]
    # Three-phase derived signals: S = sqrt(3) V I, P = S PF, Q = S sqrt(1 - PF^2).
    s_kva = 3**0.5 * 410.0 * 20.0 / 1000
    assert p.fields["apparent_power_kva"] == pytest.approx(s_kva)
    assert p.fields["power_kw"] == pytest.approx(s_kva * 0.8)
    assert p.fields["reactive_power_kvar"] == pytest.approx(s_kva * 0.6)


def test_spectral_band_values_are_optional_and_stored_with_the_event(api, asset, store):
    bands = {
        "vibration_1x_mm_s": 0.82,
        "vibration_2x_mm_s": 0.31,
        "envelope_bpfo_g": 0.0042,
        "envelope_bpfi_g": 0.0011,
    }
    with_bands = event(asset.asset_id, T0, **bands)
    without = event(asset.asset_id, T0 + timedelta(seconds=10))  # an older sensor: no band values
    resp = post_events(api, body([with_bands, without]))
    assert resp.status_code == 201, resp.content
    first, second = stored(store, asset.asset_id)
    assert {k: first.fields[k] for k in bands} == bands
    assert not set(bands) & {k for k, v in second.fields.items() if v is not None}


def test_spectral_band_value_out_of_range_is_422_naming_field_and_rule(api, asset, store):
    resp = post_events(api, body([event(asset.asset_id, T0, envelope_bpfi_g=-0.01)]))
    assert resp.status_code == 422
    (err,) = resp.json()["errors"]
    assert (err["index"], err["field"], err["rule"]) == (0, "envelope_bpfi_g", "range")
    assert stored(store, asset.asset_id) == []


def test_single_phase_asset_derives_power_from_v_times_i(api, tenant, store):
    fan = AssetFactory(
        tenant=tenant,
        asset_id="FAN-1",
        phase="single",
        rated_voltage_v=230.0,
        rated_current_a=5.0,
        rated_power_kw=0.75,
    )
    resp = post_events(
        api, json.dumps(event(fan.asset_id, T0, voltage_v=230.0, current_a=4.0, power_factor=0.9)).encode()
    )
    assert resp.status_code == 201
    (p,) = stored(store, fan.asset_id)
    assert p.fields["power_kw"] == pytest.approx(230.0 * 4.0 * 0.9 / 1000)


def test_batch_of_events_is_stored_whole_and_counted(api, asset, store):
    events = series(asset.asset_id, 500)
    resp = post_events(api, body(events))
    assert resp.status_code == 201
    assert resp.json()["accepted"] == 500
    points = stored(store, asset.asset_id)
    assert [p.fields["event_id"] for p in points] == [e["event_id"] for e in events]


def test_resending_the_same_natural_key_does_not_duplicate(api, asset, store):
    events = series(asset.asset_id, 20)
    assert post_events(api, body(events)).status_code == 201
    assert post_events(api, body(events)).status_code == 201
    resent = [dict(e, current_a=99.0) for e in events[:5]]
    assert post_events(api, body(resent)).status_code == 201
    points = stored(store, asset.asset_id)
    assert len(points) == 20
    assert [p.fields["current_a"] for p in points[:5]] == [99.0] * 5


def test_one_bad_event_rejects_the_whole_batch_with_422_naming_index_and_field(api, asset, store):
    events = series(asset.asset_id, 10)
    events[7]["frequency_hz"] = 60.0
    resp = post_events(api, body(events))
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert errors == [{"index": 7, "field": "frequency_hz", "rule": "range", "message": errors[0]["message"]}]
    assert "55" in errors[0]["message"]
    assert stored(store, asset.asset_id) == []


def test_unknown_asset_is_422_and_stores_nothing(api, asset, store):
    events = [event(asset.asset_id, T0), event("NOPE-1", T0)]
    resp = post_events(api, body(events))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["index"] == 1
    assert resp.json()["errors"][0]["rule"] == "unknown_asset"
    assert stored(store, asset.asset_id) == []


def test_inactive_asset_is_refused(api, asset, store):
    asset.active = False
    asset.save()
    resp = post_events(api, body([event(asset.asset_id, T0)]))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["rule"] == "inactive_asset"


def test_token_of_tenant_a_cannot_write_tenant_b_asset(api, other_tenant, store):
    theirs = AssetFactory(tenant=other_tenant, asset_id="GLOBEX-9")
    resp = post_events(api, body([event(theirs.asset_id, T0)]))
    assert resp.status_code == 403
    assert stored(store, theirs.asset_id) == []


def test_token_of_tenant_a_cannot_read_tenant_b_asset(api, other_tenant, store):
    theirs = AssetFactory(tenant=other_tenant, asset_id="GLOBEX-9")
    for path in ("", "/signals", "/latest"):
        resp = api.get(f"/api/v1/assets/{theirs.asset_id}{path}")
        assert resp.status_code == 404, path


def test_missing_or_bad_token_is_401(client, asset, db):
    resp = client.post("/api/v1/ingest", body([event(asset.asset_id, T0)]), content_type="application/json")
    assert resp.status_code == 401
    resp = client.post(
        "/api/v1/ingest",
        body([event(asset.asset_id, T0)]),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer pdm_0123456789_" + "x" * 43,
    )
    assert resp.status_code == 401


def test_revoked_token_is_401(api, tenant, asset, db):
    from rest_framework.test import APIClient

    from ingestion import services
    from ingestion.models import ApiToken

    secret = token_for(tenant, "ingest")
    services.api_token_revoke(token=ApiToken.objects.get(prefix=secret.split("_")[1]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert post_events(client, body([event(asset.asset_id, T0)])).status_code == 401


def test_read_only_token_cannot_ingest(tenant, asset, db):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    resp = post_events(client, body([event(asset.asset_id, T0)]))
    assert resp.status_code == 403
    assert "ingest" in resp.json()["detail"]


def test_more_than_10000_events_is_413(api, asset, db):
    events = series(asset.asset_id, 10_001, step_s=1)
    resp = post_events(api, body(events))
    assert resp.status_code == 413


def test_body_over_10_mb_is_413_before_parsing(api, asset, db):
    resp = post_events(api, b"[" + b" " * (10 * 1024 * 1024 + 10) + b"]")
    assert resp.status_code == 413


def test_non_json_content_type_is_415(api, asset, db):
    resp = api.generic("POST", "/api/v1/ingest", b"voltage=1", content_type="text/plain")
    assert resp.status_code == 415


def test_future_timestamp_beyond_five_minutes_is_rejected(api, asset, store):
    future = datetime.now(UTC) + timedelta(minutes=10)
    resp = post_events(api, body([event(asset.asset_id, future)]))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["rule"] == "future_timestamp"


def test_throttled_token_gets_429_with_retry_after(api, asset, db):
    from django.core.cache import cache

    from ingestion.throttling import TokenRateThrottle

    cache.clear()
    old = TokenRateThrottle.THROTTLE_RATES
    TokenRateThrottle.THROTTLE_RATES = {"token": "3/min"}
    try:
        responses = [api.get(f"/api/v1/assets/{asset.asset_id}") for _ in range(4)]
    finally:
        TokenRateThrottle.THROTTLE_RATES = old
        cache.clear()
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert int(responses[3]["Retry-After"]) > 0


def test_event_older_than_raw_retention_is_refused_instead_of_silently_dropped(api, asset, store, settings):
    old = datetime.now(UTC) - settings.RAW_RETENTION - timedelta(hours=1)
    resp = post_events(api, body([event(asset.asset_id, T0), event(asset.asset_id, old)]))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["index"] == 1
    assert resp.json()["errors"][0]["rule"] == "beyond_retention"
    assert stored(store, asset.asset_id, start=old - timedelta(days=1)) == []


def test_device_clock_reset_to_1970_is_refused(api, asset, db):
    resp = post_events(api, body([event(asset.asset_id, datetime(1970, 1, 1, tzinfo=UTC))]))
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["rule"] == "timestamp_too_old"
