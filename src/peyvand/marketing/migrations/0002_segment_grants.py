from django.db import migrations

from peyvand.service.migrations import _grants

# What the default marketer role gains (access/defaults.py).
GRANTS = {"marketer": {"segment": ["view", "add", "change", "delete"]}}


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_segments"), ("access", "0001_initial")]

    operations = [migrations.RunPython(_grants.granter(GRANTS), migrations.RunPython.noop)]
