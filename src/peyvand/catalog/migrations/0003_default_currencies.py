from django.db import migrations

from peyvand.catalog.currencies import DEFAULT_CURRENCIES


def create_default_currencies(apps, schema_editor):
    Currency = apps.get_model("catalog", "Currency")
    for spec in DEFAULT_CURRENCIES:
        Currency.objects.get_or_create(code=spec["code"], defaults=dict(spec))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0002_exchange_rate_constraints"),
    ]

    operations = [
        migrations.RunPython(create_default_currencies, migrations.RunPython.noop),
    ]
