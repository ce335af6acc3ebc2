"""Dashboard members' roles: the migration from is_tenant_admin, and what each role's session may do
with the registry (scopes follow the role)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from ingestion.models import TenantMember
from ingestion.services import member_create
from tests.factories import AssetFactory, TenantFactory


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_tenant_admins_admins_and_everyone_else_operators(django_user_model):
    """Run on the test database's backend: PostgreSQL in CI (DATABASE_URL), else SQLite."""
    executor = MigrationExecutor(connection)
    old = [("ingestion", "0003_thresholds_rise_limit_and_weights")]
    executor.migrate(old)
    apps = executor.loader.project_state(old).apps
    Tenant, Member = apps.get_model("ingestion", "Tenant"), apps.get_model("ingestion", "TenantMember")
    User = apps.get_model("auth", "User")
    tenant = Tenant.objects.create(name="legacy")
    for username, flag in (("boss", True), ("crew", False)):
        Member.objects.create(
            user=User.objects.create(username=username), tenant=tenant, is_tenant_admin=flag
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    roles = dict(TenantMember.objects.values_list("user__username", "role"))
    assert roles == {"boss": "admin", "crew": "operator"}


def session(member) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get("/api/v1/auth/me")
    client.credentials(HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    return client


@pytest.mark.parametrize(("role", "may_edit"), [("operator", False), ("manager", False), ("admin", True)])
def test_only_the_admin_role_edits_assets(db, role, may_edit):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="PMP-1", name="Pump")
    member = member_create(tenant=tenant, username=role, password="Rotating-Machines-42", role=role)
    client = session(member)
    assert client.get("/api/v1/assets/PMP-1").status_code == 200
    resp = client.patch("/api/v1/assets/PMP-1", {"name": "Cooling pump"}, format="json")
    assert resp.status_code == (200 if may_edit else 403)
    if not may_edit:
        assert resp.json()["detail"] == f"This role '{role}' lacks the 'admin' scope this endpoint needs."
    assert client.get("/api/v1/assets/PMP-1").json()["name"] == ("Cooling pump" if may_edit else "Pump")
