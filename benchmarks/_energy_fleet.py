"""Shared set-up of `energy.py` and `reports.py`: one site with the worked-example tariff
(docs/CONTRACTS.md §18.10) and a fleet of 15 kW motors registered on it."""

from __future__ import annotations

TARIFF = {
    "effective_from": "2020-01-01",
    "billing_basis": "kvah",
    "energy_rate": 8.0,
    "tod_slots": [
        {"name": "peak", "start": "18:00", "end": "22:00", "multiplier": 1.5},
        {"name": "night", "start": "22:00", "end": "06:00", "multiplier": 0.75},
    ],
    "pf_reference": 0.95,
    "pf_incentive_pct_per_step": 0.5,
    "pf_penalty_pct_per_step": 0.5,
    "pf_penalty_threshold": 0.9,
    "pf_steep_penalty_pct_per_step": 1.0,
    "demand_rate_per_kva": 350.0,
    "demand_min_share": 0.75,
    "fixed_monthly": 2000.0,
}


def fleet_registry(n_assets: int) -> tuple:
    """(store, tenant, assets): the time-series store set up, tenant ``bench`` with site ``main``
    (contract demand 2000 kVA, ``TARIFF``) and ``n_assets`` three-phase 15 kW motors ``M-000``...
    supplied by it. Needs Django set up."""
    from analytics.energy.models import Tariff
    from ingestion.models import Asset, Site, Tenant
    from ingestion.timeseries import get_store

    store = get_store()
    store.setup()
    tenant = Tenant.objects.create(name="bench")
    site = Site.objects.create(tenant=tenant, code="main", contract_demand_kva=2000.0)
    Tariff.objects.create(site=site, **TARIFF)
    assets = Asset.objects.bulk_create(
        Asset(
            tenant=tenant, asset_id=f"M-{i:03d}", name=f"Motor {i}", asset_type="motor", phase="three",
            rated_voltage_v=415.0, rated_current_a=28.0, rated_power_kw=15.0, rated_rpm=1480.0,
            iso_group=2, foundation="rigid", supply_site="main",
        )
        for i in range(n_assets)
    )  # fmt: skip
    return store, tenant, assets
