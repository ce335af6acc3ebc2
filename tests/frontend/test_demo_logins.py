"""The demo's logins: one per role, in the demo tenant, passwords printed once and kept after."""

from __future__ import annotations

from django.contrib.auth import authenticate

from frontend.management.commands.demo import Command
from ingestion.models import TenantMember
from tests.factories import TenantFactory


def test_demo_creates_one_login_per_role_and_keeps_them_on_a_second_run(db, monkeypatch):
    monkeypatch.delenv("PDM_DEMO_PASSWORD", raising=False)
    tenant = TenantFactory(name="demo")
    first = Command()._logins(tenant)
    assert list(first) == ["operator", "manager", "admin"]
    for role, (username, password) in first.items():
        user = authenticate(username=username, password=password)
        assert user is not None and user.tenant_member.role == role and user.tenant_member.tenant == tenant
    assert authenticate(username="admin", password=first["admin"][1]).is_superuser  # the Django admin opens
    second = Command()._logins(tenant)
    assert all(password is None for _, password in second.values())  # not changed, not printed again
    assert TenantMember.objects.count() == 3
