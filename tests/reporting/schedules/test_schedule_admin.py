"""The Django admin edits report schedules through the same rules and service as the API: a saved
schedule gets its periodic task, a bad value is refused with the field's message, a delete removes
the periodic task; the beat entries themselves are editable under Periodic tasks."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django_celery_beat.models import PeriodicTask

from reporting.models import ReportSchedule


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


def schedule_form(tenant, **overrides) -> dict:
    data = {
        "tenant": tenant.pk,
        "name": "Weekly site report",
        "scope": "site",
        "scope_id": "pune",
        "period_rule": "previous_week",
        "formats": "pdf",
        "recipients": json.dumps(["plant.manager@example.com"]),
        "enabled": "on",
        "run_at": "08:00",
        "cron": "",
        "deliveries-TOTAL_FORMS": "0",
        "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0",
        "deliveries-MAX_NUM_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_creates_a_schedule_with_its_periodic_task(admin_client, pump):
    resp = admin_client.post("/admin/reporting/reportschedule/add/", schedule_form(pump.tenant))
    assert resp.status_code == 302, resp.context["adminform"].form.errors if resp.context else resp
    schedule = ReportSchedule.objects.get()
    assert schedule.created_by == "root"
    cron = schedule.periodic_task.crontab
    assert (cron.minute, cron.hour, cron.day_of_week, str(cron.timezone)) == ("0", "8", "1", "Asia/Kolkata")
    assert (
        admin_client.get(
            f"/admin/django_celery_beat/periodictask/{schedule.periodic_task_id}/change/"
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"recipients": json.dumps(["nobody"])}, "recipients", "recipients[0] 'nobody'"),
        ({"scope_id": "nowhere"}, "scope_id", "no site 'nowhere'"),
        ({"cron": "0 25 * * *"}, "cron", "cron hour '25'"),
    ],
)
def test_admin_refuses_bad_values_naming_the_field(admin_client, pump, overrides, field, fragment):
    resp = admin_client.post("/admin/reporting/reportschedule/add/", schedule_form(pump.tenant, **overrides))
    assert resp.status_code == 200
    errors = resp.context["adminform"].form.errors
    assert fragment in " ".join(errors[field])
    assert not ReportSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name__startswith="report-schedule-").exists()


def test_admin_delete_removes_the_periodic_task(admin_client, pump):
    admin_client.post("/admin/reporting/reportschedule/add/", schedule_form(pump.tenant))
    schedule = ReportSchedule.objects.get()
    resp = admin_client.post(f"/admin/reporting/reportschedule/{schedule.pk}/delete/", {"post": "yes"})
    assert resp.status_code == 302
    assert not ReportSchedule.objects.exists()
    assert not PeriodicTask.objects.filter(name=f"report-schedule-{schedule.pk}").exists()


def test_admin_lists_deliveries(admin_client, pump):
    assert admin_client.get("/admin/reporting/reportdelivery/").status_code == 200
    assert admin_client.get("/admin/reporting/reportschedule/").status_code == 200
