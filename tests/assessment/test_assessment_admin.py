"""Admin: assessments read-only, alert actions through the services, write-only channel secrets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from assessment.models import Alert, AlertTransition, Assessment, NotificationChannel
from assessment.services import assessments_run, assets_stale_check
from tests.assessment.synth import T0, Scenario, write_scenario

H = timedelta(hours=1)


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


@pytest.fixture
def alerts(sql_only, pump):
    sc = Scenario(
        temperature=lambda h: 97.0 if h >= 1 else 60.0, power_factor=lambda h: 0.8 if h >= 1 else 0.93
    )
    write_scenario(sql_only, pump.asset_id, T0, T0 + 2 * H, sc)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 2 * H)
    assets_stale_check()  # the data is days old: a no_data alert beside the incident
    return list(Alert.objects.filter(asset=pump).order_by("kind"))


def test_pages_and_filters(admin_client, alerts):
    for url in (
        "/admin/assessment/assessment/?risk_level__exact=High&stale__exact=0&q=PUMP",
        "/admin/assessment/alert/?state__exact=open&kind__exact=equipment&severity__exact=high",
        f"/admin/assessment/alert/{alerts[0].pk}/change/",
        "/admin/assessment/notificationchannel/",
    ):
        assert admin_client.get(url).status_code == 200, url
    a = Assessment.objects.first()
    assert admin_client.get(f"/admin/assessment/assessment/{a.pk}/change/").status_code == 200
    assert admin_client.get("/admin/assessment/assessment/add/").status_code == 403


def test_acknowledge_and_resolve_actions_use_the_services(admin_client, alerts):
    ids = [str(a.pk) for a in alerts]
    resp = admin_client.post(
        "/admin/assessment/alert/", {"action": "acknowledge", "_selected_action": ids[:1]}
    )
    assert resp.status_code == 302
    first = Alert.objects.get(pk=ids[0])
    assert first.state == "acknowledged" and first.acknowledged_by == "admin:root"
    # resolve asks for a note first
    page = admin_client.post("/admin/assessment/alert/", {"action": "resolve", "_selected_action": ids})
    assert page.status_code == 200 and b"Resolve alerts" in page.content
    done = admin_client.post(
        "/admin/assessment/alert/",
        {"action": "resolve", "_selected_action": ids, "apply": "1", "note": "cooling fan replaced"},
    )
    assert done.status_code == 302
    assert {a.state for a in Alert.objects.filter(pk__in=ids)} == {"resolved"}
    assert set(Alert.objects.filter(pk__in=ids).values_list("note", flat=True)) == {"cooling fan replaced"}
    assert AlertTransition.objects.filter(actor="admin:root", action="resolved").count() == len(ids)


def test_channel_secret_is_write_only(admin_client, tenant):
    data = {
        "tenant": tenant.pk,
        "name": "ops hook",
        "kind": "webhook",
        "target": "https://hooks.example.com/pdm",
        "secret": "s3cr3t-value-xyz",
        "active": "on",
        "min_severity": "warning",
    }
    assert admin_client.post("/admin/assessment/notificationchannel/add/", data).status_code == 302
    channel = NotificationChannel.objects.get()
    assert channel.secret == "s3cr3t-value-xyz"
    page = admin_client.get(f"/admin/assessment/notificationchannel/{channel.pk}/change/")
    assert page.status_code == 200 and b"s3cr3t-value-xyz" not in page.content
    data["secret"] = ""
    data["min_severity"] = "high"
    assert (
        admin_client.post(f"/admin/assessment/notificationchannel/{channel.pk}/change/", data).status_code
        == 302
    )
    channel.refresh_from_db()
    assert channel.secret == "s3cr3t-value-xyz" and channel.min_severity == "high"
    # a webhook without a secret, or an email channel with a URL, is refused with a field error
    bad = admin_client.post(
        "/admin/assessment/notificationchannel/add/",
        {**data, "secret": "", "target": "https://other.example.com/x"},
    )
    assert bad.status_code == 200 and b"needs a secret" in bad.content
    bad = admin_client.post("/admin/assessment/notificationchannel/add/", {**data, "kind": "email"})
    assert bad.status_code == 200 and b"valid email address" in bad.content
