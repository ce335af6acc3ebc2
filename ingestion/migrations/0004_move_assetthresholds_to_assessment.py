"""AssetThresholds moves to the assessment app (a health concept), rows and all.

The table is renamed in place, ingestion_assetthresholds -> assessment_assetthresholds: no row
is copied, ids and the one-to-one link to each asset stay. Here the model leaves ingestion's
state; assessment.0004_assetthresholds adds it to assessment's state and moves the content
type (so permissions and admin history follow). Both directions are reversible.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0003_thresholds_rise_limit_and_weights"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name="assetthresholds", table="assessment_assetthresholds"),
            ],
            state_operations=[
                migrations.DeleteModel(name="AssetThresholds"),
            ],
        ),
    ]
