from django.db import migrations

from peyvand.service.migrations import _grants

GRANTS = {"service_agent": {"ticket": ["view", "add", "change"]}}


class Migration(migrations.Migration):
    dependencies = [("service", "0003_tickets_and_slas"), ("access", "0001_initial")]

    operations = [migrations.RunPython(_grants.granter(GRANTS), migrations.RunPython.noop)]
