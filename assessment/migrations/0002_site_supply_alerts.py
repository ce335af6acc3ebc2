"""Site supply alerts (docs/CONTRACTS.md §15.6): an alert may belong to a (tenant, site) instead of an
asset; every alert records its tenant and site, filled from the asset for existing rows."""

import django.db.models.deletion
from django.db import migrations, models


def fill_tenant_and_site(apps, schema_editor):
    Alert = apps.get_model("assessment", "Alert")
    Asset = apps.get_model("ingestion", "Asset")
    for asset in Asset.objects.filter(pk__in=Alert.objects.values("asset_id")).only("pk", "tenant_id"):
        Alert.objects.filter(asset_id=asset.pk).update(tenant_id=asset.tenant_id, site=asset.supply_site)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0001_initial"),
        ("ingestion", "0002_asset_supply_site"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="tenant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="ingestion.tenant",
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="site",
            field=models.CharField(
                blank=True, help_text="the supply site (Asset.supply_site); set on every alert", max_length=64
            ),
        ),
        migrations.RunPython(fill_tenant_and_site, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="alert",
            name="tenant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="alerts", to="ingestion.tenant"
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="asset",
            field=models.ForeignKey(
                blank=True,
                help_text="null for a site supply alert (docs/CONTRACTS.md §15.6)",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="alerts",
                to="ingestion.asset",
            ),
        ),
        migrations.CreateModel(
            name="SiteSupplyState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("site", models.CharField(max_length=64)),
                (
                    "evaluated_until",
                    models.DateTimeField(
                        blank=True,
                        help_text="newest grid point (event time) whose site transitions are applied",
                        null=True,
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="site_supply_states",
                        to="ingestion.tenant",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("tenant", "site"), name="site_supply_state_site")
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("asset__isnull", True), ("state__in", ["open", "acknowledged"])),
                fields=("tenant", "site", "cause"),
                name="alert_one_active_per_site_cause",
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(fields=["tenant", "site", "state"], name="alert_tenant_site_state"),
        ),
    ]
