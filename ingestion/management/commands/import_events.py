"""Bulk import of Canonical Sensor Events from JSON lines (optionally gzipped).

Each line is validated by the same contract model as the API. Valid lines are stored in
chunks through the same service; invalid lines (and lines naming unknown, inactive or
foreign assets) are written with their errors to a rejects file and never stored.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingestion.models import Tenant
from ingestion.schemas import EventBatchInvalid, parse_events
from ingestion.selectors import assets_by_id
from ingestion.services import events_store
from ingestion.services.events import events_check_retention


class Command(BaseCommand):
    help = "Import events from FILE.jsonl[.gz] with the ingest API's validation."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--tenant", required=True, help="the tenant that owns the assets")
        parser.add_argument("--rejects", help="where to write rejected lines (default FILE.rejects.jsonl)")
        parser.add_argument("--chunk", type=int, default=5000, help="events per store write (1..10000)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts) -> None:
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"file: no such file {path}")
        if not 1 <= opts["chunk"] <= 10_000:
            raise CommandError("--chunk must be between 1 and 10000")
        tenant = Tenant.objects.filter(name=opts["tenant"]).first()
        if tenant is None:
            raise CommandError(f"--tenant: no tenant named {opts['tenant']!r}")
        rejects_path = Path(opts["rejects"] or f"{path}.rejects.jsonl")
        opener = gzip.open if path.suffix == ".gz" else open
        accepted = rejected = spooled = 0
        chunk: list = []
        seen_ids: set = set()
        self._assets: dict = {}
        size = path.stat().st_size
        try:
            with (
                opener(path, "rb") as src,
                rejects_path.open("w") as rejects,
                tqdm(
                    total=size if path.suffix != ".gz" else None,
                    unit="B",
                    unit_scale=True,
                    disable=opts["no_progress"] or not sys.stderr.isatty(),
                    file=sys.stderr,
                ) as bar,
            ):
                for lineno, raw in enumerate(src, start=1):
                    bar.update(len(raw))
                    if not raw.strip():
                        continue
                    reason = self._check_line(raw, tenant, seen_ids)
                    if isinstance(reason, list):
                        rejected += 1
                        rejects.write(
                            json.dumps(
                                {
                                    "line": lineno,
                                    "errors": reason,
                                    "raw": raw.decode(errors="replace").rstrip("\n"),
                                }
                            )
                            + "\n"
                        )
                        continue
                    chunk.append(reason)
                    if len(chunk) >= opts["chunk"]:
                        n, s = self._flush(tenant, chunk)
                        accepted, spooled = accepted + n, spooled + s
                        chunk = []
                if chunk:
                    n, s = self._flush(tenant, chunk)
                    accepted, spooled = accepted + n, spooled + s
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise CommandError(
                f"file: cannot read {path}: {exc} ({accepted} events were stored before)"
            ) from None
        if not rejected:
            rejects_path.unlink(missing_ok=True)
        summary = f"accepted {accepted}, rejected {rejected}"
        if spooled:
            summary += f" ({spooled} spooled: the time-series store was unreachable)"
        if rejected:
            summary += f"; rejected lines with their errors: {rejects_path}"
        self.stdout.write(summary)

    def _check_line(self, raw: bytes, tenant: Tenant, seen_ids: set):
        try:
            (event,) = parse_events(raw)
            if raw.lstrip()[:1] == b"[":
                raise EventBatchInvalid([])
            events_check_retention(events=[event])
        except EventBatchInvalid as exc:
            errs = [e.as_dict() for e in exc.errors] or [
                {"field": "$", "rule": "type_object", "message": "each line holds one event object"}
            ]
            for e in errs:
                e.pop("index", None)
            return errs
        except ValueError:
            return [{"field": "$", "rule": "json_invalid", "message": "line is not one JSON event"}]
        if event.event_id in seen_ids:
            return [
                {
                    "field": "event_id",
                    "rule": "duplicate_event_id",
                    "message": "event_id appears earlier in the file",
                }
            ]
        seen_ids.add(event.event_id)
        if event.asset_id not in self._assets:
            self._assets.update(assets_by_id(asset_ids={event.asset_id}))
        asset = self._assets.get(event.asset_id)
        if asset is None:
            return [{"field": "asset_id", "rule": "unknown_asset", "message": f"no asset {event.asset_id!r}"}]
        if asset.tenant_id != tenant.pk:
            return [
                {
                    "field": "asset_id",
                    "rule": "foreign_asset",
                    "message": f"{event.asset_id!r} belongs to another tenant",
                }
            ]
        if not asset.active:
            return [
                {
                    "field": "asset_id",
                    "rule": "inactive_asset",
                    "message": f"asset {event.asset_id!r} is not active",
                }
            ]
        return event

    def _flush(self, tenant: Tenant, chunk: list) -> tuple[int, int]:
        # A natural key repeated later in the file replaces the earlier line, as a re-send
        # through the API would; inside one store write only the last one is kept.
        events = list({(e.asset_id, e.timestamp): e for e in chunk}.values())
        result = events_store(tenant=tenant, events=events, assets=self._assets)
        return len(chunk), len(chunk) if result.spooled else 0
