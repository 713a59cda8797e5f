from django.db import migrations

from peyvand.service.migrations import _grants

GRANTS = {"service_agent": {"service_order": ["view", "add", "change"]}}


class Migration(migrations.Migration):
    dependencies = [("service", "0005_service_orders_and_kb_attachments"), ("access", "0001_initial")]

    operations = [migrations.RunPython(_grants.granter(GRANTS), migrations.RunPython.noop)]
