"""An imported UCI meter reads like any asset in the energy API (CONTRACTS §3.5, §18), on both stores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from ingestion.uci import importer
from ingestion.uci.sample import defects_fixture, write_archive
from tests.factories import TenantFactory, token_for


def _iso(t: pd.Timestamp) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_energy_api_answers_for_an_imported_meter_from_its_hourly_readings(energy_store, tmp_path):
    text, _ = defects_fixture()
    archive = write_archive(tmp_path / "uci.zip", text)
    tenant = TenantFactory(name="home")
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    outcome = importer.uci_import(
        output=tmp_path / "out",
        url=None,
        file=Path(archive),
        sha256=None,
        force=False,
        limit=None,
        skip_db=False,
        tenant_name="home",
        asset_id="UCI-HOUSEHOLD",
        shift_weeks=None,
        now=now,
    )
    hourly = pd.read_parquet(tmp_path / "out" / "hourly.parquet")
    assert outcome.load.written == len(hourly) > 48
    times = hourly["time"] + pd.Timedelta(weeks=outcome.load.shift_weeks)
    # The readings as the contract integrates them (§6.4, §18.2): the trapezoid between
    # consecutive hourly readings; with readings an hour apart max_gap_s = 3 h, so the 2 h
    # interval over the fixture's 90-minute gap is integrated too.
    dt_h = np.diff(times.to_numpy()).astype("timedelta64[s]").astype(float) / 3600
    assert dt_h.max() == 2.0
    p = hourly["active_power_kw"].to_numpy()
    expected_kwh = float(np.sum((p[1:] + p[:-1]) / 2 * dt_h))

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, 'read')}")
    start, end = times.iloc[0].floor("D"), times.iloc[-1].ceil("D")
    resp = api.get(
        "/api/v1/energy",
        {"scope": "asset", "id": "UCI-HOUSEHOLD", "start": _iso(start), "end": _iso(end), "bucket": "day"},
    )
    assert resp.status_code == 200, resp.content
    totals = resp.json()["totals"]
    assert totals["energy_kwh"] == pytest.approx(expected_kwh, rel=1e-9)
    assert totals["coverage"]["covered_h"] == pytest.approx(dt_h.sum())
    # Apparent energy from the stored S = sqrt(P^2 + Q^2) of each hour, the same trapezoid.
    s = np.hypot(p, hourly["reactive_power_kvar"].to_numpy())
    assert totals["apparent_energy_kvah"] == pytest.approx(
        float(np.sum((s[1:] + s[:-1]) / 2 * dt_h)), rel=1e-9
    )
    assert totals["power_factor"] == pytest.approx(totals["energy_kwh"] / totals["apparent_energy_kvah"])
