from typing import Any

from django.db import migrations


def create_public_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import create_public_index

    create_public_index(schema_editor)


def drop_public_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import drop_public_index

    drop_public_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("service", "0008_ticket_index_diet")]

    operations = [
        migrations.RunPython(create_public_search, drop_public_search, elidable=False),
    ]
