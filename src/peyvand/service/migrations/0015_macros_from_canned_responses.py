"""The inbox's canned responses become macros (text only, no ticket changes): one model
of prepared answers for the inbox and the tickets. The next migration of the channels app
drops the old table."""

from typing import Any

from django.db import migrations


def copy_canned_responses(apps: Any, schema_editor: Any) -> None:
    canned = apps.get_model("comms", "CannedResponse")
    macro = apps.get_model("service", "Macro")
    for row in canned.objects.order_by("pk").iterator():
        created = macro.objects.create(
            title=row.title,
            body=row.body,
            language=row.language,
            department_id=row.department_id,
            created_by_id=row.created_by_id,
        )
        # Keep the original dates rather than the copy's (auto_now* would overwrite them).
        macro.objects.filter(pk=created.pk).update(
            created_at=row.created_at, updated_at=row.updated_at
        )


def copy_text_macros_back(apps: Any, schema_editor: Any) -> None:
    canned = apps.get_model("comms", "CannedResponse")
    macro = apps.get_model("service", "Macro")
    text_only = macro.objects.exclude(body="").filter(
        set_status="", set_priority__isnull=True, set_queue__isnull=True
    )
    for row in text_only.order_by("pk").iterator():
        canned.objects.create(
            title=row.title,
            body=row.body,
            language=row.language,
            department_id=row.department_id,
            created_by_id=row.created_by_id,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("service", "0014_kb_deflection_events"),
        ("comms", "0009_interaction_indexes_where_used"),
    ]

    operations = [migrations.RunPython(copy_canned_responses, copy_text_macros_back)]
