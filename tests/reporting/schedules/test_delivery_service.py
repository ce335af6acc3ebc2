"""One scheduled run, in process, against a real local SMTP server (aiosmtpd): the period's reports are
built and mailed as attachments, a second run of the same period sends nothing, transient SMTP refusals
are retried and permanent ones fail at once, each recorded on the delivery."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import openpyxl
import pytest
from pypdf import PdfReader

from ingestion.timeseries import reset_store
from reporting.models import Report, ReportDelivery, ReportSchedule
from reporting.schedules import services
from reporting.summary import NO_DATA_TEXT

NOW = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 06:30 in Kolkata on the 10th
PERIOD = (datetime(2026, 3, 8, 18, 30, tzinfo=UTC), datetime(2026, 3, 9, 18, 30, tzinfo=UTC))


@pytest.fixture
def sql_store(settings, db):
    settings.INFLUXDB_URL = ""
    reset_store()
    yield
    reset_store()


@pytest.fixture
def schedule(pump, sql_store, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return services.schedule_save(
        schedule=ReportSchedule(
            tenant=pump.tenant,
            scope="asset",
            scope_id="PUMP-07",
            period_rule="previous_day",
            formats="both",
            recipients=["plant.manager@example.com", "director@example.com"],
        )
    )


def pdf_text(data: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(data)).pages)


def attachments(message) -> dict[str, tuple[str, bytes]]:
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
        for part in message.iter_attachments()
    }


def test_a_run_mails_the_previous_local_days_pdf_and_excel(schedule, smtp_settings):
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    assert (delivery.period_start, delivery.period_end) == PERIOD
    assert delivery.timezone == "Asia/Kolkata"
    delivery = services.delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 1, "")
    assert delivery.sent_at is not None
    [message] = smtp_settings.messages
    assert sorted(message["To"].addresses[i].addr_spec for i in range(2)) == [
        "director@example.com",
        "plant.manager@example.com",
    ]
    assert "2026-03-09 to 2026-03-10" in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Period (Asia/Kolkata): 2026-03-09 00:00 to 2026-03-10 00:00" in body
    assert "Period (UTC): 2026-03-08T18:30:00Z to 2026-03-09T18:30:00Z" in body
    files = attachments(message)
    assert sorted(files) == [
        "pdm-report-acme-20260308T1830Z-20260309T1830Z.pdf",
        "pdm-report-acme-20260308T1830Z-20260309T1830Z.xlsx",
    ]
    pdf_type, pdf = files["pdm-report-acme-20260308T1830Z-20260309T1830Z.pdf"]
    xlsx_type, xlsx = files["pdm-report-acme-20260308T1830Z-20260309T1830Z.xlsx"]
    assert pdf_type == "application/pdf"
    assert xlsx_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # the pump has no data in the period: the report says so instead of printing zeros
    assert " ".join(NO_DATA_TEXT.split()[:6]) in " ".join(pdf_text(pdf).split())
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx))
    assert "assets" in workbook.sheetnames
    cells = [c for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert NO_DATA_TEXT in cells


def test_a_second_run_of_the_same_period_builds_and_sends_nothing_more(schedule, smtp_settings):
    first = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    again = services.schedule_run(schedule_id=schedule.pk, now=NOW.replace(hour=5))  # same local day
    assert again.pk == first.pk
    assert Report.objects.count() == 2
    services.delivery_send(delivery_id=first.pk)
    services.schedule_run(schedule_id=schedule.pk, now=NOW)
    assert services.delivery_send(delivery_id=first.pk).attempts == 1
    assert len(smtp_settings.messages) == 1
    assert ReportDelivery.objects.count() == 1


def test_a_transient_refusal_is_retried_and_counted(schedule, smtp_settings):
    smtp_settings.refuse_next(1)
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    with pytest.raises(services.DeliveryRetry):
        services.delivery_send(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "451" in delivery.error
    delivery = services.delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")
    assert len(smtp_settings.messages) == 1


def test_gives_up_after_the_last_attempt_with_the_error(schedule, smtp_settings, settings):
    settings.REPORT_EMAIL_MAX_ATTEMPTS = 2
    smtp_settings.refuse_next(5)
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    with pytest.raises(services.DeliveryRetry):
        services.delivery_send(delivery_id=delivery.pk)
    delivery = services.delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts) == ("failed", 2)
    assert delivery.error.startswith("attempt 2: SMTPDataError") and "451" in delivery.error
    assert smtp_settings.messages == []


def test_a_permanent_refusal_fails_at_once(schedule, smtp_settings):
    smtp_settings.refuse_next(1, "550 5.7.1 Relaying denied")
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    delivery = services.delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "550" in delivery.error


def test_an_unreachable_server_is_transient(schedule, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: connection refused
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    with pytest.raises(services.DeliveryRetry, match="ConnectionRefusedError"):
        services.delivery_send(delivery_id=delivery.pk)


def test_a_disabled_schedule_does_not_run(schedule):
    schedule.enabled = False
    services.schedule_save(schedule=schedule)
    assert not schedule.periodic_task.enabled
    assert services.schedule_run(schedule_id=schedule.pk, now=NOW) is None
    assert not ReportDelivery.objects.exists()


def test_a_send_whose_task_was_lost_is_queued_again_after_five_minutes(schedule, smtp_settings):
    from datetime import timedelta

    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    due = delivery.next_attempt_at
    assert due is not None  # built, waiting for its send task (which we "lose" here)
    assert services.deliveries_requeue_stalled(now=due + timedelta(minutes=4)) == []
    assert services.deliveries_requeue_stalled(now=due + timedelta(minutes=6)) == [delivery.pk]
    # marked due again: the next sweep leaves it to the task just queued
    assert services.deliveries_requeue_stalled(now=due + timedelta(minutes=7)) == []
    delivery = services.delivery_send(delivery_id=delivery.pk)
    assert (delivery.status, delivery.next_attempt_at) == ("sent", None)
    assert services.deliveries_requeue_stalled(now=due + timedelta(days=1)) == []


def test_a_retry_is_due_after_the_backoff(schedule, smtp_settings, settings):
    settings.REPORT_EMAIL_RETRY_BASE_S = 60
    smtp_settings.refuse_next(2)
    delivery = services.schedule_run(schedule_id=schedule.pk, now=NOW)
    countdowns = []
    for _ in range(2):
        with pytest.raises(services.DeliveryRetry) as raised:
            services.delivery_send(delivery_id=delivery.pk)
        countdowns.append(raised.value.countdown_s)
    assert countdowns == [60, 120]
    delivery.refresh_from_db()
    assert 110 <= (delivery.next_attempt_at - delivery.created_at).total_seconds()
