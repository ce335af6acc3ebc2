"""One active equipment incident / no-data alert per asset (docs/CONTRACTS.md §15.2), after 0005
folded the active alerts (a separate migration: PostgreSQL does not create an index in the
transaction that just updated the table's rows)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("assessment", "0005_alert_incidents")]

    operations = [
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                condition=models.Q(("asset__isnull", False), ("state__in", ["open", "acknowledged"])),
                fields=("asset", "kind"),
                name="alert_one_active_per_asset_kind",
            ),
        ),
    ]
