from typing import Any

from django.db import migrations

from peyvand.service.migrations import _grants

GRANTS = {
    "service_agent": {"kb_article": ["view", "add", "change"]},
    "sales_rep": {"kb_article": ["view"]},
    "marketer": {"kb_article": ["view", "add", "change"]},
}


def create_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import create_index

    create_index(schema_editor)


def drop_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import drop_index

    drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_knowledge_base"), ("access", "0001_initial")]

    operations = [
        migrations.RunPython(_grants.granter(GRANTS), migrations.RunPython.noop),
        migrations.RunPython(create_search, drop_search, elidable=False),
    ]
