"""The UCI household power import: fetch (local HTTP server), format, validation, report, load."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from ingestion.models import Asset
from ingestion.timeseries import get_store
from ingestion.uci.fetch import FetchError, fetch_archive
from ingestion.uci.sample import defects_fixture, write_archive
from ingestion.uci.transform import MalformedInput, read_minutes
from ingestion.uci.validate import validate_minutes
from tests.factories import TenantFactory


class _Files(http.server.BaseHTTPRequestHandler):
    """Serves ``files`` by path; ``truncate`` paths send their headers then only half the body
    on the first request, honouring ``Range`` afterwards."""

    files: dict[str, bytes] = {}
    truncate: set[str] = set()
    requests: list[dict] = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        body = self.files.get(self.path)
        rng = self.headers.get("Range")
        type(self).requests.append({"path": self.path, "range": rng})
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        part = body[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(part)))
        self.end_headers()
        if self.path in self.truncate:
            self.truncate.discard(self.path)
            self.wfile.write(part[: len(part) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(part)


@pytest.fixture
def fixture_zip() -> tuple[bytes, object]:
    text, defects = defects_fixture()
    path = Path(write_archive(Path("/tmp") / f"uci_fixture_{threading.get_ident()}.zip", text))
    data = path.read_bytes()
    path.unlink()
    return data, defects


@pytest.fixture
def server(fixture_zip):
    data, _ = fixture_zip
    _Files.files = {"/uci.zip": data, "/broken.zip": data}
    _Files.truncate = set()
    _Files.requests = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_downloads_verifies_and_skips_when_present(server, fixture_zip, tmp_path):
    data, _ = fixture_zip
    dest = tmp_path / "a.zip"
    first = fetch_archive(dest=dest, url=server + "/uci.zip", sha256=_sha(data))
    assert first.action == "downloaded" and dest.read_bytes() == data
    again = fetch_archive(dest=dest, url=server + "/uci.zip", sha256=_sha(data))
    assert again.action == "present" and len(_Files.requests) == 1
    forced = fetch_archive(dest=dest, url=server + "/uci.zip", sha256=_sha(data), force=True)
    assert forced.action == "downloaded" and len(_Files.requests) == 2


def test_digest_mismatch_is_refused_and_leaves_no_archive(server, tmp_path):
    dest = tmp_path / "a.zip"
    with pytest.raises(FetchError, match="SHA-256 mismatch") as err:
        fetch_archive(dest=dest, url=server + "/uci.zip", sha256="0" * 64)
    assert err.value.field == "sha256"
    assert not dest.exists() and not (tmp_path / "a.zip.part").exists()


def test_truncated_download_resumes_with_range_and_verifies(server, fixture_zip, tmp_path):
    data, _ = fixture_zip
    _Files.truncate = {"/broken.zip"}
    dest = tmp_path / "a.zip"
    with pytest.raises(FetchError, match="run again to resume"):
        fetch_archive(dest=dest, url=server + "/broken.zip", sha256=_sha(data))
    part = tmp_path / "a.zip.part"
    assert not dest.exists() and 0 < part.stat().st_size < len(data)
    had = part.stat().st_size
    result = fetch_archive(dest=dest, url=server + "/broken.zip", sha256=_sha(data))
    assert result.action == "resumed" and dest.read_bytes() == data
    assert _Files.requests[-1]["range"] == f"bytes={had}-"


def test_quality_report_counts_the_planted_defects(fixture_zip, tmp_path):
    data, d = fixture_zip
    path = tmp_path / "f.zip"
    path.write_bytes(data)
    v = validate_minutes(read_minutes(path))
    r = v.report
    assert r["rows"] == 3 * 24 * 60
    assert r["rows_all_missing"] == len(d.missing_rows)
    assert r["missing_by_column"]["active_power_kw"] == len(d.missing_rows)
    assert r["missing_by_column"]["sub_metering_3_wh"] == len(d.missing_rows)  # the empty last field
    assert r["missing_by_column"]["voltage_v"] == len(d.missing_rows) + len(d.missing_voltage)
    assert sum(m["active_power_kw"] for m in r["missing_by_month"].values()) == len(d.missing_rows)
    assert set(r["missing_by_month"]) == {"2007-03", "2007-04"}
    rules = {k: v["count"] for k, v in r["out_of_range_by_rule"].items()}
    assert rules["active_power_range"] == len(d.power_over_20kw)
    assert rules["voltage_range"] == len(d.voltage_low)
    assert rules["intensity_consistency"] == len(d.intensity_inconsistent)
    assert rules["sub_metering_within_total"] == len(d.sub_over_total)
    assert rules["duplicate_timestamp"] == len(d.duplicates) == r["duplicates"]["count"]
    assert r["out_of_range_by_rule"]["voltage_range"]["examples"][0]["voltage_v"] == 180.0
    assert r["out_of_range_by_rule"]["voltage_range"]["examples"][0]["line"] == d.voltage_low[0] + 2
    assert r["gaps_over_1h"]["count"] == 1 and r["gaps_over_1h"]["gaps"][0]["missing_minutes"] == 90
    assert r["rows_rejected"] == 8 and len(v.good) == r["rows"] - 8


def test_times_are_french_standard_time_converted_to_utc(fixture_zip, tmp_path):
    data, _ = fixture_zip
    path = tmp_path / "f.zip"
    path.write_bytes(data)
    m = read_minutes(path, limit=3)
    # 30/3/2007 00:00 in the file = 2007-03-29T23:00Z (UTC+01:00, no daylight saving).
    assert pd.Timestamp(int(m["time_us"].iloc[0]), unit="us", tz="UTC") == pd.Timestamp("2007-03-29T23:00Z")
    assert list(m["line"]) == [2, 3, 4]


@pytest.mark.parametrize(
    ("line", "column"),
    [
        ("31/2/2007;00:00:00;1.0;0.1;240.0;4.2;0;0;0", "Date/Time"),
        ("1/3/07;00:00:00;1.0;0.1;240.0;4.2;0;0;0", "Date/Time"),  # a two-digit year is not year 7
        ("1/3/2007;24:00:00;1.0;0.1;240.0;4.2;0;0;0", "Date/Time"),
        ("1/3/2007;00:00:00;1,0;0.1;240.0;4.2;0;0;0", "Global_active_power"),
        ("1/3/2007;00:00:00;1.0;0.1;240.0;4.2;0;0", "Sub_metering_3"),
    ],
)
def test_malformed_line_is_named_and_nothing_is_written(tmp_path, line, column):
    text, _ = defects_fixture()
    lines = text.decode().splitlines()[:50]
    lines.insert(20, line)
    bad = write_archive(tmp_path / "bad.zip", ("\n".join(lines) + "\n").encode())
    with pytest.raises(MalformedInput) as err:
        read_minutes(bad)
    assert err.value.line == 20 + 1 and err.value.column == column
    out = tmp_path / "out"
    with pytest.raises(CommandError, match=f"line 21, column {column}"):
        call_command("import_uci", "--file", str(bad), "--output", str(out), "--skip-db", stdout=StringIO())
    assert sorted(p.name for p in out.iterdir()) == ["household_power_consumption.zip"]


def test_command_loads_meter_readings_parquet_and_reports(db, settings, server, fixture_zip, tmp_path):
    settings.INFLUXDB_URL = ""
    from ingestion.timeseries import reset_store

    reset_store()
    data, _ = fixture_zip
    TenantFactory(name="home")
    out = tmp_path / "out"
    stdout = StringIO()
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    from ingestion.uci import importer

    outcome = importer.uci_import(
        output=out,
        url=server + "/uci.zip",
        file=None,
        sha256=_sha(data),
        force=False,
        limit=None,
        skip_db=False,
        tenant_name="home",
        asset_id="UCI-HOUSEHOLD",
        shift_weeks=None,
        now=now,
    )
    meter = Asset.objects.get(asset_id="UCI-HOUSEHOLD")
    assert meter.asset_type == "meter"
    hourly = pd.read_parquet(out / "hourly.parquet")
    assert outcome.hourly_rows == len(hourly) and hourly["minutes_covered"].max() == 60
    # The hour of the 90-minute gap is partly covered; every hour's kWh = mean kW x covered share.
    assert (
        hourly["energy_kwh"] - hourly["active_power_kw"] * hourly["minutes_covered"] / 60
    ).abs().max() < 1e-9
    minutes = pd.read_parquet(out / "minutes.parquet")
    assert len(minutes) == outcome.report["rows_good"]
    rejects = pd.read_csv(out / "rejects.csv")
    assert sorted(rejects["rule"].unique()) == sorted(
        [
            "active_power_range",
            "voltage_range",
            "intensity_consistency",
            "sub_metering_within_total",
            "duplicate_timestamp",
        ]
    )
    assert json.loads((out / "quality_report.json").read_text())["rows"] == 3 * 24 * 60
    assert "| `voltage_range` | 3 |" in (out / "quality_report.md").read_text()
    # Readings in the store: one per covered hour, moved forward by whole weeks.
    load = outcome.load
    assert load.written == len(hourly) and load.beyond_retention == 0
    first = hourly["time"].iloc[0].to_pydatetime() + pd.Timedelta(weeks=load.shift_weeks)
    points = get_store().read(
        measurement="events", asset_id="UCI-HOUSEHOLD", start=first, end=first + pd.Timedelta(hours=1)
    )
    assert len(points) == 1
    f = points[0].fields
    assert f["power_kw"] == pytest.approx(hourly["active_power_kw"].iloc[0])
    assert f["power_factor"] == pytest.approx(f["power_kw"] / f["apparent_power_kva"])
    assert (
        now - pd.Timedelta(weeks=1) <= hourly["time"].iloc[-1] + pd.Timedelta(weeks=load.shift_weeks) <= now
    )
    assert pd.Timestamp(first).day_of_week == hourly["time"].iloc[0].day_of_week
    # Importing again (archive present) replaces the same points: no duplicates.
    call_command(
        "import_uci", "--output", str(out), "--url", server + "/uci.zip", "--tenant", "home", stdout=stdout
    )
    assert json.loads(stdout.getvalue())["fetch"] == "present"


def test_command_refuses_unknown_tenant_before_fetching(db, tmp_path, server):
    with pytest.raises(CommandError, match="--tenant: no tenant named 'ghost'"):
        call_command(
            "import_uci", "--url", server + "/uci.zip", "--output", str(tmp_path), "--tenant", "ghost"
        )
    assert _Files.requests == [] and not list(tmp_path.iterdir())


def test_limit_reads_only_the_first_rows(fixture_zip, tmp_path):
    data, _ = fixture_zip
    f = tmp_path / "in.zip"
    f.write_bytes(data)
    out = tmp_path / "out"
    stdout = StringIO()
    call_command(
        "import_uci", "--file", str(f), "--output", str(out), "--skip-db", "--limit", "120", stdout=stdout
    )
    summary = json.loads(stdout.getvalue())
    assert summary["rows"] == 120 and summary["hourly_rows"] == 2 and summary["fetch"] == "copied"
