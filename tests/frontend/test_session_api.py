"""Dashboard logins: session login with CSRF, logout, who-am-I with role and capabilities,
attempt throttling, and the create_member command."""

from __future__ import annotations

import uuid

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from ingestion.models import TenantMember
from ingestion.services import member_create
from tests.factories import AssetFactory, TenantFactory, token_for

PASSWORD = "Rotating-Machines-42"


@pytest.fixture(autouse=True)
def generous_login_rate(settings):
    """The attempt log lives in the shared cache across tests; only the throttle test is strict."""
    settings.LOGIN_RATE = "1000/min"


@pytest.fixture
def tenant(db):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PMP-1", supply_site="north")
    AssetFactory(tenant=tenant, asset_id="PMP-2", supply_site="north")
    AssetFactory(tenant=tenant, asset_id="FAN-1", supply_site="main")
    AssetFactory(tenant=tenant, asset_id="OLD-1", supply_site="south", active=False)
    return tenant


def browser() -> APIClient:
    """A client that, like a browser, must carry the csrftoken cookie back as X-CSRFToken."""
    client = APIClient(enforce_csrf_checks=True)
    client.get("/")  # the dashboard's page sets the cookie
    return client


def csrf(client: APIClient) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def login(client: APIClient, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/login", {"username": username, "password": password}, format="json", **csrf(client)
    )


@pytest.mark.parametrize(
    ("role", "capabilities"),
    [
        ("operator", ["incidents", "view"]),
        ("manager", ["reports", "schedules", "view"]),
        ("admin", ["incidents", "registry", "reports", "schedules", "view"]),
    ],
)
def test_login_answers_the_profile_with_role_capabilities_and_sites(tenant, settings, role, capabilities):
    settings.PDM_SITE_TIME_ZONE = "Asia/Kolkata"
    member_create(tenant=tenant, username="asha", password=PASSWORD, role=role)
    client = browser()
    resp = login(client, "asha")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["username"], body["role"], body["tenant"]) == ("asha", role, {"name": "acme"})
    assert body["capabilities"] == capabilities
    assert [(s["name"], s["assets"], s["time_zone"]) for s in body["sites"]] == [
        ("main", 1, "Asia/Kolkata"),
        ("north", 2, "Asia/Kolkata"),
    ]  # inactive assets' sites are not listed
    assert body["sites"][0]["shifts"][0] == {"name": "A", "start": "06:00", "end": "14:00"}
    assert body["links"] == {"api_docs": "/api/docs/", "admin": None}  # not staff
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json() == body


def test_login_without_the_csrf_token_is_refused_and_opens_no_session(tenant):
    member_create(tenant=tenant, username="asha", password=PASSWORD, role="operator")
    client = browser()
    resp = client.post("/api/v1/auth/login", {"username": "asha", "password": PASSWORD}, format="json")
    assert resp.status_code == 403 and "CSRF" in resp.json()["detail"]
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_unknown_user_and_missing_fields_name_the_field(tenant):
    member_create(tenant=tenant, username="asha", password=PASSWORD, role="operator")
    client = browser()
    for username, password in (("asha", "wrong-password"), ("nobody", PASSWORD)):
        resp = login(client, username, password)
        assert resp.status_code == 400
        assert resp.json() == {
            "detail": "username or password is incorrect",
            "errors": [{"field": "password", "message": "username or password is incorrect"}],
        }
    resp = client.post("/api/v1/auth/login", {"username": "asha"}, format="json", **csrf(client))
    assert resp.status_code == 400 and resp.json()["errors"][0]["field"] == "password"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_user_outside_every_tenant_cannot_log_in(tenant, django_user_model):
    django_user_model.objects.create_user("root", password=PASSWORD, is_staff=True)
    client = browser()
    resp = login(client, "root")
    assert resp.status_code == 403 and resp.json()["errors"][0]["field"] == "username"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_staff_admin_gets_the_django_admin_link(tenant):
    member = member_create(tenant=tenant, username="ravi", password=PASSWORD, role="admin", is_staff=True)
    assert member.user.is_staff
    client = browser()
    assert login(client, "ravi").json()["links"]["admin"] == "/admin/"


def test_logout_ends_the_session_and_needs_csrf(tenant):
    member_create(tenant=tenant, username="asha", password=PASSWORD, role="operator")
    client = browser()
    assert login(client, "asha").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 403  # no CSRF header
    assert client.get("/api/v1/fleet/health").status_code == 200
    assert client.post("/api/v1/auth/logout", **csrf(client)).status_code == 204
    assert client.get("/api/v1/fleet/health").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401


def test_me_for_a_token_has_no_role_and_the_token_scopes_capabilities(tenant):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    body = client.get("/api/v1/auth/me").json()
    assert (body["role"], body["username"], body["capabilities"]) == (
        None,
        "",
        ["incidents", "reports", "view"],
    )


def test_login_attempts_are_throttled_per_address_and_username(tenant, settings):
    settings.LOGIN_RATE = "3/min"
    username = f"asha-{uuid.uuid4().hex[:8]}"  # a fresh attempt log in the shared cache
    member_create(tenant=tenant, username=username, password=PASSWORD, role="operator")
    client = browser()
    for _ in range(3):
        assert login(client, username, "guess").status_code == 400
    refused = login(client, username)  # even the right password waits now
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert login(client, f"{username}-b", "guess").status_code == 400  # another username's budget


def test_member_create_refuses_unknown_role_taken_username_and_weak_password(tenant):
    member_create(tenant=tenant, username="asha", password=PASSWORD, role="operator")
    cases = [
        ({"username": "bo", "role": "boss"}, "role"),
        ({"username": "asha", "role": "manager"}, "username"),
        ({"username": "bo", "role": "manager", "password": "password"}, "password"),
    ]
    for kwargs, field in cases:
        with pytest.raises(Exception) as exc:
            member_create(tenant=tenant, **{"password": PASSWORD, **kwargs})
        assert field in exc.value.message_dict
    assert TenantMember.objects.count() == 1


def test_create_member_command_prints_a_generated_password_that_logs_in(tenant, capsys):
    call_command("create_member", "meera", "--tenant", "acme", "--role", "manager")
    password = capsys.readouterr().out.strip().splitlines()[-1]
    client = browser()
    assert login(client, "meera", password).json()["role"] == "manager"
    with pytest.raises(CommandError, match="role"):
        call_command("create_member", "x", "--tenant", "acme", "--role", "boss")
    with pytest.raises(CommandError, match="tenant"):
        call_command("create_member", "y", "--tenant", "nope", "--role", "operator")
