"""Alerts become incidents (docs/CONTRACTS.md §15.2): an asset's risk and rule alerts are folded
into one equipment incident per asset whose conditions they become; ``no_data`` and site supply
alerts keep their kind; ``resolution`` is null while an alert is active."""

import django.db.models.deletion
from django.db import migrations, models

ACTIVE = ("open", "acknowledged")
SEVERITY_RANK = {"warning": 0, "high": 1, "critical": 2}
CAUSE_ORDER = (
    "risk_critical",
    "risk_high",
    "rule:vibration_zone_d",
    "rule:temperature_limit",
    "rule:overcurrent",
    "rule:temperature_rise",
    "rule:voltage_band",
    "rule:frequency_band",
    "rule:low_pf",
    "no_data",
)


def _order(cause):
    return CAUSE_ORDER.index(cause) if cause in CAUSE_ORDER else len(CAUSE_ORDER)


def _lead_key(a):
    return (-SEVERITY_RANK.get(a.severity, 0), _order(a.cause))


def _fold(Alert, AlertCondition, AlertTransition, NotificationAttempt, rows):
    """Fold an asset's active alerts into the earliest opened (one episode)."""
    keep, others = rows[0], rows[1:]
    lead = min(rows, key=_lead_key)
    for other in others:
        AlertCondition.objects.filter(alert_id=other.pk).update(alert_id=keep.pk)
        AlertTransition.objects.filter(alert_id=other.pk).update(alert_id=keep.pk)
        NotificationAttempt.objects.filter(alert_id=other.pk).update(alert_id=keep.pk)
        keep.last_seen_at = max(keep.last_seen_at, other.last_seen_at)
        keep.occurrences = max(keep.occurrences, other.occurrences)
        keep.notification_count += other.notification_count
        if other.last_notified_at and (
            not keep.last_notified_at or other.last_notified_at > keep.last_notified_at
        ):
            keep.last_notified_at = other.last_notified_at
        if other.escalated_at and (not keep.escalated_at or other.escalated_at < keep.escalated_at):
            keep.escalated_at = other.escalated_at
    if all(a.state == "acknowledged" for a in rows):
        first = min(rows, key=lambda a: a.acknowledged_at)
        keep.state = "acknowledged"
        keep.acknowledged_by, keep.acknowledged_at, keep.comment = (
            first.acknowledged_by,
            first.acknowledged_at,
            first.comment,
        )
    else:
        keep.state = "open"
        keep.acknowledged_by, keep.acknowledged_at, keep.comment = "", None, ""
    keep.severity = keep.peak_severity = lead.severity
    keep.cause, keep.value, keep.peak_value, keep.unit = lead.cause, lead.value, lead.peak_value, lead.unit
    keep.explanation, keep.factors, keep.guidance = lead.explanation, lead.factors, lead.guidance
    keep.assessment_id = lead.assessment_id
    Alert.objects.filter(pk__in=[o.pk for o in others]).delete()
    keep.save()


def fold_alerts_into_incidents(apps, schema_editor):
    Alert = apps.get_model("assessment", "Alert")
    AlertCondition = apps.get_model("assessment", "AlertCondition")
    AlertTransition = apps.get_model("assessment", "AlertTransition")
    NotificationAttempt = apps.get_model("assessment", "NotificationAttempt")
    Alert.objects.filter(resolution="").update(resolution=None)
    Alert.objects.filter(cause="no_data").update(kind="no_data")
    Alert.objects.filter(asset__isnull=True).update(kind="site_supply")
    Alert.objects.update(peak_severity=models.F("severity"))
    equipment = Alert.objects.filter(kind="equipment")
    # every equipment alert keeps its cause as its one condition
    AlertCondition.objects.bulk_create(
        [
            AlertCondition(
                alert_id=a.pk,
                cause=a.cause,
                severity=a.severity,
                first_seen_at=a.opened_at,
                last_seen_at=a.last_seen_at,
                value=a.value,
                peak_value=a.peak_value,
                unit=a.unit,
                occurrences=a.occurrences,
                active=a.state in ACTIVE,
                cleared_at=None if a.state in ACTIVE else (a.resolved_event_time or a.last_seen_at),
            )
            for a in equipment.iterator()
        ],
        batch_size=1000,
    )
    assets = equipment.filter(state__in=ACTIVE).values_list("asset_id", flat=True).distinct()
    for asset_id in list(assets):
        rows = sorted(
            equipment.filter(asset_id=asset_id, state__in=ACTIVE),
            key=lambda a: (a.opened_at, _order(a.cause)),
        )
        if len(rows) > 1:
            _fold(Alert, AlertCondition, AlertTransition, NotificationAttempt, rows)


class Migration(migrations.Migration):
    dependencies = [
        ("assessment", "0004_assetthresholds"),
        ("ingestion", "0006_tenantmember_role"),
    ]

    operations = [
        migrations.CreateModel(
            name="AlertCondition",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "cause",
                    models.CharField(
                        choices=[
                            ("risk_critical", "Risk Critical"),
                            ("risk_high", "Risk High or Critical"),
                            ("rule:vibration_zone_d", "Vibration in ISO zone D"),
                            ("rule:temperature_limit", "Temperature at or above limit"),
                            ("rule:overcurrent", "Overcurrent"),
                            ("rule:temperature_rise", "Temperature rise above this machine's normal"),
                            ("rule:voltage_band", "Voltage outside band"),
                            ("rule:frequency_band", "Frequency outside band"),
                            ("rule:low_pf", "Low power factor"),
                            ("no_data", "No data"),
                        ],
                        max_length=32,
                    ),
                ),
                (
                    "severity",
                    models.CharField(
                        choices=[("warning", "Warning"), ("high", "High"), ("critical", "Critical")],
                        max_length=16,
                    ),
                ),
                (
                    "first_seen_at",
                    models.DateTimeField(help_text="event time of the first grid point with the cause"),
                ),
                (
                    "last_seen_at",
                    models.DateTimeField(help_text="event time of the latest grid point with the cause"),
                ),
                ("value", models.FloatField(blank=True, null=True)),
                ("peak_value", models.FloatField(blank=True, null=True)),
                ("unit", models.CharField(blank=True, max_length=16)),
                ("occurrences", models.PositiveIntegerField(default=1)),
                ("active", models.BooleanField(default=True)),
                (
                    "cleared_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="event time at which the hold ended (null while active)",
                        null=True,
                    ),
                ),
                (
                    "absent_running_s",
                    models.FloatField(
                        default=0.0,
                        help_text="event time of running since last_seen_at with the cause absent (s)",
                    ),
                ),
            ],
            options={
                "ordering": ["alert", "first_seen_at", "cause"],
            },
        ),
        migrations.RemoveConstraint(
            model_name="alert",
            name="alert_one_active_per_asset_cause",
        ),
        migrations.AddField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("equipment", "Equipment incident"),
                    ("no_data", "No data"),
                    ("site_supply", "Site supply"),
                ],
                default="equipment",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="peak_severity",
            field=models.CharField(
                blank=True,
                choices=[("warning", "Warning"), ("high", "High"), ("critical", "Critical")],
                help_text="the highest severity of the episode",
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="reopen_count",
            field=models.PositiveIntegerField(
                default=0, help_text="relapses within the reopen window that reopened this incident"
            ),
        ),
        migrations.AlterField(
            model_name="alert",
            name="resolution",
            field=models.CharField(
                blank=True, choices=[("manual", "Manual"), ("auto", "Automatic")], max_length=8, null=True
            ),
        ),
        migrations.AlterField(
            model_name="alerttransition",
            name="action",
            field=models.CharField(
                choices=[
                    ("opened", "Opened"),
                    ("acknowledged", "Acknowledged"),
                    ("resolved", "Resolved"),
                    ("escalated", "Escalated"),
                    ("reminded", "Reminder sent"),
                    ("raised", "Severity raised"),
                    ("lowered", "Severity lowered"),
                    ("reopened", "Reopened"),
                ],
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="notificationattempt",
            name="event",
            field=models.CharField(
                choices=[
                    ("opened", "alert.opened"),
                    ("raised", "alert.raised"),
                    ("reopened", "alert.reopened"),
                    ("escalated", "alert.escalated"),
                    ("repeat", "alert.reminder"),
                    ("resolved", "alert.resolved"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddField(
            model_name="alertcondition",
            name="alert",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="conditions", to="assessment.alert"
            ),
        ),
        migrations.AddConstraint(
            model_name="alertcondition",
            constraint=models.UniqueConstraint(fields=("alert", "cause"), name="alert_condition_cause"),
        ),
        migrations.RunPython(fold_alerts_into_incidents, migrations.RunPython.noop),
    ]
