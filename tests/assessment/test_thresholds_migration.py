"""Moving AssetThresholds from ingestion to assessment keeps every row, its id, its asset link,
and the permissions granted on it; the move can be undone (the migrations run both ways)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("ingestion", "0003_thresholds_rise_limit_and_weights"),
    ("assessment", "0003_alert_cause_temperature_rise"),
]
AFTER = [("ingestion", "0004_move_assetthresholds_to_assessment"), ("assessment", "0004_assetthresholds")]


def migrate(targets):
    """Migrate the two apps to ``targets``; the historical models as of there (Django's own
    apps, which the move does not touch, at their latest)."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    django_apps = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] in ("auth", "contenttypes")]
    return executor.loader.project_state([*targets, *django_apps]).apps


@pytest.fixture
def before_the_move(transactional_db):
    """The schema as it was while the model lived in ingestion; the latest schema afterwards."""
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def test_rows_ids_asset_links_and_permissions_survive_the_move(before_the_move):
    old = before_the_move
    tenant = old.get_model("ingestion", "Tenant").objects.create(name="plant")
    asset = old.get_model("ingestion", "Asset").objects.create(
        asset_id="MTR-9",
        tenant=tenant,
        name="Motor 9",
        asset_type="motor",
        phase="three",
        rated_voltage_v=415,
        rated_current_a=28,
        rated_power_kw=15,
        rated_rpm=1480,
        iso_group=2,
        foundation="rigid",
    )
    row = old.get_model("ingestion", "AssetThresholds").objects.create(
        asset=asset, temperature_warn_c=80, temperature_limit_c=95, health_weights={"vibration": 1.5}
    )
    old_type, _ = old.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="ingestion", model="assetthresholds"
    )
    perm, _ = old.get_model("auth", "Permission").objects.get_or_create(
        content_type=old_type, codename="change_assetthresholds", defaults={"name": "Can change"}
    )

    new = migrate(AFTER)

    moved = new.get_model("assessment", "AssetThresholds").objects.get(pk=row.pk)
    assert (moved.asset_id, moved.temperature_warn_c, moved.temperature_limit_c, moved.health_weights) == (
        asset.pk,
        80.0,
        95.0,
        {"vibration": 1.5},
    )
    assert new.get_model("ingestion", "Asset").objects.get(pk=asset.pk).thresholds.pk == row.pk
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "assessment_assetthresholds" in tables and "ingestion_assetthresholds" not in tables
    perm = new.get_model("auth", "Permission").objects.get(pk=perm.pk)
    assert (perm.content_type.app_label, perm.content_type.model) == ("assessment", "assetthresholds")


def test_the_move_can_be_undone_with_the_rows(before_the_move):
    old = before_the_move
    tenant = old.get_model("ingestion", "Tenant").objects.create(name="plant")
    asset = old.get_model("ingestion", "Asset").objects.create(
        asset_id="PMP-3",
        tenant=tenant,
        name="Pump 3",
        asset_type="pump",
        phase="three",
        rated_voltage_v=415,
        rated_current_a=28,
        rated_power_kw=15,
        rated_rpm=1480,
        iso_group=2,
        foundation="rigid",
    )
    row = old.get_model("ingestion", "AssetThresholds").objects.create(asset=asset, stale_after_minutes=30)
    migrate(AFTER)

    back = migrate(BEFORE)

    assert back.get_model("ingestion", "AssetThresholds").objects.get(pk=row.pk).stale_after_minutes == 30
