"""Create a dashboard login of a tenant with a role; a generated password is printed once."""

from __future__ import annotations

import os
import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ingestion import services
from ingestion.models import MemberRole


class Command(BaseCommand):
    help = (
        "Create a dashboard login (operator, manager or admin) of one tenant. The password is read "
        "from the environment variable named by --password-env, or generated and printed once."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--tenant", required=True, help="tenant name")
        parser.add_argument("--role", required=True, choices=MemberRole.values)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env", default="", help="name of an environment variable holding the password"
        )
        parser.add_argument("--create-tenant", action="store_true", help="create the tenant if missing")

    def handle(self, *args, **opts) -> None:
        generated = not opts["password_env"]
        password = secrets.token_urlsafe(12) if generated else os.environ.get(opts["password_env"], "")
        if not password:
            raise CommandError(f"password: the environment variable {opts['password_env']} is empty or unset")
        try:
            tenant = services.tenant_get_or_create(name=opts["tenant"], create=opts["create_tenant"])
            member = services.member_create(
                tenant=tenant,
                username=opts["username"],
                password=password,
                role=opts["role"],
                email=opts["email"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stderr.write(f"Created {member.role} {member.user.username!r} of tenant {tenant.name}.")
        if generated:
            self.stderr.write("Password (shown once, store it now):")
            self.stdout.write(password)
