"""`python -m generator`: the happy paths, and bad input exiting 2 with the option and rule."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.__main__ import main
from ingestion.schemas import parse_events

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def test_simulate_writes_events_labels_and_manifest(tmp_path):
    out, labels, manifest = tmp_path / "ev.jsonl", tmp_path / "lab.jsonl", tmp_path / "assets.json"
    proc = run_cli(
        "simulate", "--seed", "4", "--assets", "5", "--days", "1", "--interval-s", "300",
        "--faults", "imbalance,overheating", "--start", "2025-02-01T00:00:00Z",
        "--out", str(out), "--labels", str(labels), "--manifest", str(manifest),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = out.read_text().splitlines()
    assert len(parse_events("[" + ",".join(lines) + "]")) == len(lines) > 1000
    assert json.loads(lines[0])["timestamp"] == "2025-02-01T00:00:00Z"
    asset_labels = [json.loads(x) for x in labels.read_text().splitlines() if '"type":"asset"' in x]
    assert sorted(a["mode"] for a in asset_labels if a["mode"]) == ["imbalance", "overheating"]
    assert len(json.loads(manifest.read_text())["assets"]) == 5


def test_simulate_reads_a_yaml_scenario_and_flags_override_it(tmp_path):
    scenario = tmp_path / "plant.yaml"
    scenario.write_text(
        "seed: 9\n"
        "start: 2025-04-01T00:00:00Z\n"
        "duration_days: 0.5\n"
        "interval_s: 600\n"
        "assets:\n"
        "  - {type: pump, count: 2, rated_power_kw: 11}\n"
        "  - {type: fan, phase: single, count: 1, bearing: '6205'}\n"
        "faults:\n"
        "  - {asset: PMP-001, mode: bearing_inner, onset_days: 0.1, time_to_failure_days: 0.3}\n"
    )
    out, manifest = tmp_path / "ev.jsonl", tmp_path / "m.json"
    code = main(["simulate", "--scenario", str(scenario), "--interval-s", "300", "--out", str(out),
                 "--manifest", str(manifest)])  # fmt: skip
    assert code == 0
    docs = [json.loads(x) for x in out.read_text().splitlines()]
    assert {d["timestamp"][:10] for d in docs} == {"2025-04-01"}
    assert docs[1]["timestamp"] == "2025-04-01T00:00:00Z" and docs[3]["timestamp"] == "2025-04-01T00:05:00Z"
    assets = json.loads(manifest.read_text())["assets"]
    assert [a["rated_power_kw"] for a in assets] == [11, 11, 0.75]
    assert assets[2]["bearing"] == {"n_balls": 9, "ball_diameter_mm": 7.94, "pitch_diameter_mm": 39.04,
                                    "contact_angle_deg": 0.0}  # fmt: skip


def test_the_families_flag_restricts_the_laws_the_faults_draw(tmp_path):
    labels = tmp_path / "lab.jsonl"
    code = main(["simulate", "--seed", "3", "--assets", "6", "--days", "1", "--interval-s", "600",
                 "--faults", "imbalance,electrical,overheating,misalignment", "--families", "step_ramp",
                 "--start", "2025-02-03T00:00:00Z", "--out", str(tmp_path / "ev.jsonl"),
                 "--labels", str(labels), "--labels-format", "intervals"])  # fmt: skip
    assert code == 0
    laws = [json.loads(x)["law"] for x in labels.read_text().splitlines() if '"type":"asset"' in x]
    assert [law["family"] for law in laws if law] == ["step_ramp"] * 4


def test_invalid_command_writes_the_corpus(tmp_path):
    out = tmp_path / "bad.jsonl"
    assert main(["invalid", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) > 50


@pytest.mark.parametrize(
    ("args", "option", "rule"),
    [
        (["--faults", "bearing_cage"], "--faults", "choice"),
        (["--days", "-3"], "--days", "positive"),
        (["--days", "0"], "--days", "positive"),
        (["--interval-s", "1.5"], "--interval-s", "positive_integer"),
        (["--seed", "-1"], "--seed", "non_negative_integer"),
        (["--assets", "robot=3"], "--assets", "format"),
        (["--assets", "2", "--faults", "imbalance,electrical,overheating"], "--faults", "at_most_assets"),
        (["--start", "2025-01-01T00:00:00"], "--start", "timezone_required"),
        (["--start", "next tuesday"], "--start", "iso_datetime"),
        (["--start", "2099-01-01T00:00:00Z"], "--start/--days", "future_timestamp"),
        (["--labels-format", "csv"], "--labels-format", "choice"),
        (["--families", "logistic,sawtooth"], "--families", "choice"),
        (["--bogus-flag", "1"], "--bogus-flag", "usage"),
    ],
)
def test_bad_simulate_flags_exit_2_naming_the_option_and_rule(tmp_path, capsys, args, option, rule):
    with pytest.raises(SystemExit) as exc:
        sys.exit(main(["simulate", *args, "--out", str(tmp_path / "x.jsonl")]))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert option in err and f"rule: {rule}" in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.parametrize(
    ("content", "suffix", "option", "rule"),
    [
        ('{"seed": 1, "colour": "red"}', ".json", "colour", "unknown_key"),
        ('{"assets": [{"type": "motor", "rpm": 1480}]}', ".json", "assets[0].rpm", "unknown_key"),
        ('{"assets": [{"type": "turbine"}]}', ".json", "assets[0].type", "choice"),
        ('{"duration_days": -2}', ".json", "duration_days", "range"),
        (
            '{"faults": [{"asset": "NOPE-1", "mode": "imbalance"}]}',
            ".json",
            "faults[0].asset",
            "unknown_asset",
        ),
        ('{"faults": [{"asset": 0, "mode": "rust"}]}', ".json", "faults[0].mode", "choice"),
        ('{"waveform": {"sample_rate_hz": 8000}}', ".json", "waveform.sample_rate_hz", "range"),
        (
            '{"faults": [{"asset": 0, "mode": "imbalance", "law": "sawtooth"}]}',
            ".json",
            "faults[0].law",
            "choice",
        ),
        (
            '{"faults": [{"asset": 0, "mode": "imbalance", "law": {"family": "logistic", "steepness": 99}}]}',
            ".json",
            "faults[0].law.steepness",
            "range",
        ),
        (
            '{"faults": [{"asset": 0, "mode": "imbalance", "law": {"family": "power_law", "rate": 3}}]}',
            ".json",
            "faults[0].law.rate",
            "unknown_key",
        ),
        (
            '{"faults": [{"asset": 0, "mode": "imbalance", "law": {"midpoint": 0.5}}]}',
            ".json",
            "faults[0].law",
            "required",
        ),
        ('{"degradation": {"families": []}}', ".json", "degradation.families", "value"),
        ('{"energy": {"idle_load_factor": 1.5}}', ".json", "energy.idle_load_factor", "range"),
        ("seed: [1, 2", ".yaml", "--scenario", "yaml_invalid"),
        ("{nope", ".json", "--scenario", "json_invalid"),
    ],
)
def test_bad_scenario_files_exit_2_naming_the_key_and_rule(tmp_path, capsys, content, suffix, option, rule):
    path = tmp_path / f"scenario{suffix}"
    path.write_text(content)
    code = main(["simulate", "--scenario", str(path), "--out", str(tmp_path / "x.jsonl")])
    assert code == 2
    err = capsys.readouterr().err
    assert option in err and f"rule: {rule}" in err, err


def test_bad_input_never_prints_a_traceback_from_the_real_entry_point(tmp_path):
    proc = run_cli(
        "simulate", "--faults", "imbalance,warp_core", "--days", "-1", "--out", str(tmp_path / "x")
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "rule:" in proc.stderr
    proc = run_cli("stream", "--url", "http://127.0.0.1:9/x", "--batch-size", "20000", "--token", "t")
    assert proc.returncode == 2 and "--batch-size" in proc.stderr and "rule: range" in proc.stderr
