"""TenantMember.role (operator, manager, admin) replaces is_tenant_admin: admins stay admins."""

from django.db import migrations, models


def roles_from_admin_flag(apps, schema_editor):
    TenantMember = apps.get_model("ingestion", "TenantMember")
    TenantMember.objects.filter(is_tenant_admin=True).update(role="admin")
    TenantMember.objects.filter(is_tenant_admin=False).update(role="operator")


def admin_flag_from_roles(apps, schema_editor):
    TenantMember = apps.get_model("ingestion", "TenantMember")
    TenantMember.objects.update(is_tenant_admin=False)
    TenantMember.objects.filter(role="admin").update(is_tenant_admin=True)


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0005_site"),
    ]

    operations = [
        migrations.AddField(
            model_name="tenantmember",
            name="role",
            field=models.CharField(
                choices=[
                    ("operator", "Operator: view, acknowledge and resolve incidents"),
                    ("manager", "Manager: view, reports and report schedules"),
                    ("admin", "Admin: everything, incl. assets and thresholds"),
                ],
                default="operator",
                max_length=16,
            ),
        ),
        migrations.RunPython(roles_from_admin_flag, admin_flag_from_roles),
        migrations.RemoveField(model_name="tenantmember", name="is_tenant_admin"),
    ]
