"""The published OpenAPI document is exact: schemathesis (`st run`, pinned in requirements.txt)
with every check and every phase -- examples, coverage, fuzzing and the stateful phase, which
follows the document's links from a listed or created asset to its reads and update and from a
listed alert to its reading, acknowledgement and resolution -- finds no failure and no error
against a real server (pytest-django's live_server): every operation on the SQL store, and the
operations that read or write the time-series store on a real influxd.

The seed is random unless PDM_FUZZ_SEED is set; it is printed with the number of generated
cases, so a failure is reproduced with `st run ... --seed N`. The run reads the repository's
schemathesis.toml (the contract rules OpenAPI cannot express). The token throttle is raised for
the run: 429 stays documented, but a fuzzer must reach the code behind it.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import AssetFactory, TenantFactory, token_for
from tests.ingestion.events import event

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
#: examples per operation and phase; the coverage phase adds its own deterministic cases
MAX_EXAMPLES = int(os.environ.get("PDM_FUZZ_EXAMPLES", "3"))
#: on InfluxDB, the operations whose answers come from the time-series store, and the asset
#: list whose links lead to them; the SQL run covers every operation
INFLUX_OPERATIONS = (
    r"^/api/v1/(ingest|health|fleet/health|energy|assets"
    r"|assets/\{asset_id\}/(signals|latest|health|health/history))$"
)


@pytest.fixture(params=["sql", "influxdb"])
def store(request, settings):
    from ingestion.timeseries import get_store, reset_store

    if request.param == "influxdb":
        yield request.getfixturevalue("influx_settings")
        return
    settings.INFLUXDB_URL = ""
    settings.TIMESERIES_BACKEND = "sql"
    reset_store()
    yield get_store()
    reset_store()


@pytest.fixture
def fuzz_token(transactional_db, store, monkeypatch):
    """A tenant with an asset, a few events, open alerts and a token holding every scope."""
    from assessment.models import Alert
    from ingestion import services
    from ingestion.throttling import TokenRateThrottle

    monkeypatch.setattr(TokenRateThrottle, "THROTTLE_RATES", {"token": "100000/s"})
    # thousands of refused requests are expected: logging each one costs more than serving it
    monkeypatch.setattr(logging.getLogger("django.request"), "disabled", True)
    tenant = TenantFactory(name="fuzz")
    asset = AssetFactory(tenant=tenant, asset_id="FUZZ-01")
    now = datetime.now(UTC).replace(microsecond=0)
    events = [event(asset.asset_id, now - timedelta(minutes=m)) for m in range(1, 6)]
    services.events_ingest(tenant=tenant, body=json.dumps(events).encode())
    # one open equipment incident per asset (CONTRACTS §15.2): four assets, four incidents to act on
    alerted = [asset, *(AssetFactory(tenant=tenant, asset_id=f"FUZZ-0{i}") for i in (2, 3, 4))]
    for hours, (cause, on) in enumerate(
        zip(
            ["rule:overcurrent", "rule:low_pf", "rule:voltage_band", "rule:temperature_limit"],
            alerted,
            strict=True,
        )
    ):
        Alert.objects.create(
            asset=on,
            tenant=tenant,
            site=on.supply_site,
            cause=cause,
            severity="warning",
            opened_at=now - timedelta(hours=hours + 1),
            last_seen_at=now,
            explanation=f"{cause} seen on {on.asset_id}",
        )
    return token_for(tenant, "ingest", "read", "admin")


def test_schemathesis_finds_no_failure_in_any_phase(fuzz_token, live_server, store):
    seed = int(os.environ.get("PDM_FUZZ_SEED") or random.randrange(2**31))
    argv = [
        str(ST),
        "run",
        f"{live_server.url}/api/schema/?format=json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(seed),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--header",
        f"Authorization: Bearer {fuzz_token}",
    ]
    if store.backend == "influxdb":
        argv += ["--include-path-regex", INFLUX_OPERATIONS]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    out = proc.stdout + proc.stderr
    generated = re.search(r"(\d+) generated", out)
    cases = generated.group(1) if generated else "?"
    print(f"schemathesis on the {store.backend} store: seed {seed}, {cases} generated cases")
    assert proc.returncode == 0, f"seed {seed}, {cases} cases:\n{out[-20000:]}"
    assert generated and int(cases) > 0, out[-5000:]
    if store.backend == "sql":
        assert re.search(r"Selected: (\d+)/\1", out), out[-5000:]  # every operation was tested
    assert re.search(r"✅ Stateful", out), out[-5000:]  # the links were followed, and passed
