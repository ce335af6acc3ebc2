"""Every generated event is a valid Canonical Sensor Event v1; labels and manifest are complete."""

from __future__ import annotations

import io
import json
import uuid
from datetime import datetime, timedelta

import numpy as np
import pytest

from ingestion.schemas import SensorEventV1, parse_events
from tests.generator.helpers import ISO_10816_3, parse_jsonl

ALL_FIELDS = {
    "event_id",
    "asset_id",
    "timestamp",
    "voltage_v",
    "current_a",
    "power_factor",
    "frequency_hz",
    "temperature_c",
    "vibration_rms_mm_s",
    "vibration_peak_g",
    "vibration_kurtosis",
    "rpm",
    "ambient_temperature_c",
    "vibration_1x_mm_s",
    "vibration_2x_mm_s",
    "envelope_bpfo_g",
    "envelope_bpfi_g",
    "schema_version",
}
MANIFEST_KEYS = {
    "asset_id",
    "name",
    "asset_type",
    "phase",
    "rated_voltage_v",
    "rated_current_a",
    "rated_power_kw",
    "rated_rpm",
    "iso_group",
    "foundation",
    "bearing",
    "location",
    "commissioned_at",
}


def test_every_generated_event_validates_under_the_ingest_schema(mixed_files):
    lines = mixed_files["events"].decode().splitlines()
    assert len(lines) > 30_000
    events = []
    for i in range(0, len(lines), 5000):
        events += parse_events("[" + ",".join(lines[i : i + 5000]) + "]")
    assert len(events) == len(lines)
    assert all(isinstance(e, SensorEventV1) for e in events)
    # single-event bodies validate too (the API accepts an object as well as an array)
    assert parse_events(lines[0])[0].asset_id == events[0].asset_id


def test_every_event_carries_all_optional_fields_and_the_schema_version(mixed_files):
    for line in mixed_files["events"].decode().splitlines()[:2000]:
        doc = json.loads(line)
        assert set(doc) == ALL_FIELDS
        assert doc["schema_version"] == "1.0"
        assert doc["timestamp"].endswith("Z")


def test_event_ids_are_unique_uuids_and_not_random_uuid4_calls(mixed_files):
    docs = parse_jsonl(mixed_files["events"])
    ids = [d["event_id"] for d in docs]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 4 for i in ids[:100])
    keys = {(d["asset_id"], d["timestamp"]) for d in docs}
    assert len(keys) == len(docs)


def test_events_are_written_in_time_order(mixed_files):
    stamps = [json.loads(line)["timestamp"] for line in mixed_files["events"].decode().splitlines()]
    assert stamps == sorted(stamps)


def test_manifest_lists_every_asset_with_exactly_the_registry_keys(mixed_files):
    manifest = json.loads(mixed_files["manifest"])
    assets = manifest["assets"]
    assert len(assets) == 10
    event_assets = {json.loads(line)["asset_id"] for line in mixed_files["events"].decode().splitlines()}
    assert {a["asset_id"] for a in assets} == event_assets
    for a in assets:
        assert set(a) == MANIFEST_KEYS
        assert set(a["bearing"]) == {"n_balls", "ball_diameter_mm", "pitch_diameter_mm", "contact_angle_deg"}
        assert a["bearing"]["ball_diameter_mm"] < a["bearing"]["pitch_diameter_mm"]
        assert a["asset_type"] in {"motor", "pump", "fan", "compressor"}
        assert a["phase"] in {"single", "three"}
        assert a["iso_group"] in (1, 2) and a["foundation"] in ("rigid", "flexible")
        datetime.strptime(a["commissioned_at"], "%Y-%m-%d")
        # output power cannot exceed apparent input power (the registry checks this too)
        k = 3**0.5 if a["phase"] == "three" else 1.0
        assert a["rated_power_kw"] < k * a["rated_voltage_v"] * a["rated_current_a"] / 1000
        nominal = 230 if a["phase"] == "single" else 415
        assert a["rated_voltage_v"] == nominal


def test_labels_give_each_asset_its_mode_and_each_event_its_phase(mixed_files):
    labels = parse_jsonl(mixed_files["labels"])
    assets = [rec for rec in labels if rec["type"] == "asset"]
    per_event = [rec for rec in labels if rec["type"] == "event"]
    events = parse_jsonl(mixed_files["events"])
    assert len(assets) == 10
    modes = {a["asset_id"]: a["mode"] for a in assets}
    assert sorted(m for m in modes.values() if m) == sorted(
        ["bearing_outer", "bearing_inner", "imbalance", "misalignment", "overheating", "electrical"]
    )
    assert [(e["asset_id"], e["timestamp"]) for e in events] == [
        (r["asset_id"], r["timestamp"]) for r in per_event
    ]
    by_asset = {a["asset_id"]: a for a in assets}
    for rec in per_event:
        a = by_asset[rec["asset_id"]]
        assert rec["phase"] in {"healthy", "incipient", "degrading", "failed"}
        if a["mode"] is None:
            assert rec["phase"] == "healthy"
            continue
        t = rec["timestamp"]
        expected = (
            "healthy"
            if t < a["onset"]
            else "incipient"
            if t < a["degrading_start"]
            else "degrading"
            if t < a["failure_time"]
            else "failed"
        )
        assert rec["phase"] == expected, rec
        assert t < a["events_end"]


@pytest.mark.parametrize("mode", ["bearing_outer", "imbalance", "overheating"])
def test_a_failed_machine_stops_reporting_an_hour_after_failure(mixed_files, mode):
    labels = parse_jsonl(mixed_files["labels"])
    asset = next(r for r in labels if r["type"] == "asset" and r["mode"] == mode)
    failure = datetime.fromisoformat(asset["failure_time"].replace("Z", "+00:00"))
    stamps = [
        datetime.fromisoformat(json.loads(line)["timestamp"].replace("Z", "+00:00"))
        for line in mixed_files["events"].decode().splitlines()
        if f'"asset_id":"{asset["asset_id"]}"' in line
    ]
    after = [s for s in stamps if s >= failure]
    assert after, "some failed-phase readings are emitted before the trip"
    assert max(stamps) < failure + timedelta(hours=1)


def test_compact_interval_labels_agree_with_the_per_event_labels():
    from generator.output import write_simulation
    from generator.scenario import build_fleet, validate_scenario

    doc = {
        "seed": 2,
        "start": "2025-07-07T00:00:00Z",
        "duration_days": 2,
        "interval_s": 300,
        "assets": [{"type": "pump", "count": 3}],
        "faults": [{"asset": 1, "mode": "misalignment", "onset_days": 0.4, "time_to_failure_days": 1.2}],
    }
    per_event, intervals = io.BytesIO(), io.BytesIO()
    fleet = build_fleet(validate_scenario(doc))
    write_simulation(fleet, io.BytesIO(), per_event, labels_format="events")
    write_simulation(fleet, io.BytesIO(), intervals, labels_format="intervals")
    spans = [r for r in parse_jsonl(intervals.getvalue()) if r["type"] == "phase"]
    events = [r for r in parse_jsonl(per_event.getvalue()) if r["type"] == "event"]
    assert 20 * len(json.dumps(spans)) < len(json.dumps(events))
    # the other lines (assets, grid events, idle periods, hourly extra energy) are the same in both
    others = [
        [r for r in parse_jsonl(f.getvalue()) if r["type"] not in ("phase", "event")]
        for f in (per_event, intervals)
    ]
    assert others[0] == others[1]
    for ev in events:
        match = [
            s for s in spans if s["asset_id"] == ev["asset_id"] and s["start"] <= ev["timestamp"] < s["end"]
        ]
        assert [s["phase"] for s in match] == [ev["phase"]], ev


def test_threshold_time_is_when_the_vibration_reaches_zone_d(mixed_files):
    """``threshold_time`` (the RUL ground truth) is the zone D crossing of a vibration fault: the
    running readings just after it are at the C/D boundary or above, those of the hour before it below
    and those before onset far below, whatever law the fault drew; modes that leave vibration alone
    (and healthy assets) carry null."""
    labels = parse_jsonl(mixed_files["labels"])
    manifest = {a["asset_id"]: a for a in json.loads(mixed_files["manifest"])["assets"]}
    events = parse_jsonl(mixed_files["events"])
    checked = 0
    for a in (r for r in labels if r["type"] == "asset"):
        if a["mode"] not in {"bearing_outer", "bearing_inner", "imbalance", "misalignment"}:
            assert a["threshold_time"] is None, a
            continue
        assert a["threshold_time"] == a["thresholds"]["zone_d"]["time"]
        assert a["onset"] < a["threshold_time"] < a["failure_time"], a
        m = manifest[a["asset_id"]]
        cd = ISO_10816_3[(m["iso_group"], m["foundation"])][2]
        assert a["thresholds"]["zone_d"]["level"] == cd

        running = [
            (e["timestamp"], e["vibration_rms_mm_s"])
            for e in events
            if e["asset_id"] == a["asset_id"] and e["rpm"] > 0
        ]
        after = [v for t, v in running if t >= a["threshold_time"]][:5]
        before = [v for t, v in running if t < a["threshold_time"]][-30:]
        before_onset = [v for t, v in running if t < a["onset"]][-60:]
        assert np.median(after) >= 0.85 * cd, a
        assert np.median(before) < 1.05 * cd, a
        assert np.median(before_onset) < 0.6 * cd, a
        checked += 1
    assert checked == 4
