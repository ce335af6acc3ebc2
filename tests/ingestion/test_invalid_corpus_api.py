"""Every case of the generator's invalid corpus, sent to the real endpoint: 4xx naming the rule, nothing stored."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from ingestion.timeseries import get_store, reset_store
from tests.factories import AssetFactory, TenantFactory, token_for

ROOT = Path(__file__).resolve().parents[2]


@cache
def corpus() -> list[dict]:
    out = (
        Path(
            subprocess.run(
                [sys.executable, "-c", "import tempfile;print(tempfile.mkdtemp())"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        )
        / "invalid.jsonl"
    )
    subprocess.run(
        [sys.executable, "-m", "generator", "invalid", "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return [json.loads(line) for line in out.read_text().splitlines()]


def asset_ids_in(body: str) -> set[str]:
    return set(re.findall(r'"asset_id"\s*:\s*"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})"', body))


@pytest.mark.parametrize("case", corpus(), ids=lambda c: c["case"])
def test_invalid_case_is_refused_naming_its_rule_and_field_and_stores_nothing(case, settings, db):
    settings.INFLUXDB_URL = ""
    reset_store()
    tenant = TenantFactory(name="corpus")
    # Register every asset the body names, so a wrongly accepted event would really be stored.
    for asset_id in asset_ids_in(case["body"]):
        AssetFactory(tenant=tenant, asset_id=asset_id)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'ingest')}")
    resp = client.generic("POST", "/api/v1/ingest", case["body"].encode(), content_type="application/json")
    expected_status = 413 if case["rule"] == "batch_too_large" else 422
    assert resp.status_code == expected_status, resp.content[:500]
    errors = resp.json()["errors"]
    assert any(e["rule"] == case["rule"] and e["field"] == case["field"] for e in errors), errors[:5]
    far = datetime(2262, 1, 1, tzinfo=UTC)
    for asset_id in asset_ids_in(case["body"]):
        assert get_store().count(measurement="events", asset_id=asset_id, end=far) == 0
    reset_store()
