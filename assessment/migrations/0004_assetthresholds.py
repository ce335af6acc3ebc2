"""AssetThresholds joins the assessment app (see ingestion.0004_move_assetthresholds_to_assessment).

State only for the model: its table, assessment_assetthresholds, was renamed by the ingestion
migration with every row in it. The content type moves with the model, so the permissions
granted on it and the admin log entries that point at it stay valid.
"""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    if types.filter(app_label=target, model="assetthresholds").exists():
        return  # created already (by post_migrate on an earlier run): leave both as they are
    types.filter(app_label=source, model="assetthresholds").update(app_label=target)


def forwards(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, "ingestion", "assessment")


def backwards(apps, schema_editor) -> None:
    _move_content_type(apps, schema_editor, "assessment", "ingestion")


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0003_alert_cause_temperature_rise"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ingestion", "0004_move_assetthresholds_to_assessment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AssetThresholds",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("temperature_warn_c", models.FloatField(blank=True, null=True)),
                        ("temperature_limit_c", models.FloatField(blank=True, null=True)),
                        (
                            "vibration_zone_ab_mm_s",
                            models.FloatField(blank=True, null=True, verbose_name="zone A/B boundary (mm/s)"),
                        ),
                        (
                            "vibration_zone_bc_mm_s",
                            models.FloatField(blank=True, null=True, verbose_name="zone B/C boundary (mm/s)"),
                        ),
                        (
                            "vibration_zone_cd_mm_s",
                            models.FloatField(blank=True, null=True, verbose_name="zone C/D boundary (mm/s)"),
                        ),
                        ("power_factor_limit", models.FloatField(blank=True, null=True)),
                        ("voltage_band_pct", models.FloatField(blank=True, null=True)),
                        (
                            "current_limit_pct",
                            models.FloatField(
                                blank=True, help_text="Overcurrent starts above this % of rated.", null=True
                            ),
                        ),
                        (
                            "temperature_rise_excess_limit_k",
                            models.FloatField(
                                blank=True,
                                help_text="Risk at least High when the rise over ambient exceeds this machine's healthy rise at the same load by this much (default 30 K; the penalty starts at 10 K).",
                                null=True,
                                verbose_name="temperature rise excess limit (K)",
                            ),
                        ),
                        (
                            "health_weights",
                            models.JSONField(
                                blank=True,
                                help_text='Weights of health components, 0 to 2 each (default 1), e.g. {"temperature_rise": 0.5}.',
                                null=True,
                            ),
                        ),
                        ("stale_after_minutes", models.PositiveIntegerField(blank=True, null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "asset",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="thresholds",
                                to="ingestion.asset",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "asset thresholds",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
