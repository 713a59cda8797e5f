from typing import Any

from django.db import migrations

# What the default marketer role gains (access/defaults.py); a role an administrator already
# gave rights on tracked sites keeps them.
GRANTS = {"marketer": {"tracking_site": ["view", "add", "change"]}}


def grant(apps: Any, schema_editor: Any) -> None:
    Role = apps.get_model("access", "Role")
    for role in Role.objects.filter(code__in=list(GRANTS)):
        permissions = dict(role.permissions or {})
        for object_type, actions in GRANTS[role.code].items():
            permissions.setdefault(object_type, actions)
        if permissions != role.permissions:
            role.permissions = permissions
            role.save(update_fields=["permissions"])


# Events only ever get appended, so received_at grows with the physical order of the rows:
# a BRIN index answers time-range scans at a few pages' size where a B-tree would be as big
# as a column copy. PostgreSQL only; SQLite has no BRIN and gets by with the B-tree indexes.
BRIN_SQL = "CREATE INDEX tracking_event_received_brin ON tracking_event USING brin (received_at)"


def brin(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BRIN_SQL)


def drop_brin(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tracking_event_received_brin")


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_clickstream_tables"), ("access", "0001_initial")]

    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(brin, drop_brin),
    ]
