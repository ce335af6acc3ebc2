"""The reports API: what it refuses (400 naming the field), who may use it (roles and scopes),
tenant isolation (404), the 202 path polled until ready, and expiry."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from ingestion.services import member_create
from reporting import services
from reporting.models import Report
from tests.factories import AssetFactory, TenantFactory, token_for

PASSWORD = "Rotating-Machines-42"
WEEK = {"start": "2025-01-01T00:00:00Z", "end": "2025-01-08T00:00:00Z"}


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    settings.LOGIN_RATE = "1000/min"
    return tmp_path


@pytest.fixture
def tenant(db):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PMP-1", supply_site="north")
    AssetFactory(tenant=tenant, asset_id="FAN-1", supply_site="main")
    return tenant


def _client(tenant, *scopes: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return api


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end": "2026-01-03T00:00:00Z"}, "end"),  # 367 days
        ({"end": "2024-12-31T00:00:00Z"}, "end"),  # before start
        ({"end": "2025-01-01T00:00:00Z"}, "end"),  # empty period
        ({"format": "docx"}, "format"),
        ({"scope": "plant"}, "scope"),
        ({"start": "2025-01-01T00:00:00"}, "start"),  # no zone
        ({"start": "2025-01-01T00:10:00Z"}, "start"),  # not a whole half-hour
        ({"scope": "asset", "id": ""}, "id"),
        ({"scope": "asset", "id": 7}, "id"),  # a JSON number is not coerced into an asset id
    ],
)
def test_refuses_a_bad_request_with_400_naming_the_field_and_stores_nothing(tenant, change, field):
    body = {"scope": "fleet", **WEEK, "format": "pdf", **change}
    resp = _client(tenant, "read").post("/api/v1/reports", body, format="json")
    assert resp.status_code == 400, resp.content
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert not Report.objects.exists()


def test_a_period_of_exactly_366_days_is_accepted(tenant):
    body = {"scope": "asset", "id": "PMP-1", "start": "2024-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}
    resp = _client(tenant, "read").post("/api/v1/reports", {**body, "format": "xlsx"}, format="json")
    assert resp.status_code in (200, 202), resp.content


def test_another_tenants_asset_site_or_report_answers_404(tenant):
    other = TenantFactory(name="globex")
    AssetFactory(tenant=other, asset_id="GLX-1", supply_site="east")
    api = _client(tenant, "read")
    for scope, ident in (("asset", "GLX-1"), ("site", "east"), ("asset", "NOPE")):
        body = {"scope": scope, "id": ident, **WEEK, "format": "pdf"}
        assert api.post("/api/v1/reports", body, format="json").status_code == 404
    theirs = _client(other, "read").post(
        "/api/v1/reports", {"scope": "fleet", **WEEK, "format": "xlsx"}, format="json"
    )
    report_id = theirs["X-Report-Id"]
    assert api.get(f"/api/v1/reports/{report_id}").status_code == 404
    assert api.get(f"/api/v1/reports/{report_id}/download").status_code == 404
    assert api.get("/api/v1/reports").json() == []
    assert api.get("/api/v1/reports/not-a-uuid").status_code == 404


@pytest.mark.parametrize(("role", "allowed"), [("manager", True), ("admin", True), ("operator", False)])
def test_managers_and_admins_download_reports_and_operators_do_not(tenant, role, allowed):
    member_create(tenant=tenant, username="user1", password=PASSWORD, role=role)
    client = APIClient()
    assert client.login(username="user1", password=PASSWORD)
    resp = client.post("/api/v1/reports", {"scope": "fleet", **WEEK, "format": "pdf"}, format="json")
    if allowed:
        assert resp.status_code == 200, resp.content
        assert resp.content.startswith(b"%PDF")
    else:
        assert resp.status_code == 403
        assert "reports" in resp.json()["detail"]
        assert client.get("/api/v1/reports").status_code == 403


def test_an_ingest_token_may_not_request_reports(tenant):
    resp = _client(tenant, "ingest").post(
        "/api/v1/reports", {"scope": "fleet", **WEEK, "format": "pdf"}, format="json"
    )
    assert resp.status_code == 403


@pytest.fixture
def celery_worker_env(tmp_path) -> dict[str, str]:
    return {"PDM_DATA_DIR": str(tmp_path)}  # the worker stores files where the API reads them


@pytest.mark.slow
def test_a_large_report_answers_202_and_a_real_worker_builds_it(settings, celery_worker):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PMP-1", supply_site="north")
    AssetFactory(tenant=tenant, asset_id="FAN-1", supply_site="main")
    settings.REPORTS_SYNC_MAX_ASSET_DAYS = 0  # every report is built by the task
    api = _client(tenant, "read")
    resp = api.post(
        "/api/v1/reports", {"scope": "site", "id": "north", **WEEK, "format": "xlsx"}, format="json"
    )
    assert resp.status_code == 202, resp.content
    body = resp.json()
    assert body["status"] == "queued" and body["download_url"] is None
    assert resp["Location"] == f"/api/v1/reports/{body['id']}"
    deadline = time.monotonic() + 60
    while (status := api.get(f"/api/v1/reports/{body['id']}").json())["status"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, celery_worker.log()
        time.sleep(0.3)
    assert status["status"] == "ready" and status["scope_id"] == "north", status
    assert "report_build_task" in celery_worker.log()
    download = api.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == (
        'attachment; filename="pdm-report-acme-20250101T0000Z-20250108T0000Z.xlsx"'
    )
    wb = load_workbook(io.BytesIO(download.content))
    assert [r[0] for r in wb["assets"].iter_rows(min_row=2, values_only=True)] == ["PMP-1"]


def test_a_queued_report_is_not_downloadable_yet(tenant):
    report = Report.objects.create(
        tenant=tenant,
        scope="fleet",
        period_start=timezone.now() - timedelta(days=1),
        period_end=timezone.now(),
        format="pdf",
        expires_at=timezone.now() + timedelta(days=1),
    )
    resp = _client(tenant, "read").get(f"/api/v1/reports/{report.pk}/download")
    assert resp.status_code == 409
    assert services.report_build(report_id=report.pk).status == "ready"
    assert PdfReader(
        io.BytesIO(_client(tenant, "read").get(f"/api/v1/reports/{report.pk}/download").content)
    ).pages


def test_building_twice_keeps_the_same_file(tenant, data_dir):
    resp = _client(tenant, "read").post(
        "/api/v1/reports", {"scope": "fleet", **WEEK, "format": "pdf"}, format="json"
    )
    report = Report.objects.get(pk=resp["X-Report-Id"])
    path = Path(data_dir) / report.file
    mtime = path.stat().st_mtime_ns
    assert services.report_build(report_id=report.pk).status == "ready"
    assert path.stat().st_mtime_ns == mtime


def test_expired_reports_are_deleted_with_their_files(tenant, data_dir, settings):
    settings.REPORTS_EXPIRE_DAYS = 3
    api = _client(tenant, "read")
    resp = api.post("/api/v1/reports", {"scope": "fleet", **WEEK, "format": "xlsx"}, format="json")
    report = Report.objects.get(pk=resp["X-Report-Id"])
    assert timedelta(days=3) - (report.expires_at - report.created_at) < timedelta(seconds=5)
    path = Path(data_dir) / report.file
    assert path.exists()
    assert services.reports_expire(now=timezone.now() + timedelta(days=2)) == 0
    assert services.reports_expire(now=timezone.now() + timedelta(days=3, seconds=1)) == 1
    assert not path.exists() and not Report.objects.exists()


def test_the_openapi_schema_documents_every_reports_status_code(tenant):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    post = schema["paths"]["/api/v1/reports"]["post"]["responses"]
    assert {"200", "202", "400", "403", "404"} <= set(post)
    assert {"200", "404", "409"} <= set(
        schema["paths"]["/api/v1/reports/{report_id}/download"]["get"]["responses"]
    )
    assert "200" in schema["paths"]["/api/v1/reports/{report_id}"]["get"]["responses"]
