"""Create an API token for a tenant; the secret is printed once, alone on the last line."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ingestion import services
from ingestion.models import TokenScope


class Command(BaseCommand):
    help = "Create a per-tenant API token (stored hashed). The token is printed once on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", required=True, help="tenant name")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=TokenScope.values,
            help="ingest, read or admin; repeat for several",
        )
        parser.add_argument("--name", default="", help="a label for the token (default: the scopes)")
        parser.add_argument("--create-tenant", action="store_true", help="create the tenant if missing")

    def handle(self, *args, **opts) -> None:
        try:
            tenant = services.tenant_get_or_create(name=opts["tenant"], create=opts["create_tenant"])
            row, token = services.api_token_create(
                tenant=tenant, name=opts["name"] or "+".join(sorted(set(opts["scope"]))), scopes=opts["scope"]
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from None
        self.stderr.write(
            f"Created token {row.name!r} (prefix {row.prefix}) for tenant {tenant.name} "
            f"with scopes {', '.join(row.scopes)}. Store it now: it is not shown again."
        )
        self.stdout.write(token)
