"""Dashboard logins: a user account in exactly one tenant, with a role (CONTRACTS §3.1, §17.1)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from ..models import MemberRole, Tenant, TenantMember


@transaction.atomic
def member_create(
    *, tenant: Tenant, username: str, password: str, role: str, email: str = "", is_staff: bool = False
) -> TenantMember:
    """A new login of `tenant` with `role`; refuses a taken username, an unknown role or a weak
    password (Django's validators) with the field named, and stores nothing then."""
    if role not in MemberRole.values:
        raise ValidationError({"role": f"role must be one of {', '.join(MemberRole.values)}, got {role!r}"})
    User = get_user_model()
    user = User(username=username, email=email, is_staff=is_staff)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save()
    return TenantMember.objects.create(user=user, tenant=tenant, role=role)
