"""GET /api/v1/energy/today: every asset's energy of its site's day so far in one request, equal
to what the asset's own energy summary gives for the same period, through real ingest on both
stores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils.dateparse import parse_datetime

from ingestion.models import Site
from tests.analytics.energy import worked_example as wx
from tests.analytics.energy.test_energy_api import client, ingest
from tests.factories import AssetFactory, TenantFactory

HALF_HOUR = timedelta(minutes=30)


def expected_window(now: datetime, zone: str) -> tuple[datetime, datetime]:
    """Local midnight and the end of the half-hour holding `now`, from the definition."""
    midnight = now.astimezone(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start = epoch + (midnight - epoch) // HALF_HOUR * HALF_HOUR
    end = epoch + -((epoch - now) // HALF_HOUR) * HALF_HOUR
    return start, max(end, start + HALF_HOUR)


@pytest.fixture
def fleet(energy_store):
    tenant = TenantFactory(name="plant")
    Site.objects.create(tenant=tenant, code="main", name="Main", timezone="Asia/Kolkata")
    # UTC+04:00: its day starts 1 h 30 min after Kolkata's (a zone off the half-hour is refused)
    Site.objects.create(tenant=tenant, code="east", name="East", timezone="Asia/Dubai")
    for asset_id, site in (("M-1", "main"), ("M-2", "main"), ("E-1", "east"), ("IDLE-1", "main")):
        AssetFactory(tenant=tenant, asset_id=asset_id, supply_site=site, **wx.ASSET)
    api = client(tenant, "ingest", "read")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
    for asset_id, amps in (("M-1", 40.0), ("M-2", 25.0), ("E-1", 60.0)):
        ingest(api, wx.stretch(asset_id, start, 150, current_a=amps))
    return tenant, api


def test_every_asset_gets_its_sites_day_so_far_equal_to_its_own_energy_summary(fleet):
    _tenant, api = fleet

    resp = api.get("/api/v1/energy/today")

    assert resp.status_code == 200, resp.content
    body = resp.json()
    now = parse_datetime(body["evaluated_at"])
    rows = {r["asset_id"]: r for r in body["assets"]}
    assert sorted(rows) == ["E-1", "IDLE-1", "M-1", "M-2"]
    assert body["site"] is None
    for asset_id, row in rows.items():
        zone = "Asia/Dubai" if asset_id == "E-1" else "Asia/Kolkata"
        assert row["timezone"] == zone
        assert (parse_datetime(row["start"]), parse_datetime(row["end"])) == expected_window(now, zone)
        alone = api.get(
            "/api/v1/energy",
            {"scope": "asset", "id": asset_id, "start": row["start"], "end": row["end"], "bucket": "day"},
        )
        assert alone.status_code == 200, alone.content
        totals = alone.json()["totals"]
        # the same block values, added in another grouping (per tariff cell there): equal to the
        # last bits of a double
        expected = totals["energy_kwh"]
        assert row["energy_kwh"] == (None if expected is None else pytest.approx(expected, rel=1e-12))
        assert row["covered_h"] == totals["coverage"]["covered_h"]
    assert rows["IDLE-1"]["energy_kwh"] is None
    assert rows["E-1"]["energy_kwh"] > rows["M-1"]["energy_kwh"] > rows["M-2"]["energy_kwh"] > 0


def test_a_site_gets_only_its_assets_and_another_tenants_site_is_404(fleet):
    _tenant, api = fleet
    stranger = TenantFactory(name="stranger")
    AssetFactory(tenant=stranger, asset_id="OTHER-1", supply_site="north")

    main = api.get("/api/v1/energy/today", {"site": "main"})

    assert main.status_code == 200, main.content
    assert main.json()["site"] == "main"
    assert [r["asset_id"] for r in main.json()["assets"]] == ["IDLE-1", "M-1", "M-2"]
    assert api.get("/api/v1/energy/today", {"site": "north"}).status_code == 404
    assert [r["asset_id"] for r in client(stranger, "read").get("/api/v1/energy/today").json()["assets"]] == [
        "OTHER-1"
    ]
    empty = api.get("/api/v1/energy/today", {"site": ""})
    assert empty.status_code == 400
    assert [e["field"] for e in empty.json()["errors"]] == ["site"]
