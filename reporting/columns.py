"""The columns of the report's tables: key in the content, header with its unit, number kind (§14.2).

One list per table, shared by the PDF and the Excel file so both show the same fields. Pure.
"""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    key: str
    header: str  # Excel header: the field name with its unit
    short: str  # PDF header
    kind: str | None  # number kind of reporting.numbers (None = text)


ASSET_COLUMNS = [
    Column("asset_id", "asset_id", "Asset", None),
    Column("name", "name", "Name", None),
    Column("site", "site", "Site", None),
    Column("risk_level", "risk_level", "Risk", None),
    Column("health_latest", "health_latest", "Health", "health"),
    Column("health_min", "health_min", "min", "health"),
    Column("health_mean", "health_mean", "mean", "health"),
    Column("rul_days", "rul_days (days)", "RUL d", "days"),
    Column("rul_low_days", "rul_low_days (days)", "low", "days"),
    Column("rul_high_days", "rul_high_days (days)", "high", "days"),
    Column("rul_reason", "rul_reason", "RUL reason", None),
    Column("alerts_raised", "alerts_raised (count)", "Raised", "count"),
    Column("alerts_acknowledged", "alerts_acknowledged (count)", "Ack", "count"),
    Column("alerts_resolved", "alerts_resolved (count)", "Resolved", "count"),
    Column("pf_mean", "pf_mean", "PF mean", "pf"),
    Column("pf_min", "pf_min", "PF min", "pf"),
    Column("hours_pf_below_limit", "hours_pf_below_limit (h)", "PF<lim h", "h"),
    Column("voltage_out_of_band_min", "voltage_out_of_band_min (min)", "V out min", "min"),
    Column("frequency_out_of_band_min", "frequency_out_of_band_min (min)", "f out min", "min"),
    Column("energy_kwh", "energy_kwh (kWh)", "kWh", "kwh"),
    Column("energy_gap_h", "energy_gap_h (h)", "Gap h", "h"),
    Column("cost_inr", "cost_inr (INR)", "Cost INR", "inr"),
    Column("stale", "stale", "Stale", None),
]

# The PDF's assets table leaves out what does not fit a landscape page (name, site, stale, RUL reason
# go to their own line under the table's asset id).
PDF_ASSET_KEYS = [
    "asset_id",
    "risk_level",
    "health_latest",
    "health_min",
    "health_mean",
    "rul_days",
    "alerts_raised",
    "alerts_acknowledged",
    "alerts_resolved",
    "pf_mean",
    "pf_min",
    "hours_pf_below_limit",
    "voltage_out_of_band_min",
    "frequency_out_of_band_min",
    "energy_kwh",
    "energy_gap_h",
    "cost_inr",
]

ENERGY_COLUMNS = [
    Column("label", "label", "Bucket", None),
    Column("start", "start (UTC)", "Start", None),
    Column("start_local", "start_local", "Start (site)", None),
    Column("energy_kwh", "energy_kwh (kWh)", "kWh", "kwh"),
    Column("apparent_energy_kvah", "apparent_energy_kvah (kVAh)", "kVAh", "kvah"),
    Column("reactive_energy_kvarh", "reactive_energy_kvarh (kvarh)", "kvarh", "kvarh"),
    Column("power_factor", "power_factor", "PF", "pf"),
    Column("max_demand_kva", "max_demand_kva (kVA)", "MD kVA", "kva"),
    Column("running_h", "running_h (h)", "Run h", "h"),
    Column("idle_running_h", "idle_running_h (h)", "Idle h", "h"),
    Column("co2_t", "co2_t (t)", "CO2 t", "t"),
    Column("cost_total", "cost_total (INR)", "Cost INR", "inr"),
]

BILLING_COLUMNS = [
    Column("site", "site", "Site", None),
    Column("month", "month", "Month", None),
    Column("share_in_period", "share_in_period", "Share", "pf"),
    Column("billing_basis", "billing_basis", "Basis", None),
    Column("energy_kwh", "energy_kwh (kWh)", "kWh", "kwh"),
    Column("apparent_energy_kvah", "apparent_energy_kvah (kVAh)", "kVAh", "kvah"),
    Column("power_factor", "power_factor", "PF", "pf"),
    Column("pf_billed", "pf_billed", "PF billed", "pf"),
    Column("pf_adjustment_pct", "pf_adjustment_pct (%)", "PF adj %", "pct"),
    Column("pf_slabs", "pf_slabs", "PF slabs", None),
    Column("max_demand_kva", "max_demand_kva (kVA)", "MD kVA", "kva"),
    Column("billing_demand_kva", "billing_demand_kva (kVA)", "Billing kVA", "kva"),
    Column("demand_charge", "demand_charge (INR)", "Demand INR", "inr"),
    Column("fixed_charge", "fixed_charge (INR)", "Fixed INR", "inr"),
]

# (label, key in energy totals, kind) of the energy and cost section
ENERGY_TOTALS = [
    ("Energy", "energy_kwh", "kwh"),
    ("Apparent energy", "apparent_energy_kvah", "kvah"),
    ("Reactive energy", "reactive_energy_kvarh", "kvarh"),
    ("Power factor (energy-weighted)", "power_factor", "pf"),
    ("Maximum demand", "max_demand_kva", "kva"),
    ("Load factor", "load_factor", "pf"),
    ("Running", "running_h", "h"),
    ("Idle running", "idle_running_h", "h"),
    ("Idle energy", "idle_energy_kwh", "kwh"),
    ("CO2", "co2_t", "t"),
    ("Energy lost to degradation", "degradation_loss_kwh", "kwh"),
    ("Healthy-model coverage", "healthy_model_h", "h"),
]
COST_PARTS = [
    ("Energy charge", "energy"),
    ("Time-of-day charge", "time_of_day"),
    ("PF adjustment (+ penalty, - incentive)", "pf_adjustment"),
    ("Demand charge", "demand"),
    ("Fixed charge", "fixed"),
    ("Total", "total"),
]
COVERAGE = [
    ("Period", "period_h", "h"),
    ("Asset-hours", "asset_hours", "h"),
    ("Covered by data", "covered_h", "h"),
    ("Without data", "gap_h", "h"),
]
