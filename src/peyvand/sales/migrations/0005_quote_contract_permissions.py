from typing import Any

from django.db import migrations

# What the default roles gain on quotes and contracts (access/defaults.py); roles an
# administrator already gave rights on these object types are left as they are.
GRANTS = {
    "sales_rep": {"quote": ["view", "add", "change"], "contract": ["view", "add", "change"]},
    "service_agent": {"contract": ["view"]},
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


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_quotes_contracts"), ("access", "0001_initial")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
