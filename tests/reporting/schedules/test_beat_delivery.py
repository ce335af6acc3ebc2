"""End to end with real processes: a report schedule created through the API while a real
`celery beat` (database scheduler) runs on Redis, due within the minute, is fired by it; a real
worker builds the PDF and the Excel file and mails them to a real SMTP server (aiosmtpd) that
refuses the first attempt; the retry delivers and the delivery records two attempts, `sent`, in the
database and the API."""

from __future__ import annotations

import io
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import timezone
from pypdf import PdfReader

from reporting.models import ReportDelivery, ReportSchedule
from reporting.summary import NO_DATA_TEXT

from .conftest import session_client

pytestmark = pytest.mark.slow
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.fixture
def celery_worker_env(smtp_server, tmp_path):
    return {
        **smtp_server.env(),
        "INFLUXDB_URL": "",  # the SQL time-series store: this test is about scheduling and mail
        "PDM_DATA_DIR": str(tmp_path / "data"),
        "REPORT_EMAIL_RETRY_BASE_S": "1",
    }


def next_whole_minute() -> datetime:
    """The next minute boundary at least 10 s away (beat must be up before it)."""
    now = timezone.now()
    if now.second > 45:
        time.sleep(61 - now.second)
        now = timezone.now()
    return (now + timedelta(minutes=1)).replace(second=0, microsecond=0)


def wait_for(predicate, timeout_s: float, what: str, logs):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n" + "\n".join(log()[-4000:] for log in logs))


@pytest.mark.django_db(transaction=True)
def test_beat_fires_a_new_schedule_and_the_retried_mail_arrives_with_both_files(
    pump, smtp_server, celery_worker_env, request
):
    worker = request.getfixturevalue("celery_worker")
    beat = request.getfixturevalue("celery_beat")
    logs = (worker.log, beat.log)
    # created while beat runs: saving the PeriodicTask makes the database scheduler reload
    due = next_whole_minute()
    local_due = due.astimezone(KOLKATA)
    smtp_server.refuse_next(1)  # the relay answers 451 to the first DATA
    manager = session_client(pump.tenant, "manager")
    created = manager.post(
        "/api/v1/report-schedules",
        {
            "scope": "asset",
            "scope_id": "PUMP-07",
            "period_rule": "previous_day",
            "formats": "both",
            "recipients": ["plant.manager@example.com"],
            "run_at": local_due.strftime("%H:%M"),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    schedule = ReportSchedule.objects.get(pk=created.json()["id"])

    [message] = wait_for(lambda: smtp_server.messages, 150, "the report e-mail", logs)
    assert smtp_server.refused == 1
    delivery = wait_for(
        lambda: ReportDelivery.objects.filter(schedule=schedule, status="sent").first(), 30, "sent", logs
    )
    assert delivery.attempts == 2
    assert delivery.sent_at >= due
    # the period is the local day before the run, in Kolkata
    yesterday = local_due.date() - timedelta(days=1)
    assert delivery.period_start == datetime.combine(yesterday, datetime.min.time(), tzinfo=KOLKATA)
    assert delivery.period_end - delivery.period_start == timedelta(days=1)

    files = {part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()}
    assert sorted(name.rsplit(".", 1)[1] for name in files) == ["pdf", "xlsx"]
    pdf = next(data for name, data in files.items() if name.endswith(".pdf"))
    xlsx = next(data for name, data in files.items() if name.endswith(".xlsx"))
    text = " ".join(" ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert " ".join(NO_DATA_TEXT.split()[:6]) in text  # no data in the period: said, not zeros
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx))
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert NO_DATA_TEXT in cells

    [listed] = manager.get(f"/api/v1/report-schedules/{schedule.pk}/deliveries").json()
    assert (listed["status"], listed["attempts"], listed["error"]) == ("sent", 2, "")
    assert sorted(r["format"] for r in listed["reports"]) == ["pdf", "xlsx"]
    fired = f"Sending due task report-schedule-{schedule.pk} (reporting.schedules.tasks.report_schedule_run)"
    assert fired in beat.log()
