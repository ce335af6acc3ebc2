"""The PDF and the Excel report show the numbers the API answers for the same scope and period.

A generator fleet (a motor with a bearing fault, a healthy pump and fan) runs through the real ingest
and pipeline on both time-series stores; the reports are requested through the API, the PDF's text is
extracted with pypdf and the workbook's cells read with openpyxl, and every number is compared with
the answers of /energy, /assets/{id}/health/history, /alerts and with the §16.1 formulas applied here
to the stored features (formatted as §14.2 in the PDF, at full precision in the Excel file).
"""

from __future__ import annotations

import io
import json
import math
import re
from datetime import datetime, timedelta

from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader
from rest_framework.test import APIClient

from ingestion import services as ingest_services
from ingestion.models import Asset, Tenant
from ingestion.timeseries import get_store
from tests.factories import token_for
from tests.reporting.fleet import FAULTY, half_hour_ceil, iso, report_fleet

TARIFF = {
    "versions": [
        {
            "effective_from": "2020-01-01",
            "billing_basis": "kvah",
            "energy_rate": 8.0,
            "tod_slots": [{"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5}],
            "pf_reference": 0.95,
            "pf_incentive_pct_per_step": 0.5,
            "pf_penalty_pct_per_step": 0.5,
            "pf_penalty_threshold": 0.90,
            "pf_steep_penalty_pct_per_step": 1.0,
            "demand_rate_per_kva": 350,
            "demand_min_share": 0.0,
            "fixed_monthly": 2000,
        }
    ]
}


def _fmt(x: float | None, n: int) -> str:
    return "" if x is None else format(x, f".{n}f")


def _api(tenant: Tenant, *scopes: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(tenant, *scopes)}")
    return api


def _load_fleet() -> tuple[Tenant, datetime, datetime, dict]:
    events, manifest, start = report_fleet()
    tenant = Tenant.objects.create(name="Acme Pumps")
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    for i in range(0, len(events), 3000):
        ingest_services.events_ingest(tenant=tenant, body=json.dumps(events[i : i + 3000]))
    admin = _api(tenant, "admin")
    site = Asset.objects.filter(tenant=tenant).values_list("supply_site", flat=True).first()
    assert admin.put(f"/api/v1/sites/{site}/tariff", TARIFF, format="json").status_code == 200
    last = max(datetime.fromisoformat(e["timestamp"]) for e in events)
    period_start = start + timedelta(days=3)
    return tenant, period_start, half_hour_ceil(last + timedelta(seconds=1)), {"site": site}


def _features_16_1(asset_id: str, start: datetime, end: datetime) -> dict:
    """§16.1 applied here to the stored features (an independent reading of the formulas); energy is
    the energy API's (intervals split at the period's edges, §16.1)."""
    points = get_store().read(measurement="features", asset_id=asset_id, start=start, end=end)
    gap = low = v = f = 0.0
    pfs = []
    for p in points:
        x = p.fields
        interval, gap_s = x.get("interval_s") or 0.0, x.get("energy_gap_s") or 0.0
        dur = max(0.0, interval - gap_s)
        gap += gap_s
        low += dur if x.get("low_pf") == 1 else 0.0
        v += dur if x.get("voltage_out_of_band") == 1 else 0.0
        f += dur if x.get("frequency_out_of_band") == 1 else 0.0
        if x.get("power_factor") is not None:
            pfs.append(x["power_factor"])
    return {
        "energy_gap_h": gap / 3600,
        "pf_mean": sum(pfs) / len(pfs),
        "pf_min": min(pfs),
        "hours_pf_below_limit": low / 3600,
        "voltage_out_of_band_min": v / 60,
        "frequency_out_of_band_min": f / 60,
    }


def _api_expectations(api: APIClient, tenant: Tenant, start: datetime, end: datetime) -> dict:
    """Per asset and for the fleet, the API's answers for the period."""
    q = {"start": iso(start), "end": iso(end)}
    energy = api.get("/api/v1/energy", {"scope": "fleet", **q, "bucket": "day"}).json()
    assets = {}
    for a in api.get("/api/v1/assets").json():
        aid = a["asset_id"]
        hist = api.get(f"/api/v1/assets/{aid}/health/history", {**q, "resolution": "raw"}).json()["series"]
        scores = [p["values"]["health_score"] for p in hist]
        last = hist[-1]["values"] if hist else {}
        alerts = api.get(
            "/api/v1/alerts",
            {"asset_id": aid, "opened_after": q["start"], "opened_before": q["end"], "limit": 1000},
        ).json()
        asset_energy = api.get("/api/v1/energy", {"scope": "asset", "id": aid, **q}).json()["totals"]
        assets[aid] = {
            **_features_16_1(aid, start, end),
            "health_latest": last.get("health_score"),
            "health_min": min(scores) if scores else None,
            "health_mean": sum(scores) / len(scores) if scores else None,
            "risk_level": last.get("risk_level"),
            "rul_days": last.get("rul_days"),
            "alerts_raised": alerts["count"],
            "cost_inr": asset_energy["cost"]["total"],
            "energy_kwh": asset_energy["energy_kwh"],  # the energy API's, as the dashboard shows it
        }
    return {"energy": energy, "assets": assets}


ASSET_NUMBERS = [  # (column, decimals in the PDF)
    ("health_latest", 0),
    ("health_min", 0),
    ("health_mean", 0),
    ("alerts_raised", 0),
    ("pf_mean", 3),
    ("pf_min", 3),
    ("hours_pf_below_limit", 1),
    ("voltage_out_of_band_min", 1),
    ("frequency_out_of_band_min", 1),
    ("energy_kwh", 1),
    ("energy_gap_h", 1),
    ("cost_inr", 2),
]
ENERGY_NUMBERS = [
    ("energy_kwh", 1),
    ("apparent_energy_kvah", 1),
    ("reactive_energy_kvarh", 1),
    ("power_factor", 3),
    ("max_demand_kva", 2),
    ("running_h", 1),
    ("co2_t", 3),
]


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=2, values_only=True)]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _check_excel(content: bytes, expected: dict) -> None:
    wb = load_workbook(io.BytesIO(content))
    assert {"assets", "fleet", "factors", "meta", "energy", "incidents", "billing"} <= set(wb.sheetnames)
    rows = {r["asset_id"]: r for r in _rows(wb["assets"])}
    assert set(rows) == set(expected["assets"])
    headers = {c.value.split(" ")[0]: c.value for c in wb["assets"][1]}
    for aid, exp in expected["assets"].items():
        row = rows[aid]
        for key in [k for k, _ in ASSET_NUMBERS] + ["risk_level"]:
            got = row[headers[key]]
            if isinstance(exp[key], float):
                assert _close(got, exp[key]), (aid, key, got, exp[key])
            else:
                assert got == exp[key], (aid, key, got, exp[key])
    assert wb["assets"].freeze_panes == "A2" and wb["assets"].auto_filter.ref.startswith("A1:")
    assert wb["assets"]["E2"].number_format == "0"  # health: integers shown, full value kept
    assert wb["assets"]._charts and wb["energy"]._charts
    fleet = {r["metric"]: r for r in _rows(wb["fleet"])}
    totals = expected["energy"]["totals"]
    for key, _ in ENERGY_NUMBERS:
        assert _close(fleet[key]["value"], totals[key]), key
    for part in ("energy", "time_of_day", "pf_adjustment", "demand", "fixed", "total"):
        assert _close(fleet[f"cost_{part}"]["value"], totals["cost"][part]), part
    buckets = _rows(wb["energy"])
    api_buckets = [b for b in expected["energy"]["series"] if b["energy_kwh"] is not None]
    assert [b["label"] for b in buckets] == [b["label"] for b in api_buckets]
    for got, exp in zip(buckets, api_buckets, strict=True):
        assert _close(got["energy_kwh (kWh)"], exp["energy_kwh"]) and _close(
            got["cost_total (INR)"], exp["cost"]["total"]
        )
    billing = _rows(wb["billing"])
    assert [(b["month"], b["pf_adjustment_pct (%)"]) for b in billing] == [
        (m["month"], m["pf_adjustment_pct"]) for m in expected["energy"]["billing_months"]
    ]
    meta = {r["key"]: r["value"] for r in _rows(wb["meta"])}
    assert meta["has_data"] == "yes" and meta["contract_version"] == "1"


def _pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _check_pdf(content: bytes, expected: dict, tenant: str, start: datetime, end: datetime) -> None:
    pages = _pdf_text(content)
    assert all(f"Page {i} of {len(pages)}" in p for i, p in enumerate(pages, start=1))
    assert all(tenant in p and iso(start) in p and iso(end) in p for p in pages)
    text = "\n".join(pages)
    assets_text = text[text.index("Assets\nPer active asset") :]
    ids = sorted(expected["assets"], key=lambda a: assets_text.index(a))
    for i, aid in enumerate(ids):
        segment = assets_text[
            assets_text.index(aid) : assets_text.index(ids[i + 1]) if i + 1 < len(ids) else None
        ]
        tokens = segment.split()
        exp = expected["assets"][aid]
        wanted = [exp["risk_level"]] + [_fmt(exp[k], n) for k, n in ASSET_NUMBERS]
        pos = 0
        for w in wanted:  # every number, in the column order of the table
            assert w in tokens[pos:], (aid, w, tokens)
            pos = tokens.index(w, pos) + 1
    totals = expected["energy"]["totals"]
    energy_text = text[text.index("Energy and cost\n") :]
    for key, n in ENERGY_NUMBERS:
        assert _fmt(totals[key], n) in energy_text, key
    for part in ("energy", "time_of_day", "pf_adjustment", "demand", "fixed", "total"):
        assert _fmt(totals["cost"][part], 2) in energy_text, part
    for m in expected["energy"]["billing_months"]:
        assert _fmt(m["pf_billed"], 3) in energy_text and m["month"] in energy_text


@override_settings(BASELINE_DEFAULT_HOURS=72, BASELINE_MIN_EVENTS=500)
def test_pdf_and_excel_show_the_apis_numbers_for_a_fleet_with_a_faulty_machine(energy_store):
    tenant, start, end, _ = _load_fleet()
    api = _api(tenant, "read")
    expected = _api_expectations(api, tenant, start, end)
    assert expected["assets"][FAULTY]["risk_level"] in ("High", "Critical")
    assert {e["risk_level"] for a, e in expected["assets"].items() if a != FAULTY} <= {"Low", "Medium"}
    assert expected["energy"]["totals"]["cost"]["pf_adjustment"] != 0
    body = {"scope": "fleet", "start": iso(start), "end": iso(end)}

    resp = api.post("/api/v1/reports", {**body, "format": "xlsx"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp["Content-Disposition"].endswith(
        f'pdm-report-acme-pumps-{start:%Y%m%dT%H%M}Z-{end:%Y%m%dT%H%M}Z.xlsx"'
    )
    _check_excel(resp.content, expected)

    resp = api.post("/api/v1/reports", {**body, "format": "pdf"}, format="json")
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/pdf"
    _check_pdf(resp.content, expected, "Acme Pumps", start, end)
    text = "\n".join(_pdf_text(resp.content))
    detail = text[text.index("Assets at High or Critical risk") :]
    assert FAULTY in detail and "Risk is " in detail and "Incident timeline" in detail
    assert "Charts per asset" in text and "ISO zones A/B" in text

    listed = api.get("/api/v1/reports").json()
    assert [r["format"] for r in listed] == ["pdf", "xlsx"] and all(r["status"] == "ready" for r in listed)
    again = api.get(listed[0]["download_url"])
    assert again.status_code == 200 and again.content == resp.content


def test_a_period_without_data_says_so_instead_of_printing_zeros(energy_store):
    tenant = Tenant.objects.create(name="Empty Works")
    _, manifest, _ = report_fleet()
    ingest_services.fleet_register(tenant=tenant, entries=manifest["assets"])
    api = _api(tenant, "read")
    body = {"scope": "fleet", "start": "2024-01-01T00:00:00Z", "end": "2024-01-08T00:00:00Z"}
    pdf = api.post("/api/v1/reports", {**body, "format": "pdf"}, format="json")
    assert pdf.status_code == 200, pdf.content
    text = "\n".join(_pdf_text(pdf.content))
    assert "No data in this period" in text
    summary = text[: text.index("Assets\nPer active asset")]
    assert not re.search(r"\b0\.0\b|\b0\.000\b", summary)  # no zero figures on the summary
    wb = load_workbook(
        io.BytesIO(api.post("/api/v1/reports", {**body, "format": "xlsx"}, format="json").content)
    )
    rows = _rows(wb["assets"])
    assert len(rows) == 3
    for row in rows:  # empty cells, not zeros
        assert row["energy_kwh (kWh)"] is None and row["pf_mean"] is None and row["health_latest"] is None
    assert {r["key"]: r["value"] for r in _rows(wb["meta"])}["has_data"] == "no"
