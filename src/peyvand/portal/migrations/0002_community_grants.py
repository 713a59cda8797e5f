from django.db import migrations

from peyvand.service.migrations import _grants

GRANTS = {
    "service_agent": {"forum_post": ["view", "add", "moderate"], "idea": ["view"]},
    "marketer": {"forum_post": ["view"], "idea": ["view", "change"]},
}


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_community"),
        ("service", "0001_knowledge_base"),
        ("access", "0001_initial"),
    ]

    operations = [migrations.RunPython(_grants.granter(GRANTS), migrations.RunPython.noop)]
