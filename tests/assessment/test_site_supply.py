"""Site supply alerts (docs/CONTRACTS.md §15.6) and the machine-level supply and PF rules (§15.1):
a sag on the whole site bus is one site alert, not one per machine; a machine whose own voltage
deviates alone gets its own alert; a machine at light load or at rest raises no low-PF alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessment.models import Alert
from assessment.services import assessments_run
from tests.assessment.synth import T0, Scenario, make_baseline, write_scenario
from tests.factories import AssetFactory, TenantFactory

H = timedelta(hours=1)
M = timedelta(minutes=1)
SAG = Scenario(voltage=lambda h: 380.0 if 3 <= h < 4 else 415.0)  # -8.4 % for an hour


def step(x0: float, x1: float, lo: float, hi: float):
    return lambda h: x1 if lo <= h < hi else x0


@pytest.fixture
def site(sql_only, tenant):
    """Three machines on the default supply site of the tenant."""
    return [AssetFactory(tenant=tenant, asset_id=f"M-{k}") for k in range(3)]


def run_all(assets, end=12 * H) -> None:
    for a in assets:
        assessments_run(asset_id=a.asset_id, start=T0, end=T0 + end)


def test_a_sag_on_the_whole_site_opens_one_site_alert_and_no_machine_alerts(sql_only, site):
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, SAG)
    run_all(site)
    alerts = list(Alert.objects.filter(cause="rule:voltage_band"))
    assert len(alerts) == 1
    (alert,) = alerts
    assert alert.asset is None and alert.site == "main" and alert.tenant == site[0].tenant
    assert alert.opened_at == T0 + 3 * H + 20 * M  # two consecutive grid points out of band
    assert alert.state == "resolved" and alert.auto_resolved  # 6 h after the last presence
    assert alert.unit == "%" and alert.value == pytest.approx((380.0 - 415.0) / 415.0 * 100.0)
    assert alert.explanation.startswith("Site main supply: 3 of 3 reporting assets out of band;")
    assert {f["asset_id"] for f in alert.factors} == {"M-0", "M-1", "M-2"}
    assert [t.action for t in alert.transitions.all()] == ["opened", "resolved"]


def test_either_store_sums_the_sites_means_to_the_same_site_alert(store, tenant):
    site = [AssetFactory(tenant=tenant, asset_id=f"M-{k}") for k in range(3)]
    for a in site:
        write_scenario(store, a.asset_id, T0, T0 + 12 * H, SAG)
    run_all(site)
    (alert,) = Alert.objects.filter(cause="rule:voltage_band")
    assert alert.asset is None and alert.opened_at == T0 + 3 * H + 20 * M
    assert alert.explanation.startswith("Site main supply: 3 of 3 reporting assets out of band;")
    assert {f["asset_id"]: f["value"] for f in alert.factors if f["name"] == "voltage"} == {
        f"M-{k}": pytest.approx(380.0, abs=1e-9) for k in range(3)
    }


def test_the_site_verdict_does_not_depend_on_the_order_the_machines_are_assessed(sql_only, site):
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, SAG)
    # machine 2 is assessed up to 6 h first, then the others for the whole range, then machine 2
    assessments_run(asset_id="M-2", start=T0, end=T0 + 6 * H)
    run_all(site)
    (alert,) = Alert.objects.filter(cause="rule:voltage_band")
    assert alert.asset is None and alert.opened_at == T0 + 3 * H + 20 * M
    assert alert.last_seen_at == T0 + 3 * H + 50 * M


def test_a_machine_whose_own_voltage_deviates_alone_gets_its_own_alert(sql_only, site):
    write_scenario(sql_only, "M-0", T0, T0 + 12 * H, SAG)
    for a in site[1:]:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, Scenario())
    run_all(site)
    (alert,) = Alert.objects.filter(cause="rule:voltage_band")
    assert alert.asset.asset_id == "M-0" and alert.site == "main"
    assert alert.explanation.startswith("Voltage 15-min mean 380.0 V is -8.4% from rated 415.0 V")


def test_a_feeder_drop_on_a_low_in_band_bus_is_neither_a_site_nor_a_machine_alert(sql_only, site):
    # the bus sits at -5.8 % (in band) and M-0's feeder adds its usual 0.7 pp: -6.5 % at its terminals
    write_scenario(sql_only, "M-0", T0, T0 + 12 * H, Scenario(voltage=step(415.0, 388.0, 3, 4)))
    for a in site[1:]:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, Scenario(voltage=step(415.0, 391.0, 3, 4)))
    run_all(site)
    assert not Alert.objects.filter(cause="rule:voltage_band").exists()


def test_a_machine_on_another_supply_site_is_not_a_peer(sql_only, tenant, site):
    far = AssetFactory(tenant=tenant, asset_id="FAR-1", supply_site="bay-2")
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, Scenario())
    write_scenario(sql_only, far.asset_id, T0, T0 + 12 * H, SAG)
    run_all([*site, far])
    (alert,) = Alert.objects.filter(cause="rule:voltage_band")
    assert alert.asset == far  # alone on bay-2: its own alert, not a site event of "main"


def test_one_grid_point_out_of_band_is_not_an_alert(sql_only, site):
    short = Scenario(voltage=lambda h: 380.0 if 3 <= h < 3 + 10 / 60 else 415.0)  # 10 min dip
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 12 * H, short)
    run_all(site)
    assert not Alert.objects.filter(cause="rule:voltage_band").exists()


def test_grid_code_frequency_excursions_penalise_health_but_alert_only_outside_iec_zone_a(sql_only, site):
    sc = Scenario(frequency=lambda h: 49.80 if 2 <= h < 4 else (48.60 if 6 <= h < 7 else 50.0))
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 14 * H, sc)
    run_all(site, end=14 * H)
    (alert,) = Alert.objects.filter(cause="rule:frequency_band")
    assert alert.asset is None and T0 + 6 * H < alert.opened_at < T0 + 7 * H  # only the 48.6 Hz hour
    health = site[0].assessments.get(as_of=T0 + 3 * H)
    freq = next(f for f in health.factors if f["name"] == "frequency")
    assert freq["penalty"] > 0  # 49.80 Hz is outside the grid-code band 49.90-50.05 Hz


def test_low_pf_at_light_load_raises_nothing(sql_only, pump):
    # a motor whose healthy PF is 0.78 (light load) keeps running at 0.78: below 0.90, not a fault
    make_baseline(pump, T0 - 12 * H, T0, pf=0.78)
    write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, Scenario(power_factor=lambda h: 0.78))
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    assert not Alert.objects.filter(cause="rule:low_pf").exists()


def test_a_lower_pf_at_a_lighter_load_than_the_healthy_one_raises_nothing(sql_only, pump):
    # healthy: 20 A at PF 0.93; now the duty is lighter: 12 A at PF 0.75 (an unloaded motor's PF)
    make_baseline(pump, T0 - 12 * H, T0, pf=0.93)
    light = Scenario(current=lambda h: 12.0, power_factor=lambda h: 0.75)
    write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, light)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    assert not Alert.objects.filter(cause="rule:low_pf").exists()


def test_the_same_pf_drop_at_the_healthy_load_opens_low_pf(sql_only, pump):
    make_baseline(pump, T0 - 12 * H, T0, pf=0.93)
    same_load = Scenario(current=lambda h: 20.0, power_factor=lambda h: 0.75)
    write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, same_load)
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    assert Alert.objects.filter(cause="rule:low_pf").count() == 1


def test_low_pf_opens_when_the_machines_energy_pf_falls_below_its_own_healthy_pf(sql_only, pump):
    make_baseline(pump, T0 - 12 * H, T0, pf=0.93)
    write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, Scenario(power_factor=step(0.93, 0.80, 2, 30)))
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    (alert,) = Alert.objects.filter(cause="rule:low_pf")
    # 24 h energy PF (12 events of 0.93, then 0.80) crosses 0.88 = min(0.90, 0.93 - 0.05) at 3 h 10
    assert alert.opened_at == T0 + 3 * H + 10 * M
    assert alert.value < 0.88 and "kWh/kVAh" in alert.explanation


def test_a_machine_at_rest_has_no_pf_penalty_and_no_low_pf_alert(sql_only, pump):
    make_baseline(pump, T0 - 12 * H, T0, pf=0.93)
    stopped = Scenario(current=lambda h: 0.0, power_factor=lambda h: 0.0)  # at rest: PF reads 0
    df = write_scenario(sql_only, pump.asset_id, T0, T0 + 30 * H, stopped)
    from ingestion.timeseries import Point, get_store

    get_store().write(
        Point("features", pump.asset_id, t.to_pydatetime(), {"running": 0, "running_1h": 0}) for t in df.index
    )
    assessments_run(asset_id=pump.asset_id, start=T0, end=T0 + 30 * H)
    assert not Alert.objects.filter(cause="rule:low_pf").exists()
    latest = pump.assessments.order_by("-as_of").first()
    pf = next(f for f in latest.factors if f["name"] == "power_factor")
    assert pf["penalty"] == 0 and pf["value"] is None


def test_the_api_lists_site_alerts_and_acknowledges_and_resolves_them(sql_only, site, api, other_tenant):
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 5 * H, SAG)
    run_all(site, end=5 * H)
    body = api.get("/api/v1/alerts?cause=rule:voltage_band").json()
    (row,) = body["results"]
    assert row["asset_id"] is None and row["site"] == "main" and row["state"] == "open"
    machine = api.get("/api/v1/alerts?asset_id=M-0").json()
    assert row["id"] not in {a["id"] for a in machine["results"]}
    ack = api.post(f"/api/v1/alerts/{row['id']}/acknowledge", {"comment": "DISCOM sag"}, format="json")
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    done = api.post(f"/api/v1/alerts/{row['id']}/resolve", {"note": "supply restored"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "resolved"
    detail = api.get(f"/api/v1/alerts/{row['id']}").json()
    assert [t["action"] for t in detail["transitions"]] == ["opened", "acknowledged", "resolved"]
    from tests.assessment.test_assessment_api import client_for

    outsider = client_for(other_tenant, "read")
    assert outsider.get(f"/api/v1/alerts/{row['id']}").status_code == 404
    assert outsider.get("/api/v1/alerts").json()["count"] == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_alerts_their_assets_tenant_and_site():
    """Run on the test database's backend: PostgreSQL in CI (DATABASE_URL), else SQLite."""
    executor = MigrationExecutor(connection)
    old = [("assessment", "0001_initial"), ("ingestion", "0001_initial")]
    executor.migrate(old)
    apps = executor.loader.project_state(old).apps
    Tenant, Asset = apps.get_model("ingestion", "Tenant"), apps.get_model("ingestion", "Asset")
    OldAlert = apps.get_model("assessment", "Alert")
    tenant = Tenant.objects.create(name="legacy")
    asset = Asset.objects.create(
        asset_id="OLD-1",
        tenant=tenant,
        name="old",
        asset_type="motor",
        phase="three",
        rated_voltage_v=415.0,
        rated_current_a=28.0,
        rated_power_kw=15.0,
        rated_rpm=1480.0,
        iso_group=2,
        foundation="rigid",
    )
    OldAlert.objects.create(
        asset=asset, cause="rule:low_pf", severity="warning", opened_at=T0, last_seen_at=T0
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    alert = Alert.objects.get(asset__asset_id="OLD-1")
    assert alert.tenant.name == "legacy" and alert.site == "main"
    TenantFactory(name="after")  # the migrated schema takes new rows


def test_the_admin_lists_a_site_alert_by_its_site(sql_only, site, admin_client):
    for a in site:
        write_scenario(sql_only, a.asset_id, T0, T0 + 5 * H, SAG)
    run_all(site, end=5 * H)
    page = admin_client.get("/admin/assessment/alert/?site=main&cause__exact=rule%3Avoltage_band")
    assert page.status_code == 200 and "site main" in page.content.decode()
