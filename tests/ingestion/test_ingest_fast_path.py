"""POST /api/v1/ingest answers the same through its fast path as through DRF's full dispatch.

The fast path (ingestion.views.ingest_fast, taken by ingestion.middleware) takes authenticated, allowed, unthrottled JSON
posts; everything else goes through DRF. A query string sends a request the DRF way without
changing what it asks for, so each case is sent both ways and the answers compared whole:
status, body and every header.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from rest_framework.test import APIClient
from rest_framework.views import APIView

from ingestion.timeseries import get_store, reset_store
from tests.factories import AssetFactory, TenantFactory, token_for
from tests.ingestion.events import T0, body, event, series


@pytest.fixture
def sql_store(settings, db):
    settings.INFLUXDB_URL = ""
    reset_store()
    yield get_store()
    reset_store()


@pytest.fixture
def drf_dispatches(monkeypatch) -> list[str]:
    """The paths DRF's dispatch ran for (DRF's `initial` runs auth, permissions, throttles)."""
    seen: list[str] = []
    initial = APIView.initial

    def spy(self, request, *args, **kwargs):
        seen.append(request.get_full_path())
        return initial(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "initial", spy)
    return seen


def both_ways(client: APIClient, payload: bytes, **extra):
    fast = client.generic("POST", "/api/v1/ingest", payload, content_type="application/json", **extra)
    drf = client.generic("POST", "/api/v1/ingest?via=drf", payload, content_type="application/json", **extra)
    return fast, drf


def same_answer(fast, drf) -> None:
    assert fast.status_code == drf.status_code
    assert fast.content == drf.content
    assert dict(fast.headers) == dict(drf.headers)


def big_body() -> bytes:
    return b"[" + b" " * (10 * 1024 * 1024 + 10) + b"]"


CASES = {
    "one event": lambda a: json.dumps(event(a, T0)).encode(),
    "a batch": lambda a: body(series(a, 50)),
    "a contract violation": lambda a: body(
        [event(a, T0), event(a, T0 + timedelta(seconds=1), frequency_hz=61.0)]
    ),
    "an unknown asset": lambda a: body([event("NOPE-1", T0)]),
    "another tenant's asset": lambda a: body([event("THEIRS-1", T0)]),
    "a duplicate in the batch": lambda a: body([event(a, T0), event(a, T0)]),
    "an empty body": lambda a: b"",
    "invalid JSON": lambda a: b"[{",
    "more than 10 MB": lambda a: big_body(),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_answer_of_the_fast_path_is_the_answer_drf_gives(case, sql_store, drf_dispatches):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    AssetFactory(tenant=TenantFactory(name="globex"), asset_id="THEIRS-1")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    fast, drf = both_ways(client, CASES[case]("PUMP-01"))

    same_answer(fast, drf)
    assert drf_dispatches == ["/api/v1/ingest?via=drf"]  # the first one took the fast path
    if case in ("one event", "a batch"):
        assert fast.status_code == 201
        n = 1 if case == "one event" else 50
        assert sql_store.count(measurement="events", asset_id="PUMP-01") == n  # resent: same points
    else:
        assert fast.status_code in (403, 413, 422)
        assert sql_store.count(measurement="events") == 0


def test_a_spooled_batch_answers_202_the_same_both_ways(sql_store, drf_dispatches):
    from ingestion.models import SpoolEntry

    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    SpoolEntry.objects.create(tenant=tenant, payload={"measurement": "events", "points": []}, n_events=0)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    fast, drf = both_ways(client, body(series("PUMP-01", 5)))

    same_answer(fast, drf)
    assert fast.status_code == 202 and fast.json()["spooled"] is True
    assert drf_dispatches == ["/api/v1/ingest?via=drf"]


@pytest.mark.parametrize(
    ("case", "extra", "status"),
    [
        ("no token", {}, 401),
        ("a malformed token", {"HTTP_AUTHORIZATION": "Bearer pdm_0123456789_" + "x" * 43}, 401),
        ("an empty bearer", {"HTTP_AUTHORIZATION": "Bearer "}, 401),
        ("a read-only token", {"scopes": ("read",)}, 403),
        ("an Accept JSON cannot satisfy", {"HTTP_ACCEPT": "text/html"}, 406),
    ],
)
def test_requests_the_fast_path_does_not_take_get_drfs_refusal(
    case, extra, status, sql_store, drf_dispatches
):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    extra = dict(extra)
    scopes = extra.pop("scopes", ("ingest",))
    client = APIClient()
    if case != "no token":
        extra.setdefault("HTTP_AUTHORIZATION", f"Bearer {token_for(tenant, *scopes)}")

    resp = client.generic(
        "POST", "/api/v1/ingest", body([event("PUMP-01", T0)]), content_type="application/json", **extra
    )

    assert resp.status_code == status
    assert drf_dispatches == ["/api/v1/ingest"]
    assert "detail" in resp.json()
    if status == 401:
        assert resp["WWW-Authenticate"] == 'Bearer realm="api"'
    assert sql_store.count(measurement="events") == 0


def test_other_methods_and_content_types_get_drfs_405_and_415(sql_store, drf_dispatches):
    tenant = TenantFactory(name="acme")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    assert client.get("/api/v1/ingest").status_code == 405
    assert client.generic("POST", "/api/v1/ingest", b"a=1", content_type="text/plain").status_code == 415
    assert drf_dispatches == ["/api/v1/ingest"] * 2


def test_pretty_printing_clients_are_served_by_drf(sql_store, drf_dispatches):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    resp = client.generic(
        "POST",
        "/api/v1/ingest",
        body([event("PUMP-01", T0)]),
        content_type="application/json",
        HTTP_ACCEPT="application/json; indent=2",
    )

    assert resp.status_code == 201
    assert resp.content.decode() == json.dumps({"accepted": 1, "assets": 1, "spooled": False}, indent=2)
    assert drf_dispatches == ["/api/v1/ingest"]


@pytest.fixture
def view_dispatches(monkeypatch) -> list[str]:
    """The paths IngestView.dispatch ran for: the URL was resolved and the view called."""
    from ingestion.views import IngestView

    seen: list[str] = []
    dispatch = IngestView.dispatch

    def spy(self, request, *args, **kwargs):
        seen.append(request.get_full_path())
        return dispatch(self, request, *args, **kwargs)

    monkeypatch.setattr(IngestView, "dispatch", spy)
    return seen


def test_the_middleware_answers_a_device_before_the_url_is_resolved(sql_store, view_dispatches):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    ok = client.generic("POST", "/api/v1/ingest", body(series("PUMP-01", 3)), content_type="application/json")
    refused = client.generic("POST", "/api/v1/ingest", b"a=1", content_type="text/plain")

    assert ok.status_code == 201 and refused.status_code == 415
    assert view_dispatches == ["/api/v1/ingest"]  # only the request the fast path declined
    assert sql_store.count(measurement="events", asset_id="PUMP-01") == 3


def test_without_the_middleware_the_view_takes_the_fast_path_itself(
    settings, sql_store, view_dispatches, drf_dispatches
):
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "ingestion.middleware.IngestFastPathMiddleware"
    ]
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")

    fast, drf = both_ways(client, body(series("PUMP-01", 3)))

    same_answer(fast, drf)
    assert fast.status_code == 201
    assert view_dispatches == ["/api/v1/ingest", "/api/v1/ingest?via=drf"]
    assert drf_dispatches == ["/api/v1/ingest?via=drf"]
