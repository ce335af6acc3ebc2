"""Migration assessment.0005/0006 folds an asset's active per-cause alerts into one equipment
incident whose conditions they become (docs/CONTRACTS.md §15.2), on the test database's backend
(PostgreSQL in CI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from assessment.models import Alert, AlertCondition, AlertTransition
from tests.assessment.synth import T0
from tests.factories import AssetFactory, TenantFactory

H = timedelta(hours=1)
BEFORE = [("assessment", "0004_assetthresholds")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_folds_active_alerts_into_one_incident_per_asset():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    OldAlert = apps.get_model("assessment", "Alert")
    OldTransition = apps.get_model("assessment", "AlertTransition")
    asset = AssetFactory(asset_id="OLD-1")
    common = dict(asset_id=asset.pk, tenant_id=asset.tenant_id, site="main", explanation="x")

    def old(cause, severity, state, opened, **kw):
        a = OldAlert.objects.create(
            cause=cause,
            severity=severity,
            state=state,
            opened_at=opened,
            last_seen_at=opened + H,
            **common,
            **kw,
        )
        OldTransition.objects.create(alert=a, action="opened", from_state="", to_state="open", actor="system")
        return a

    old("risk_high", "high", "resolved", T0 - 48 * H, resolution="auto", resolved_event_time=T0 - 40 * H)
    first = old("risk_high", "high", "open", T0, value=55.0, peak_value=50.0, unit="health")
    old("rule:temperature_limit", "high", "acknowledged", T0 + H, value=97.0, peak_value=99.0, unit="°C")
    old("risk_critical", "critical", "open", T0 + 2 * H, value=30.0, peak_value=25.0, unit="health")
    old("no_data", "warning", "open", T0 + 3 * H)
    site = OldAlert.objects.create(
        asset=None,
        tenant_id=asset.tenant_id,
        site="main",
        cause="rule:voltage_band",
        severity="warning",
        opened_at=T0,
        last_seen_at=T0,
        explanation="site",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    [inc] = Alert.objects.filter(asset=asset, kind="equipment", state__in=["open", "acknowledged"])
    assert inc.pk == first.pk  # the earliest opened keeps its id (links in sent notifications)
    assert (inc.state, inc.severity, inc.peak_severity, inc.cause, inc.value, inc.peak_value) == (
        "open",  # one of its alerts was still open: the episode needs attention
        "critical",
        "critical",
        "risk_critical",
        30.0,
        25.0,
    )
    assert inc.resolution is None and inc.last_seen_at == T0 + 3 * H
    conds = {c.cause: c for c in AlertCondition.objects.filter(alert=inc)}
    assert set(conds) == {"risk_high", "rule:temperature_limit", "risk_critical"}
    temp = conds["rule:temperature_limit"]
    assert (temp.first_seen_at, temp.last_seen_at, temp.peak_value, temp.active) == (
        T0 + H,
        T0 + 2 * H,
        99.0,
        True,
    )
    assert AlertTransition.objects.filter(alert=inc).count() == 3  # the folded alerts' trails moved to it
    resolved = Alert.objects.get(asset=asset, kind="equipment", state="resolved")
    assert resolved.resolution == "auto"
    [c] = AlertCondition.objects.filter(alert=resolved)
    assert (c.cause, c.active, c.cleared_at) == ("risk_high", False, T0 - 40 * H)
    assert Alert.objects.get(asset=asset, cause="no_data").kind == "no_data"
    assert Alert.objects.get(pk=site.pk).kind == "site_supply"
    assert Alert.objects.count() == 4
    TenantFactory(name="after")  # the migrated schema takes new rows
