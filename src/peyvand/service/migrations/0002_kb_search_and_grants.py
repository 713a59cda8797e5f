from typing import Any

from django.db import migrations

# What the default roles gain (access/defaults.py); a role an administrator already gave
# rights on the knowledge base keeps them.
GRANTS = {
    "service_agent": {"kb_article": ["view", "add", "change"]},
    "sales_rep": {"kb_article": ["view"]},
    "marketer": {"kb_article": ["view", "add", "change"]},
}


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("access", "Role")
    for role in Role.objects.filter(code__in=list(GRANTS)):
        permissions = dict(role.permissions or {})
        for object_type, actions in GRANTS[role.code].items():
            permissions.setdefault(object_type, actions)
        if permissions != role.permissions:
            role.permissions = permissions
            role.save(update_fields=["permissions"])


def create_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import create_index

    create_index(schema_editor)


def drop_search(apps: Any, schema_editor: Any) -> None:
    from peyvand.service.kb.search import drop_index

    drop_index(schema_editor)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_knowledge_base"), ("access", "0001_initial")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(create_search, drop_search, elidable=False),
    ]
