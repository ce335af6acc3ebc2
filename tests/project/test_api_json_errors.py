"""Every error answer under /api/ is the JSON problem document (docs/CONTRACTS.md §1.4), also
those Django gives without a view of ours: an unknown path, a path value the route refuses, a
method the view lacks, an exception (500), a refused Host header; with DEBUG on as well."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import AssetFactory, TenantFactory, token_for


@pytest.fixture
def api(db):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PUMP-01")
    token = token_for(tenant, "ingest", "read", "admin")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json", response.content[:300]
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert b"<html" not in response.content.lower() and b"Traceback" not in response.content
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nope",
        "/api/nope",
        "/api",
        "/api/v2/assets",
        "/api/v1/alerts/null%2Cnull",
        "/api/v1/alerts/null,null/acknowledge",
        "/api/v1/alerts/not-a-uuid/resolve",
        "/api/v1/assets/PUMP-01/nope",
        "/api/v1/assets/",  # trailing slash: no redirect page either
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_path_or_malformed_id_answers_json_404(api, settings, path, debug):
    settings.DEBUG = debug
    body = assert_problem(api.get(path), 404)
    assert body["detail"].startswith("no API endpoint at /api")
    assert_problem(api.post(path, b"{}", content_type="application/json"), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/ingest"),
        ("get", "/api/v1/ingest"),
        ("put", "/api/v1/alerts"),
        ("delete", "/api/v1/assets/PUMP-01"),
        ("post", "/api/v1/fleet/health"),
        ("patch", "/api/v1/auth/me"),
    ],
)
def test_wrong_method_answers_json_405_with_allow(api, method, path):
    response = getattr(api, method)(path)
    assert_problem(response, 405)
    assert response["Allow"]


def test_an_exception_in_a_view_answers_json_500_without_traceback(api, monkeypatch, settings):
    from ingestion import selectors

    def boom(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "asset_list", boom)
    for debug in (False, True):
        settings.DEBUG = debug
        response = api.get("/api/v1/assets")
        body = assert_problem(response, 500)
        assert "secret internals" not in response.content.decode()
        assert body == {"detail": "internal server error; the failure is logged"}


def test_a_refused_host_answers_json_400(api):
    assert_problem(api.get("/api/v1/assets", HTTP_HOST="evil.example"), 400)


def test_form_and_multipart_bodies_are_refused_with_json_415(api):
    response = api.patch("/api/v1/assets/PUMP-01", "name=x", content_type="application/x-www-form-urlencoded")
    assert_problem(response, 415)
    response = api.post("/api/v1/assets", {"asset_id": "M-1", "name": "x"})  # multipart/form-data
    assert_problem(response, 415)


def test_pages_outside_the_api_keep_their_html(api):
    response = api.get("/admin/nope")
    assert response["Content-Type"].startswith("text/html")


def test_an_unreachable_database_answers_json_503_with_retry_after(api, monkeypatch):
    from django.db import OperationalError

    from ingestion import selectors

    def down(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(selectors, "asset_list", down)
    response = api.get("/api/v1/assets")
    assert_problem(response, 503)
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 7),
        ("rated_rpm", "1480"),
        ("active", "yes"),
        ("active", 1),
        ("iso_group", "2"),
        ("asset_id", 12),
    ],
)
def test_a_body_value_of_another_json_type_is_refused_not_coerced(api, field, value):
    body = {
        "asset_id": "M-9",
        "name": "Motor",
        "asset_type": "motor",
        "phase": "three",
        "rated_voltage_v": 415.0,
        "rated_current_a": 28.0,
        "rated_power_kw": 15.0,
        "rated_rpm": 1480,
        "iso_group": 2,
        "foundation": "rigid",
        field: value,
    }
    response = api.post("/api/v1/assets", body, content_type="application/json")
    errors = assert_problem(response, 400)["errors"]
    assert [e["field"] for e in errors] == [field]
    # the same body with the declared types is stored
    good = {
        **body,
        field: {"name": "Motor", "rated_rpm": 1480, "iso_group": 2, "asset_id": "M-9"}.get(field, True),
    }
    assert api.post("/api/v1/assets", good, content_type="application/json").status_code == 201
