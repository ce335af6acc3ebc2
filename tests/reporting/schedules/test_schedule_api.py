"""The report-schedule API: managers and admins manage schedules, each with its beat PeriodicTask;
bad input is a 400 naming the field and stores nothing; another tenant's schedule is a 404."""

from __future__ import annotations

import json

import pytest
from django_celery_beat.models import PeriodicTask

from reporting.models import ReportDelivery, ReportSchedule

from .conftest import session_client, token_client

URL = "/api/v1/report-schedules"


def body(**overrides):
    data = {
        "name": "Daily pump report",
        "scope": "asset",
        "scope_id": "PUMP-07",
        "period_rule": "previous_day",
        "formats": "both",
        "recipients": ["plant.manager@example.com", "director@example.com"],
        "run_at": "07:30",
    }
    return {**data, **overrides}


def errors_of(resp) -> dict[str, str]:
    return {e["field"]: e["message"] for e in resp.json()["errors"]}


def test_manager_creates_a_schedule_with_its_periodic_task_at_site_local_time(pump, manager):
    resp = manager.post(URL, body(), format="json")
    assert resp.status_code == 201, resp.json()
    data = resp.json()
    assert data["timezone"] == "Asia/Kolkata"
    assert data["run_at"] == "07:30"
    assert data["created_by"] == "manager-acme"
    schedule = ReportSchedule.objects.get(pk=data["id"])
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert task.task == "reporting.schedules.tasks.report_schedule_run"
    assert json.loads(task.args) == [schedule.pk]
    assert task.enabled
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_month, cron.day_of_week) == ("30", "7", "*", "*")
    assert str(cron.timezone) == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("rule", "day_of_month", "day_of_week"),
    [("previous_week", "*", "1"), ("previous_month", "1", "*")],
)
def test_weekly_runs_on_mondays_and_monthly_on_the_first(pump, manager, rule, day_of_month, day_of_week):
    resp = manager.post(URL, body(period_rule=rule), format="json")
    cron = ReportSchedule.objects.get(pk=resp.json()["id"]).periodic_task.crontab
    assert (cron.day_of_month, cron.day_of_week) == (day_of_month, day_of_week)


def test_patch_moves_and_disables_the_periodic_task_and_delete_removes_it(pump, manager):
    sid = manager.post(URL, body(), format="json").json()["id"]
    resp = manager.patch(f"{URL}/{sid}", {"enabled": False, "cron": "15 5 * * 1-5"}, format="json")
    assert resp.status_code == 200, resp.json()
    task = ReportSchedule.objects.get(pk=sid).periodic_task
    assert not task.enabled
    cron = task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week) == ("15", "5", "1-5")
    assert manager.get(f"{URL}/{sid}").json()["recipients"] == body()["recipients"]  # untouched by PATCH
    assert manager.delete(f"{URL}/{sid}").status_code == 204
    assert not ReportSchedule.objects.filter(pk=sid).exists()
    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


def test_fleet_schedule_uses_the_zone_all_sites_share_else_utc(tenant, pump, manager, other_tenant):
    resp = manager.post(URL, body(scope="fleet", scope_id=""), format="json")
    assert resp.json()["timezone"] == "Asia/Kolkata"
    from ingestion.models import Site

    Site.objects.create(tenant=tenant, code="berlin", timezone="Europe/Berlin")
    assert manager.get(f"{URL}/{resp.json()['id']}").json()["timezone"] == "UTC"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"recipients": ["plant.manager@example.com", "not-an-address"]}, "recipients", "recipients[1]"),
        ({"recipients": []}, "recipients", "non-empty"),
        ({"period_rule": "previous_year"}, "period_rule", "unknown period rule 'previous_year'"),
        ({"formats": "csv"}, "formats", "unknown formats 'csv'"),
        ({"scope": "plant"}, "scope", "unknown scope 'plant'"),
        ({"scope_id": "PUMP-99"}, "scope_id", "no asset 'PUMP-99' in this tenant"),
        ({"scope": "site", "scope_id": "mumbai"}, "scope_id", "no site 'mumbai'"),
        ({"scope": "fleet", "scope_id": "PUMP-07"}, "scope_id", "must be empty"),
        ({"cron": "61 6 * * *"}, "cron", "cron minute '61'"),
        ({"cron": "0 6 * *"}, "cron", "5 fields"),
        ({"cron": "0,, 6 * * *"}, "cron", "cron minute '0,,' is invalid"),
        ({"cron": "0 6 * * 8"}, "cron", "0-6 (0 = Sunday)"),
        ({"run_at": "25:00"}, "run_at", ""),
        ({"scope_id": 0}, "scope_id", "must be a JSON string"),  # no coercion of JSON types
        ({"enabled": "yes"}, "enabled", "must be a JSON boolean"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(pump, manager, overrides, field, fragment):
    resp = manager.post(URL, body(**overrides), format="json")
    assert resp.status_code == 400
    errors = errors_of(resp)
    assert field in errors, errors
    assert fragment in errors[field]
    assert not ReportSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="report-schedule-").exists()


def test_patch_with_bad_input_changes_nothing(pump, manager):
    sid = manager.post(URL, body(), format="json").json()["id"]
    resp = manager.patch(f"{URL}/{sid}", {"recipients": ["x@"]}, format="json")
    assert resp.status_code == 400
    assert "recipients" in errors_of(resp)
    assert ReportSchedule.objects.get(pk=sid).recipients == body()["recipients"]


def test_another_tenants_asset_is_unknown_and_its_schedules_are_404(pump, manager, other_tenant):
    from tests.factories import AssetFactory

    AssetFactory(tenant=other_tenant, asset_id="GLX-1")
    assert "scope_id" in errors_of(manager.post(URL, body(scope_id="GLX-1"), format="json"))
    theirs = session_client(other_tenant, "manager")
    sid = theirs.post(URL, body(scope_id="GLX-1"), format="json").json()["id"]
    assert manager.get(URL).json() == []
    for resp in (
        manager.get(f"{URL}/{sid}"),
        manager.patch(f"{URL}/{sid}", {"enabled": False}, format="json"),
        manager.delete(f"{URL}/{sid}"),
        manager.get(f"{URL}/{sid}/deliveries"),
    ):
        assert resp.status_code == 404
    assert ReportSchedule.objects.get(pk=sid).enabled


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        (("session", "operator"), False),
        (("session", "manager"), True),
        (("session", "admin"), True),
        (("token", "read"), False),
        (("token", "admin"), True),
    ],
)
def test_only_managers_admins_and_admin_tokens_manage_schedules(tenant, pump, who, allowed):
    kind, name = who
    client = session_client(tenant, name) if kind == "session" else token_client(tenant, name)
    listed = client.get(URL)
    created = client.post(URL, body(), format="json")
    assert (listed.status_code, created.status_code) == ((200, 201) if allowed else (403, 403))
    if not allowed:
        assert "'schedules' permission" in created.json()["detail"]
        assert not ReportSchedule.objects.exists()


def test_deliveries_list_the_runs_with_status_attempts_and_error(pump, manager):
    from datetime import UTC, datetime

    sid = manager.post(URL, body(), format="json").json()["id"]
    schedule = ReportSchedule.objects.get(pk=sid)
    ReportDelivery.objects.create(
        schedule=schedule,
        period_start=datetime(2026, 3, 1, 18, 30, tzinfo=UTC),
        period_end=datetime(2026, 3, 2, 18, 30, tzinfo=UTC),
        timezone="Asia/Kolkata",
        recipients=schedule.recipients,
        status="failed",
        attempts=5,
        error="attempt 5: SMTPDataError: (451, b'busy')",
    )
    [delivery] = manager.get(f"{URL}/{sid}/deliveries").json()
    assert delivery["status"] == "failed"
    assert delivery["attempts"] == 5
    assert delivery["error"].startswith("attempt 5")
    assert delivery["period_start"] == "2026-03-01T18:30:00Z"
    assert manager.get(f"{URL}/{sid}").json()["last_delivery"]["status"] == "failed"


def test_openapi_documents_the_schedule_endpoints(db, client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/report-schedules"]) >= {"get", "post"}
    assert set(paths["/api/v1/report-schedules/{schedule_id}"]) >= {"get", "patch", "delete"}
    assert "get" in paths["/api/v1/report-schedules/{schedule_id}/deliveries"]
