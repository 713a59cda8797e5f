"""The customers table keeps one index per access path: every extra one is paid on each
insert (a million-row import writes every index a million times)."""

from __future__ import annotations

import pytest
from django.db import connection

from peyvand.customers.models import Customer

pytestmark = pytest.mark.django_db


def _indexed_columns() -> list[list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Customer._meta.db_table)
    return [info["columns"] for info in found.values() if info["index"] and not info["primary_key"]]


def test_owner_and_department_have_only_their_composite_index() -> None:
    columns = _indexed_columns()
    assert ["owner_id", "deleted_at"] in columns
    assert ["department_id", "deleted_at"] in columns
    assert ["owner_id"] not in columns
    assert ["department_id"] not in columns


def test_name_key_prefix_search_has_one_pattern_index() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("pattern-ops indexes exist on PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
            [Customer._meta.db_table, "%(name_key varchar_pattern_ops)%"],
        )
        names = [row[0] for row in cursor.fetchall()]
    assert len(names) == 1
    assert "customers_name_key_prefix" not in names
    # The prefix search still reaches it.
    with connection.cursor() as cursor:
        # Only index conditions may decide: on a near-empty table a full scan of any other
        # index, filtering as it goes, costs the same and the planner may pick it.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        sql, params = (
            Customer.objects.filter(name_key__startswith="ali kar")
            .values("pk")
            .query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert names[0] in plan
