"""Report the false-anomaly rate of an asset's active model on a healthy hold-out window."""

from __future__ import annotations

import json
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from analytics import selectors


class Command(BaseCommand):
    help = "Score a healthy window with the asset's active model and report the false-anomaly rate."

    def add_arguments(self, parser) -> None:
        parser.add_argument("asset_id")
        parser.add_argument("--start", required=True, help="window start, RFC 3339 with offset")
        parser.add_argument("--end", required=True, help="window end (exclusive), RFC 3339 with offset")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **opts) -> None:
        try:
            start, end = (datetime.fromisoformat(opts[k]) for k in ("start", "end"))
        except ValueError as exc:
            raise CommandError(f"--start/--end: not an RFC 3339 time ({exc})") from None
        if start.tzinfo is None or end.tzinfo is None:
            raise CommandError("--start/--end must include a UTC offset or Z")
        if start >= end:
            raise CommandError("--start must be before --end")
        try:
            report = selectors.baseline_validation_report(asset_id=opts["asset_id"], start=start, end=end)
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        if opts["json"]:
            self.stdout.write(json.dumps(report))
            return
        self.stdout.write(
            f"{report['asset_id']} baseline v{report['baseline_version']}: {report['events']} events of steady "
            f"running scored ({report['not_scored']} more while stopped or within 1 h of a start), "
            f"false-anomaly rate {report['false_anomaly_rate']:.2%} "
            f"({report['anomalous']} with anomaly_score >= 0.5); goal <= 1 %: "
            f"{'PASS' if report['passed'] else 'FAIL'}"
        )
