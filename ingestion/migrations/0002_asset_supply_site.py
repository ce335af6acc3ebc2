from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ingestion", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="supply_site",
            field=models.CharField(
                default="main",
                help_text="the shared electrical supply (site bus) the asset is fed from; voltage and frequency "
                "seen on most running assets of one site at once are one site supply alert (CONTRACTS §15.6)",
                max_length=64,
            ),
        ),
    ]
