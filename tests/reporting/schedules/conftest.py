"""Fixtures of the report-schedule tests: a tenant with a pump on a configured site, API clients
per role and per token scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from ingestion.models import Site
from ingestion.services import member_create
from tests.factories import AssetFactory, TenantFactory, token_for


@pytest.fixture
def tenant(db):
    return TenantFactory(name="acme")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="globex")


@pytest.fixture
def pump(tenant):
    Site.objects.create(tenant=tenant, code="pune", name="Pune plant", timezone="Asia/Kolkata")
    return AssetFactory(tenant=tenant, asset_id="PUMP-07", asset_type="pump", supply_site="pune")


def session_client(tenant, role: str) -> APIClient:
    member = member_create(
        tenant=tenant, username=f"{role}-{tenant.name}", password="Rotating-Machines-42", role=role
    )
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get("/api/v1/auth/me")
    client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


def token_client(tenant, *scopes: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return client


@pytest.fixture
def manager(tenant):
    return session_client(tenant, "manager")
