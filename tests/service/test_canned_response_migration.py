"""The inbox's canned responses are copied into macros before their table is dropped, with
their author, department and dates; rolling back brings them back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("service", "0014_kb_deflection_events"),
    ("comms", "0010_conversation_sensitive"),
]
AFTER = [("service", "0015_macros_from_canned_responses"), ("comms", "0011_delete_canned_response")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_canned_responses_become_text_macros() -> None:
    apps = _migrate(BEFORE)
    department = apps.get_model("access", "Department").objects.create(
        code="help", name="Help desk"
    )
    canned = apps.get_model("comms", "CannedResponse")
    row = canned.objects.create(
        title="سلام <b>", body="سلام، چطور کمک کنم؟", language="fa", department_id=department.pk
    )
    old = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    canned.objects.filter(pk=row.pk).update(created_at=old, updated_at=old)
    try:
        apps = _migrate(AFTER)
        [macro] = apps.get_model("service", "Macro").objects.all()
        assert (macro.title, macro.body, macro.language) == (
            "سلام <b>",
            "سلام، چطور کمک کنم؟",
            "fa",
        )
        assert macro.department_id == department.pk and macro.created_at == old
        assert (macro.set_status, macro.set_priority, macro.set_queue_id) == ("", None, None)
        apps = _migrate(BEFORE)
        assert list(apps.get_model("comms", "CannedResponse").objects.values_list("title")) == [
            ("سلام <b>",)
        ]
    finally:
        # Back to the latest schema (not to AFTER: later migrations of these apps, and of
        # apps depending on them, would stay unapplied for the next tests).
        apps = _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
        apps.get_model("service", "Macro").objects.all().delete()
        apps.get_model("access", "Department").objects.filter(code="help").delete()
