"""Read one evaluation fleet's results back from the platform's stores (run in that fleet's env).

`_fleet_eval.run_fleet` runs ``python benchmarks/_fleet_extract.py --extract OUT`` with the
fleet's own ``PDM_DATA_DIR`` once its events went through the pipeline: per-event anomaly
scores from the time-series store (measurement ``scores``), assessments, alerts and baselines
from SQL, written as one JSON record. A script of its own because it needs Django set up
for that fleet, which the benchmark process itself never does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from _fleet_config import ROOT


def _iso(t) -> str | None:
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _alert_record(a) -> dict:
    """What the evaluation reads of an alert, machine or site."""
    return {
        "cause": a.cause,
        "severity": a.severity,
        "state": a.state,
        "opened_at": _iso(a.opened_at),
        "last_seen_at": _iso(a.last_seen_at),
        "resolved_event_time": _iso(a.resolved_event_time),
        "occurrences": a.occurrences,
        "kind": a.kind,
        "reopen_count": a.reopen_count,
        # an equipment incident's conditions and its event-time transitions (CONTRACTS §15.2)
        "conditions": [
            {"cause": c.cause, "first_seen_at": _iso(c.first_seen_at)}
            for c in sorted(a.conditions.all(), key=lambda c: (c.first_seen_at, c.cause))
        ],
        "transitions": [
            {"action": t.action, "event_time": _iso(t.event_time)}
            for t in a.transitions.all()
            if t.event_time is not None
        ],
    }


def extract(out: Path) -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdm_project.settings")
    django.setup()
    from analytics.models import Baseline
    from assessment.models import Alert, Assessment
    from assessment.selectors import limits_for_asset
    from ingestion.models import Asset
    from ingestion.timeseries import get_store

    store = get_store()
    lo, hi = datetime(2000, 1, 1, tzinfo=UTC), datetime(2262, 1, 1, tzinfo=UTC)
    assets = {}
    for asset in Asset.objects.order_by("asset_id"):
        aid = asset.asset_id
        pts = store.read(measurement="scores", asset_id=aid, start=lo, end=hi, fields=["anomaly_score"])
        scores_t = [int(p.time.timestamp()) for p in pts if p.fields.get("anomaly_score") is not None]
        scores_s = [
            round(float(p.fields["anomaly_score"]), 5)
            for p in pts
            if p.fields.get("anomaly_score") is not None
        ]
        # running state at each scored time (rpm > 0; current > 0 when rpm is absent), for diagnostics
        ev = {
            int(p.time.timestamp()): p.fields
            for p in store.read(
                measurement="events",
                asset_id=aid,
                start=lo,
                end=hi,
                fields=["rpm", "current_a", "vibration_rms_mm_s"],
            )
        }
        running = []
        for t in scores_t:
            f = ev.get(t) or {}
            rpm, cur = f.get("rpm"), f.get("current_a")
            running.append(int((rpm if rpm is not None else (cur or 0.0)) > 0))
        # events the platform did not score (machine not running steadily, CONTRACTS §6.7) after the
        # active model's window end: the detection benchmark also reports the old all-events figures
        active = Baseline.objects.filter(asset=asset, active=True).first()
        scored = set(scores_t)
        lo_s = int(active.window_end.timestamp()) if active is not None else None
        unscored_t = [] if lo_s is None else sorted(t for t in ev if t >= lo_s and t not in scored)
        # when the platform's vibration RUL threshold (zone C/D) is reached: the end of the first
        # completed hour at which the median of the last three hourly medians is >= CD (§11.2 step 2)
        cd = float(limits_for_asset(asset=asset).zone_boundaries[2])
        hours: dict[int, list[float]] = {}
        for t, f in ev.items():
            v = f.get("vibration_rms_mm_s")
            if v is not None:
                hours.setdefault(t // 3600, []).append(float(v))
        keys = sorted(hours)
        meds = [float(np.median(hours[k])) for k in keys]
        zone_d_time = None
        for i in range(2, len(keys)):
            if float(np.median(meds[i - 2 : i + 1])) >= cd:
                zone_d_time = (keys[i] + 1) * 3600
                break
        first = store.read(measurement="events", asset_id=aid, start=lo, end=hi, limit=1)
        last = store.read(measurement="events", asset_id=aid, start=lo, end=hi, limit=1, descending=True)
        baselines = [
            {
                "version": b.version,
                "status": b.status,
                "active": b.active,
                "window_end": _iso(b.window_end),
                "false_anomaly_rate": b.false_anomaly_rate,
                "message": b.message,
            }
            for b in Baseline.objects.filter(asset=asset).order_by("version")
        ]
        rows = Assessment.objects.filter(asset=asset).order_by("as_of")
        assessments = [
            [
                _iso(a.as_of),
                _iso(a.evaluated_at),
                a.health_score,
                a.risk_level,
                a.rul_days,
                a.rul_low_days,
                a.rul_high_days,
                a.rul_reason,
                a.rul_channel,
                a.rul_method,
                a.rul_capped,
                a.stale,
                a.baseline_missing,
                a.anomaly_score,
            ]
            for a in rows.only(
                "as_of",
                "evaluated_at",
                "health_score",
                "risk_level",
                "rul_days",
                "rul_low_days",
                "rul_high_days",
                "rul_reason",
                "rul_channel",
                "rul_method",
                "rul_capped",
                "stale",
                "baseline_missing",
                "anomaly_score",
            )
        ]
        alerts = [
            {
                **_alert_record(a),
                "likely_mode": (a.guidance or {}).get("likely_mode"),
                "passage_modes": [p.get("mode") for p in (a.guidance or {}).get("passages", [])],
            }
            for a in Alert.objects.filter(asset=asset).order_by("opened_at", "cause")
        ]
        assets[aid] = {
            "asset_type": asset.asset_type,
            "cd_mm_s": cd,
            "zone_d_time": zone_d_time,
            "first_event": _iso(first[0].time) if first else None,
            "last_event": _iso(last[0].time) if last else None,
            "baselines": baselines,
            "scores_t": scores_t,
            "scores": scores_s,
            "running": running,
            "unscored_t": unscored_t,
            "assessment_fields": [
                "as_of",
                "evaluated_at",
                "health_score",
                "risk_level",
                "rul_days",
                "rul_low_days",
                "rul_high_days",
                "rul_reason",
                "rul_channel",
                "rul_method",
                "rul_capped",
                "stale",
                "baseline_missing",
                "anomaly_score",
            ],
            "assessments": assessments,
            "alerts": alerts,
        }
    # site supply alerts (asset = null, docs/CONTRACTS.md §15.6); absent from records made before them
    site_alerts = [
        {"site": a.site, **_alert_record(a)}
        for a in Alert.objects.filter(asset__isnull=True).order_by("opened_at", "cause")
    ]
    out.write_text(json.dumps({"assets": assets, "site_alerts": site_alerts}))


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="internal: extract one fleet's results (run in its env)")
    ap.add_argument("--extract", required=True)
    a = ap.parse_args()
    with contextlib.suppress(BrokenPipeError):
        extract(Path(a.extract))
