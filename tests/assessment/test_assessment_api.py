"""The assessment API: health (latest and history), alerts (list, detail, acknowledge, resolve) and
the fleet view; tenant isolation, scopes and error shapes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from assessment.models import Alert
from assessment.services import assessments_run
from tests.assessment.synth import T0, Scenario, make_baseline, write_scenario
from tests.factories import AssetFactory, token_for

H = timedelta(hours=1)
M = timedelta(minutes=1)


def client_for(tenant, *scopes) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return c


def z(t) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def assessed(sql_only, pump):
    """PUMP-07 with a baseline, 30 h of data: temperature excursion at 2-3 h, its own voltage dip
    (alone on its site: a local supply problem) at 5-6 h, vibration trend into zone C."""
    make_baseline(pump, T0 - 12 * H, T0)
    sc = Scenario(
        vibration=lambda h: 1.0 + 0.07 * h,
        temperature=lambda h: 97.0 if 2 <= h < 3 else 60.0,
        voltage=lambda h: 380.0 if 5 <= h < 6 else 415.0,
    )
    write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, sc, scored_from=T0)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    return pump


def test_health_latest_with_stale_evaluated_now(store, pump, api):
    make_baseline(pump, T0 - 12 * H, T0)
    write_scenario(
        store, pump.asset_id, T0, T0 + 30 * H, Scenario(vibration=lambda h: 1.0 + 0.07 * h), scored_from=T0
    )
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    resp = api.get("/api/v1/assets/PUMP-07/health")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["as_of"] == z(T0 + 29 * H + 50 * M)
    assert body["newest_event_time"] == z(T0 + 29 * H + 55 * M)
    # the data is ten days old in wall clock: stale now, although stored fresh
    assert body["stale"] is True and body["status"] == "stale" and body["stale_after_s"] == 900.0
    assert body["health_score"] < 100 and body["risk_level"] in ("Medium", "High", "Critical")
    assert body["rul_interval"][0] <= body["rul_days"] <= body["rul_interval"][1]
    assert body["explanation"].startswith("Risk is ")
    assert len(body["factors"]) == 8 and body["factors"][0]["name"] == "vibration"
    assert body["open_alerts"] and all(a["guidance"]["passages"] for a in body["open_alerts"])
    assert body["baseline_missing"] is False and body["contract_version"] == "1"
    # history: raw points and downsampled buckets
    q = f"start={z(T0)}&end={z(T0 + 30 * H)}"
    raw = api.get(f"/api/v1/assets/PUMP-07/health/history?{q}&resolution=raw").json()
    assert raw["resolution"] == "raw" and len(raw["series"]) == 30 * 6
    assert raw["series"][-1]["values"]["health_score"] == body["health_score"]
    hourly = api.get(f"/api/v1/assets/PUMP-07/health/history?{q}&resolution=1h").json()
    assert hourly["resolution"] == "3600s" and len(hourly["series"]) == 30
    first = hourly["series"][0]["values"]
    assert first["health_score"]["count"] == 6 and first["risk_code"]["max"] in (0, 1, 2, 3)


def test_health_states_no_data_and_no_baseline(sql_only, tenant, api):
    AssetFactory(tenant=tenant, asset_id="NEW-1")
    body = api.get("/api/v1/assets/NEW-1/health").json()
    assert body["status"] == "no_data" and body["health_score"] is None and body["stale"] is False
    assert body["explanation"] == "No data yet: the asset has sent no events."
    AssetFactory(tenant=tenant, asset_id="NOBASE-1")
    write_scenario(sql_only, "NOBASE-1", T0, T0 + 2 * H, Scenario())
    assessments_run(asset_id="NOBASE-1", start=T0, end=T0 + 2 * H)
    body = api.get("/api/v1/assets/NOBASE-1/health").json()
    assert (
        body["baseline_missing"] is True
        and body["rul_reason"] == "no_baseline"
        and body["rul_interval"] is None
    )


def test_tenant_isolation_and_errors(assessed, other_tenant, api):
    theirs = AssetFactory(tenant=other_tenant, asset_id="GLOBEX-9")
    for url in (
        f"/api/v1/assets/{theirs.asset_id}/health",
        f"/api/v1/assets/{theirs.asset_id}/health/history",
        "/api/v1/assets/NOPE/health",
    ):
        resp = api.get(url)
        assert resp.status_code == 404 and "detail" in resp.json()
    alert = Alert.objects.filter(asset=assessed).first()
    outsider = client_for(other_tenant, "read")
    assert outsider.get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    assert outsider.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {}, format="json").status_code == 404
    assert (
        outsider.post(f"/api/v1/alerts/{alert.pk}/resolve", {"note": "x"}, format="json").status_code == 404
    )
    assert outsider.get("/api/v1/alerts").json()["count"] == 0
    # bad input names the field
    # a reversed range holds no instant: an empty series, not an error (the schema allows it)
    empty = api.get(f"/api/v1/assets/PUMP-07/health/history?start={z(T0 + H)}&end={z(T0)}")
    assert empty.status_code == 200 and empty.json()["series"] == []
    blank = api.get("/api/v1/alerts?limit=")
    assert blank.status_code == 400 and blank.json()["errors"][0]["field"] == "limit"
    naive = api.get("/api/v1/assets/PUMP-07/health/history?start=2026-01-01T00:00:00")
    assert naive.status_code == 400 and naive.json()["errors"][0]["field"] == "start"
    res = api.get("/api/v1/assets/PUMP-07/health/history?resolution=fast")
    assert res.status_code == 400 and res.json()["errors"][0]["field"] == "resolution"
    assert api.get("/api/v1/alerts?state=closed").json()["errors"][0]["field"] == "state"
    assert api.get("/api/v1/alerts?limit=0").json()["errors"][0]["field"] == "limit"
    assert api.get("/api/v1/alerts?cause=bogus").status_code == 400
    not_uuid = api.get("/api/v1/alerts/not-a-uuid")
    assert not_uuid.status_code == 404 and not_uuid["Content-Type"] == "application/json"


def test_scopes(assessed, tenant):
    alert = Alert.objects.filter(asset=assessed, state="open").first()
    ingest_only = client_for(tenant, "ingest")
    for url in ("/api/v1/assets/PUMP-07/health", "/api/v1/alerts", "/api/v1/fleet/health"):
        assert ingest_only.get(url).status_code == 403
    assert ingest_only.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {}, format="json").status_code == 403
    assert APIClient().get("/api/v1/alerts").status_code == 401
    admin = client_for(tenant, "admin")  # admin implies read
    assert admin.get("/api/v1/fleet/health").status_code == 200
    reader = client_for(tenant, "read")  # operators acknowledge with read
    assert reader.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {}, format="json").status_code == 200


def test_alert_list_filters_and_pagination(assessed, api):
    from assessment.services import assets_stale_check

    assert assets_stale_check() == 1  # the data is days old: a no_data alert beside the incident
    all_alerts = api.get("/api/v1/alerts").json()
    assert all_alerts["count"] == len(all_alerts["results"]) == 2
    assert {a["kind"] for a in all_alerts["results"]} == {"equipment", "no_data"}
    opened = [a["opened_at"] for a in all_alerts["results"]]
    assert opened == sorted(opened, reverse=True)  # newest first
    # the temperature excursion and the voltage dip are conditions of one incident
    [inc] = api.get("/api/v1/alerts?kind=equipment").json()["results"]
    conds = {c["cause"]: c for c in inc["conditions"]}
    assert {"rule:temperature_limit", "rule:voltage_band", "risk_high"} <= set(conds)
    temp = conds["rule:temperature_limit"]
    assert (temp["first_seen_at"], temp["last_seen_at"], temp["peak_value"], temp["active"]) == (
        z(T0 + 2 * H),
        z(T0 + 2 * H + 50 * M),
        97.0,
        False,
    )
    assert (
        inc["state"] == "open" and inc["resolution"] is None and inc["reopen_count"] == 1
    )  # the vibration trend relapsed
    # the cause filter matches an alert's cause or any of its conditions
    by_condition = api.get("/api/v1/alerts?cause=rule:temperature_limit").json()["results"]
    assert [a["id"] for a in by_condition] == [inc["id"]]
    warn = api.get("/api/v1/alerts?severity=warning").json()["results"]
    assert [a["cause"] for a in warn] == ["no_data"] and warn[0]["conditions"] == []
    resolved = api.get("/api/v1/alerts?state=resolved").json()
    both = api.get("/api/v1/alerts?state=resolved&state=open").json()
    assert resolved["count"] == 0 and both["count"] == all_alerts["count"]
    assert api.get("/api/v1/alerts?asset_id=OTHER").json()["count"] == 0
    assert api.get("/api/v1/alerts?asset_id=PUMP-07").json()["count"] == all_alerts["count"]
    since = api.get(f"/api/v1/alerts?since={z(T0 + 4 * H)}").json()["results"]
    assert [a["kind"] for a in since] == ["no_data"]
    before = api.get(f"/api/v1/alerts?opened_before={z(T0 + 4 * H)}").json()["results"]
    assert [a["id"] for a in before] == [inc["id"]]
    assert api.get("/api/v1/alerts?kind=bogus").json()["errors"][0]["field"] == "kind"
    page = api.get("/api/v1/alerts?limit=1&offset=1").json()
    assert page["count"] == all_alerts["count"] and len(page["results"]) == 1
    assert page["results"][0]["id"] == all_alerts["results"][1]["id"]


def test_acknowledge_and_resolve_with_errors(assessed, api):
    alert = Alert.objects.get(asset=assessed, kind="equipment")
    detail = api.get(f"/api/v1/alerts/{alert.pk}").json()
    assert (detail["state"], detail["opened_at"], detail["resolution"]) == ("open", z(T0 + 2 * H), None)
    volt = next(c for c in detail["conditions"] if c["cause"] == "rule:voltage_band")
    # two consecutive grid points out of band: 5:10 and 5:20
    assert (volt["first_seen_at"], volt["last_seen_at"]) == (z(T0 + 5 * H + 20 * M), z(T0 + 5 * H + 50 * M))
    assert (detail["transitions"][0]["action"], detail["transitions"][0]["actor"]) == ("opened", "system")
    assert detail["notifications"] == []  # the tenant has no channel
    open_alert = Alert.objects.filter(asset=assessed, state="open").first()
    url = f"/api/v1/alerts/{open_alert.pk}"
    nul = api.post(f"{url}/acknowledge", {"comment": "on\x00it"}, format="json")
    assert nul.status_code == 400 and nul.json()["errors"][0]["field"] == "comment"
    resp = api.post(f"{url}/acknowledge", {"comment": "on it"}, format="json")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["state"] == "acknowledged" and body["comment"] == "on it"
    assert body["acknowledged_by"].startswith("token:")
    actions = [t["action"] for t in body["transitions"]]
    assert actions[0] == "opened" and actions[-1] == "acknowledged"
    again = api.post(f"{url}/acknowledge", {}, format="json")
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "state"
    missing = api.post(f"{url}/resolve", {}, format="json")
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "note"
    blank = api.post(f"{url}/resolve", {"note": "   "}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"][0]["field"] == "note"
    nul = api.post(f"{url}/resolve", {"note": "bearing\x00regreased"}, format="json")
    assert nul.status_code == 400 and nul.json()["errors"][0]["field"] == "note"
    done = api.post(f"{url}/resolve", {"note": "  bearing\nregreased "}, format="json")
    assert done.status_code == 200
    assert (done.json()["state"], done.json()["note"], done.json()["resolution"]) == (
        "resolved",
        "bearing\nregreased",
        "manual",
    )
    twice = api.post(f"{url}/resolve", {"note": "again"}, format="json")
    assert twice.status_code == 409
    assert api.post(f"{url}/acknowledge", {}, format="json").status_code == 409


def test_fleet_health(assessed, tenant, api):
    AssetFactory(tenant=tenant, asset_id="NEW-1")
    AssetFactory(tenant=tenant, asset_id="OFF-1", active=False)
    body = api.get("/api/v1/fleet/health").json()
    rows = {r["asset_id"]: r for r in body["assets"]}
    assert set(rows) == {"PUMP-07", "NEW-1"}  # inactive assets are left out
    pump = rows["PUMP-07"]
    open_count = Alert.objects.filter(asset=assessed, state__in=["open", "acknowledged"]).count()
    assert pump["open_alerts"] == open_count > 0
    assert pump["stale"] is True and pump["health_score"] is not None
    assert rows["NEW-1"] == {**rows["NEW-1"], "health_score": None, "stale": False, "open_alerts": 0}
    counts = body["counts"]
    assert counts["no_data"] == 1 and sum(counts.values()) == 2 and counts[pump["risk_level"]] == 1
    assert body["stale"] == 1


def member_client(tenant, role: str) -> APIClient:
    """A dashboard login of `tenant` with `role`, logged in by session (CSRF checks on)."""
    from ingestion.services import member_create

    member = member_create(
        tenant=tenant, username=f"{role}-{tenant.name}", password="Rotating-Machines-42", role=role
    )
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get("/api/v1/auth/me")  # sets the csrftoken cookie, as the dashboard's first call does
    client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def test_operator_session_acknowledges_and_the_audit_trail_names_the_user(assessed, tenant):
    alert = Alert.objects.filter(asset=assessed, state="open").first()
    operator = member_client(tenant, "operator")
    resp = operator.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {"comment": "crew sent"}, format="json")
    assert resp.status_code == 200, resp.content
    last = resp.json()["transitions"][-1]
    assert (last["action"], last["actor"], last["note"]) == ("acknowledged", "operator-acme", "crew sent")
    assert operator.get("/api/v1/fleet/health").status_code == 200


def test_manager_session_views_but_may_not_act_on_incidents(assessed, tenant):
    alert = Alert.objects.filter(asset=assessed, state="open").first()
    manager = member_client(tenant, "manager")
    assert manager.get(f"/api/v1/alerts/{alert.pk}").status_code == 200
    for action, body in (("acknowledge", {}), ("resolve", {"note": "done"})):
        resp = manager.post(f"/api/v1/alerts/{alert.pk}/{action}", body, format="json")
        assert resp.status_code == 403
        assert (
            "'incidents' permission" in resp.json()["detail"] and "operator or admin" in resp.json()["detail"]
        )
    alert.refresh_from_db()
    assert alert.state == "open"


def test_session_post_without_csrf_token_is_refused(assessed, tenant):
    alert = Alert.objects.filter(asset=assessed, state="open").first()
    operator = member_client(tenant, "operator")
    operator.credentials()  # drop the X-CSRFToken header: a cross-site form post looks like this
    resp = operator.post(f"/api/v1/alerts/{alert.pk}/acknowledge", {}, format="json")
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]
    alert.refresh_from_db()
    assert alert.state == "open"


def test_session_of_another_tenant_sees_nothing_of_this_one(assessed, tenant, other_tenant):
    alert = Alert.objects.filter(asset=assessed).first()
    outsider = member_client(other_tenant, "admin")
    assert outsider.get("/api/v1/assets/PUMP-07/health").status_code == 404
    assert outsider.get(f"/api/v1/alerts/{alert.pk}").status_code == 404
    assert outsider.get("/api/v1/alerts").json()["count"] == 0
    assert outsider.get("/api/v1/fleet/health").json()["assets"] == []


def test_fleet_health_rows_carry_the_rul_interval_of_the_latest_assessment(assessed, api):
    from assessment.models import Assessment

    latest = Assessment.objects.filter(asset=assessed).order_by("-as_of").first()
    row = next(r for r in api.get("/api/v1/fleet/health").json()["assets"] if r["asset_id"] == "PUMP-07")
    assert latest.rul_days is not None  # the fixture's vibration trend gives a number
    assert row["rul_interval"] == [latest.rul_low_days, latest.rul_high_days]
    assert row["rul_interval"][0] <= row["rul_days"] <= row["rul_interval"][1]
