"""Register (create or update) the assets of a generator manifest for one tenant."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from ingestion import services


class Command(BaseCommand):
    help = "Register the assets of a manifest (python -m generator ... --manifest FILE) for a tenant."

    def add_arguments(self, parser) -> None:
        parser.add_argument("manifest", help="manifest JSON written by the generator")
        parser.add_argument("--tenant", required=True)
        parser.add_argument("--create-tenant", action="store_true")

    def handle(self, *args, **opts) -> None:
        path = Path(opts["manifest"])
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            raise CommandError(f"manifest: no such file {path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CommandError(f"manifest: {path} is not valid JSON ({exc})") from None
        entries = doc.get("assets") if isinstance(doc, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise CommandError('manifest: expected an object {"assets": [ {...}, ... ]}')
        try:
            tenant = services.tenant_get_or_create(name=opts["tenant"], create=opts["create_tenant"])
            created, updated = services.fleet_register(tenant=tenant, entries=entries)
        except ValidationError as exc:
            detail = (
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
                if hasattr(exc, "error_dict")
                else "; ".join(exc.messages)
            )
            raise CommandError(f"nothing registered: {detail}") from None
        self.stdout.write(f"{created} asset(s) created, {updated} updated for tenant {tenant.name}")
