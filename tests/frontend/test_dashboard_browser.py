"""The dashboard in a real browser: Chromium (playwright-core, frontend/e2e/*.test.mjs) against a
real gunicorn server of this checkout on the test database and a throwaway influxd, fed by the
generator through the ingest API (analytics in-process, as in the demo).

Two tenants: `acme` (three machines, MTR-001 with a bearing fault that reaches Critical) with one
login per role, and `globex` (one machine) whose asset acme's people must never see. Every spec
reads its expected values from the API through the page's own session. Screenshots go to
$PDM_SCREENSHOT_DIR (default var/screenshots/dashboard; docs/dashboard.md shows them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from pdm_project.devservices import free_port
from tests.fixtures.celery_worker import _db_env
from tests.fixtures.influx import drop_database, fresh_database_name

ROOT = Path(__file__).resolve().parents[2]
E2E = ROOT / "frontend" / "e2e"
PASSWORD = "Rotating-Machines-42"
USERS = {"operator": "asha-operator", "manager": "meera-manager", "admin": "ravi-admin"}
FOREIGN_ASSET = "GLX-001"
TARIFF = {
    "effective_from": "2025-01-01",
    "name": "HT industrial (illustrative)",
    "billing_basis": "kvah",
    "energy_rate": 8.0,
    "tod_slots": [
        {"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5},
        {"name": "night", "start": "22:00", "end": "06:00", "multiplier": 0.75},
    ],
    "pf_reference": 0.95,
    "pf_incentive_pct_per_step": 0.5,
    "pf_penalty_pct_per_step": 0.5,
    "pf_penalty_threshold": 0.90,
    "pf_steep_penalty_pct_per_step": 1.0,
    "demand_rate_per_kva": 350,
    "demand_min_share": 0.75,
    "fixed_monthly": 2000,
}

# django_db: pytest-django sets the test database up only for a session with tests marked so.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _scenario(path: Path, *, seed: int, days: float, assets: list[dict], faults: list[dict]) -> Path:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(days=days)
    data = {
        "seed": seed,
        "duration_days": days,
        "interval_s": 120,
        "start": start.isoformat().replace("+00:00", "Z"),
        "site": {"name": "Pune plant"},
        "assets": assets,
        "faults": faults,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(argv: list[str], env: dict[str, str]) -> str:
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"{' '.join(argv[:4])} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _wait_for(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the server exited:\n{log.read_text()[-3000:]}"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our loopback server
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"the server did not answer at {url}:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def dashboard(django_db_setup, django_db_blocker, influxd, tmp_path_factory):
    """The server's base URL once both tenants' streams are in and assessed."""
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("the dashboard is not built: run `make frontend` (make test does)", pytrace=False)
    from django.core.management import call_command

    from analytics.energy.services import tariff_versions_replace
    from ingestion import services
    from ingestion.selectors import site_get

    work = tmp_path_factory.mktemp("dashboard")
    influx_db = fresh_database_name("pdm_dashboard")
    env = {
        **os.environ,
        **_db_env(),
        "INFLUXDB_URL": influxd.url,
        "INFLUXDB_DATABASE": influx_db,
        "CELERY_BROKER_URL": "",  # analytics in-process, as the demo runs them
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "DJANGO_SECRET_KEY": "browser-tests-only",
        "API_TOKEN_RATE": "100000/s",
        "PDM_LOGIN_RATE": "1000/min",
        "PYTHONUNBUFFERED": "1",
    }
    acme_scenario = _scenario(
        work / "acme.yaml",
        seed=11,
        days=5.5,
        assets=[
            {"type": "motor", "id_prefix": "MTR", "location": "Pune plant / Line A"},
            {"type": "pump", "id_prefix": "PMP", "location": "Pune plant / Cooling water"},
            {"type": "fan", "id_prefix": "FAN", "location": "Pune plant / Paint shop"},
        ],
        faults=[
            {"asset": "MTR-001", "mode": "bearing_outer", "onset_days": 3.2, "time_to_failure_days": 2.0}
        ],
    )
    globex_scenario = _scenario(
        work / "globex.yaml", seed=5, days=1.0, assets=[{"type": "pump", "id_prefix": "GLX"}], faults=[]
    )
    tokens = {}
    with django_db_blocker.unblock():
        for name, scenario in (("acme", acme_scenario), ("globex", globex_scenario)):
            manifest = work / f"{name}-assets.json"
            _run(
                [sys.executable, "-m", "generator", "simulate", "--scenario", str(scenario), "--out",
                 str(work / f"{name}.jsonl"), "--manifest", str(manifest)],
                env,
            )  # fmt: skip
            tenant = services.tenant_get_or_create(name=name, create=True)
            services.fleet_register(tenant=tenant, entries=json.loads(manifest.read_text())["assets"])
            tokens[name] = services.api_token_create(tenant=tenant, name="stream", scopes=["ingest"])[1]
            if name == "acme":
                # the tariff of CONTRACTS §18.5, so the Energy page shows a cost breakdown
                tariff_versions_replace(site=site_get(tenant=tenant, code="main"), versions=[TARIFF])
                for role, username in USERS.items():
                    services.member_create(tenant=tenant, username=username, password=PASSWORD, role=role)
            else:
                services.member_create(tenant=tenant, username="glen-globex", password=PASSWORD, role="admin")
    _run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    _run([sys.executable, "manage.py", "check_timeseries"], env)  # creates the database and policies
    port = free_port()
    log = work / "server.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pdm_project.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4", "--timeout", "300"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/api/v1/health", server, log)
        for name, scenario in (("acme", acme_scenario), ("globex", globex_scenario)):
            _run(
                [sys.executable, "-m", "generator", "stream", "--scenario", str(scenario), "--url",
                 f"{base}/api/v1/ingest", "--token", tokens[name], "--rate", "0", "--batch-size", "720"],
                env,
            )  # fmt: skip
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_database(influxd.url, influx_db)
        with django_db_blocker.unblock():
            call_command("flush", "--noinput", verbosity=0)  # later tests start from an empty database


def run_spec(base: str, spec: str, extra_env: dict[str, str] | None = None) -> None:
    shots = os.environ.get("PDM_SCREENSHOT_DIR", str(ROOT / "var" / "screenshots" / "dashboard"))
    env = {
        **os.environ,
        **(extra_env or {}),
        "PDM_BASE_URL": base,
        "PDM_SCREENSHOT_DIR": shots,
        "PDM_E2E_USERS": json.dumps({role: [u, PASSWORD] for role, u in USERS.items()}),
        "PDM_FOREIGN_ASSET": FOREIGN_ASSET,
    }
    proc = subprocess.run(
        ["node", "--test", "--test-reporter=spec", str(E2E / spec)],
        cwd=ROOT / "frontend",
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, f"{spec} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"


def test_operator_sees_every_asset_of_the_fleet_with_the_apis_values(dashboard):
    run_spec(dashboard, "fleet.test.mjs")


def test_the_faulty_assets_explanation_and_factors_equal_the_apis(dashboard):
    run_spec(dashboard, "asset.test.mjs")


def test_operator_acknowledges_an_incident_and_sees_it_in_the_audit_trail(dashboard):
    run_spec(dashboard, "incidents.test.mjs")


def test_roles_and_tenants_bound_what_a_login_sees(dashboard):
    run_spec(dashboard, "access.test.mjs")


def test_energy_figures_on_every_page_are_the_apis_and_live_refresh_is_conditional(dashboard):
    run_spec(dashboard, "energy.test.mjs")


def _pdf_number(text: str, label: str) -> float:
    """The first number after `label` at the start of a line of the PDF's text."""
    match = re.search(rf"^{re.escape(label)}\s+([-+]?[\d,]+(?:\.\d+)?)", text, re.MULTILINE)
    assert match, f"no {label!r} row on the PDF's first page:\n{text}"
    return float(match.group(1).replace(",", ""))


def _page_number(text: str) -> float:
    return float(re.search(r"[-+]?[\d,]+(?:\.\d+)?", text).group(0).replace(",", ""))  # type: ignore[union-attr]


def test_manager_reports_schedules_and_the_header_pdf_first_page_equals_the_page_and_api(dashboard, tmp_path):
    run_spec(dashboard, "reports.test.mjs", {"PDM_E2E_OUT": str(tmp_path)})
    seen = json.loads((tmp_path / "header-report.json").read_text())
    from pypdf import PdfReader

    first = PdfReader(seen["pdf"]).pages[0].extract_text()
    assert f"period {seen['start']} to {seen['end']} (UTC)" in first
    # Energy and cost: the PDF prints the energy API's totals as the Energy page does (CONTRACTS §14.2)
    energy = _pdf_number(first, "Energy")
    assert energy == _page_number(seen["shown"]["energy_kwh"])
    assert abs(energy - seen["energy"]["energy_kwh"]) <= 0.05 + 1e-9
    cost = _pdf_number(first, "Cost")
    assert cost == _page_number(seen["shown"]["cost_total"])
    assert abs(cost - seen["energy"]["cost"]["total"]) <= 0.005 + 1e-9
    # the risk counts: the latest assessment of each asset in the period is the fleet's latest
    for level in ("Low", "Medium", "High", "Critical"):
        assert _pdf_number(first, f"Assets at risk {level}") == seen["counts"][level], level
