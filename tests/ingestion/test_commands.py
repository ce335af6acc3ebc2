"""Management commands: tokens, fleet registration and bulk import, with clear errors."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from ingestion.models import ApiToken, Asset, Tenant
from ingestion.tokens import token_digest
from tests.factories import AssetFactory, TenantFactory
from tests.ingestion.events import T0, event, series

MANIFEST_ASSET = {
    "asset_id": "MTR-001",
    "name": "Main motor",
    "asset_type": "motor",
    "phase": "three",
    "rated_voltage_v": 415.0,
    "rated_current_a": 28.0,
    "rated_power_kw": 15.0,
    "rated_rpm": 1480.0,
    "iso_group": 2,
    "foundation": "rigid",
    "bearing": {"n_balls": 9, "ball_diameter_mm": 7.94, "pitch_diameter_mm": 39.04, "contact_angle_deg": 0.0},
    "location": "Line 1",
    "commissioned_at": "2025-01-01",
}


def test_create_api_token_prints_token_alone_on_last_line_and_stores_hash(db):
    out = StringIO()
    call_command(
        "create_api_token",
        "--tenant",
        "acme",
        "--scope",
        "ingest",
        "--create-tenant",
        stdout=out,
        stderr=StringIO(),
    )
    token = out.getvalue().strip().splitlines()[-1]
    row = ApiToken.objects.get()
    assert row.digest == token_digest(token) and row.scopes == ["ingest"]
    assert Tenant.objects.filter(name="acme").exists()


def test_create_api_token_refuses_unknown_tenant_without_create_flag(db):
    with pytest.raises(CommandError, match="no tenant named 'ghost'"):
        call_command("create_api_token", "--tenant", "ghost", "--scope", "ingest")
    assert not Tenant.objects.exists()


def test_create_api_token_cli_output_is_parseable(transactional_db, tmp_path):
    env_db = tmp_path / "db.sqlite3"
    import os

    env = {**os.environ, "SQLITE_PATH": str(env_db), "PDM_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True)
    proc = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_api_token",
            "--tenant",
            "t1",
            "--scope",
            "ingest",
            "--scope",
            "read",
            "--create-tenant",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("pdm_") and " " not in last


def test_register_fleet_creates_then_updates_assets(db, tmp_path):
    path = tmp_path / "assets.json"
    path.write_text(json.dumps({"assets": [MANIFEST_ASSET]}))
    out = StringIO()
    call_command("register_fleet", str(path), "--tenant", "acme", "--create-tenant", stdout=out)
    assert "1 asset(s) created, 0 updated" in out.getvalue()
    asset = Asset.objects.get(asset_id="MTR-001")
    assert asset.bearing_n_balls == 9 and asset.bearing_pitch_diameter_mm == 39.04
    path.write_text(json.dumps({"assets": [{**MANIFEST_ASSET, "location": "Line 2"}]}))
    call_command("register_fleet", str(path), "--tenant", "acme", stdout=StringIO())
    assert Asset.objects.get(asset_id="MTR-001").location == "Line 2"


def test_register_fleet_with_one_bad_asset_registers_nothing(db, tmp_path):
    path = tmp_path / "assets.json"
    bad = {**MANIFEST_ASSET, "asset_id": "MTR-002", "rated_power_kw": 500.0}
    path.write_text(json.dumps({"assets": [MANIFEST_ASSET, bad]}))
    with pytest.raises(CommandError, match=r"assets\[1\]\.rated_power_kw"):
        call_command("register_fleet", str(path), "--tenant", "acme", "--create-tenant")
    assert not Asset.objects.exists()


def test_register_fleet_refuses_non_json(db, tmp_path):
    path = tmp_path / "assets.json"
    path.write_text("{nope")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("register_fleet", str(path), "--tenant", "acme", "--create-tenant")


@pytest.fixture
def sql_timeseries(settings, db):
    from ingestion.timeseries import get_store, reset_store

    settings.INFLUXDB_URL = ""
    reset_store()
    yield get_store()
    reset_store()


def test_import_events_stores_valid_lines_and_writes_rejects_with_errors(sql_timeseries, tmp_path):
    tenant = TenantFactory(name="acme")
    AssetFactory(tenant=tenant, asset_id="M-1")
    AssetFactory(tenant=TenantFactory(name="other"), asset_id="X-1")
    good = series("M-1", 30)
    lines = [json.dumps(e) for e in good]
    lines.insert(3, json.dumps(event("M-1", T0, voltage_v="415")))  # string for a number
    lines.insert(10, "not json")
    lines.insert(12, json.dumps(event("X-1", T0)))  # another tenant's asset
    path = tmp_path / "events.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")
    out = StringIO()
    call_command("import_events", str(path), "--tenant", "acme", "--chunk", "7", stdout=out)
    assert "accepted 30, rejected 3" in out.getvalue()
    stored = sql_timeseries.read(measurement="events", asset_id="M-1", start=T0, end=T0.replace(year=2027))
    assert [p.fields["event_id"] for p in stored] == [e["event_id"] for e in good]
    rejects = [json.loads(x) for x in (tmp_path / "events.jsonl.gz.rejects.jsonl").read_text().splitlines()]
    assert [r["line"] for r in rejects] == [4, 11, 13]
    assert (
        rejects[0]["errors"][0]["field"] == "voltage_v" and rejects[0]["errors"][0]["rule"] == "type_number"
    )
    assert rejects[2]["errors"][0]["rule"] == "foreign_asset"
    assert sql_timeseries.count(measurement="events", asset_id="X-1") == 0


def test_import_events_missing_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_events", "/nonexistent.jsonl", "--tenant", "acme")
