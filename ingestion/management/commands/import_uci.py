"""Import the UCI "Individual household electric power consumption" data set (docs/uci-import.md)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ingestion.handoff import AnalyticsHandoffUnavailable
from ingestion.uci.fetch import FetchError
from ingestion.uci.importer import DEFAULT_URL, uci_import
from ingestion.uci.transform import MalformedInput


class Command(BaseCommand):
    help = "Fetch, validate and load the UCI household power data set as the readings of a meter."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--url", default=DEFAULT_URL, help="where to download the zip from")
        parser.add_argument("--file", help="a local copy of the zip (or the .txt) instead of downloading")
        parser.add_argument("--sha256", help="expected SHA-256 of the archive (hex); refused on mismatch")
        parser.add_argument(
            "--output", help="directory of the archive and outputs (default PDM_DATA_DIR/uci)"
        )
        parser.add_argument(
            "--force", action="store_true", help="fetch again even when the archive is present"
        )
        parser.add_argument("--limit", type=int, help="read only the first N data rows")
        parser.add_argument("--skip-db", action="store_true", help="write reports and parquet only")
        parser.add_argument("--tenant", help="tenant that owns the meter (required unless --skip-db)")
        parser.add_argument("--asset-id", default="UCI-HOUSEHOLD", help="the meter's asset id")
        parser.add_argument(
            "--shift-weeks",
            default="auto",
            help="whole weeks to move the readings forward in the store (auto: the last hour into the last week)",
        )

    def handle(self, *args, **opts) -> None:
        if opts["limit"] is not None and opts["limit"] < 1:
            raise CommandError("--limit must be a positive number of rows")
        shift = opts["shift_weeks"]
        if shift != "auto":
            try:
                shift = int(shift)
            except ValueError:
                raise CommandError("--shift-weeks must be 'auto' or a whole number of weeks") from None
            if shift < 0:
                raise CommandError("--shift-weeks must not be negative")
        output = Path(opts["output"] or Path(settings.DATA_DIR) / "uci")
        try:
            outcome = uci_import(
                output=output,
                url=opts["url"],
                file=Path(opts["file"]) if opts["file"] else None,
                sha256=opts["sha256"],
                force=opts["force"],
                limit=opts["limit"],
                skip_db=opts["skip_db"],
                tenant_name=opts["tenant"],
                asset_id=opts["asset_id"],
                shift_weeks=None if shift == "auto" else shift,
            )
        except FetchError as exc:
            raise CommandError(f"--{exc.field}: {exc}") from None
        except MalformedInput as exc:
            raise CommandError(f"malformed input, nothing loaded: {exc}") from None
        except AnalyticsHandoffUnavailable as exc:
            raise CommandError(
                f"the readings are stored but no analytics run could be queued ({exc}): "
                "run the import again (it rewrites the same readings)"
            ) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        r = outcome.report
        summary = {
            "archive": str(outcome.fetch.path),
            "fetch": outcome.fetch.action,
            "sha256": outcome.fetch.sha256,
            "rows": r["rows"],
            "rows_good": r["rows_good"],
            "rows_rejected": r["rows_rejected"],
            "hourly_rows": outcome.hourly_rows,
            "outputs": outcome.outputs,
            "timings_s": outcome.timings_s,
        }
        if outcome.load is not None:
            summary["store"] = {
                "asset_id": opts["asset_id"],
                "shift_weeks": outcome.load.shift_weeks,
                "written": outcome.load.written,
                "beyond_retention": outcome.load.beyond_retention,
            }
        self.stdout.write(json.dumps(summary))
