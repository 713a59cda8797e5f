"""What the importer changes about its database session, and that it gives it back."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db import connection

from peyvand.customers.models import ContactPoint, Customer, Tag
from peyvand.imports.choices import ImportStatus
from peyvand.imports.services import import_file
from tests.factories import CustomerFactory

HEADER = ["name", "email", "mobile", "tags", "external id"]


def _pragma_cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's page cache")
def test_sqlite_import_gives_the_connection_its_page_cache_back(write_csv, sales1: Any) -> None:
    before = _pragma_cache_size()
    seen: list[int] = []
    path = write_csv([HEADER, ["Ali Karimi", "ali@example.com", "09121234567", "vip", "K-1"]])
    job = import_file(path, actor=sales1, progress=lambda job: seen.append(_pragma_cache_size()))
    assert job.status == ImportStatus.DONE
    # Progress is reported after each chunk (inside the run) and once at the end (after it).
    during, after = seen
    assert during < 0 and -during > 64 * 1024 > abs(before)
    assert after == before == _pragma_cache_size()


def _other_connection() -> psycopg.Connection[Any]:
    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        autocommit=True,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's row locks")
def test_rows_the_chunk_points_at_cannot_be_deleted_until_it_commits(
    write_csv, sales1: Any
) -> None:
    """Where the importer skips the per-row foreign-key triggers it still takes their locks,
    so another session cannot remove the owner or an updated customer under the chunk."""
    existing = CustomerFactory(display_name="Sara", owner=sales1, external_ref="K-9")
    tag = Tag.objects.create(name="vip")
    path = write_csv(
        [
            HEADER,
            ["Ali Karimi", "ali@example.com", "09121234567", "vip", "K-1"],
            ["Sara", "sara@example.com", "", "vip", "K-9"],
        ]
    )
    refused: list[str] = []

    def try_to_lock(_job: Any) -> None:
        # Inside the chunk's transaction: FOR UPDATE conflicts with the chunk's KEY SHARE.
        with _other_connection() as other:
            for table, pk in (
                ("access_user", sales1.pk),
                (Tag._meta.db_table, tag.pk),
                (Customer._meta.db_table, existing.pk),
            ):
                try:
                    other.execute(f'SELECT 1 FROM "{table}" WHERE id = %s FOR UPDATE NOWAIT', [pk])
                except psycopg.errors.LockNotAvailable:
                    refused.append(table)

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = cursor.fetchone()[0]
    job = import_file(path, actor=sales1, progress=try_to_lock)

    assert (job.status, job.created_rows, job.updated_rows) == (ImportStatus.DONE, 1, 1)
    if superuser:
        assert refused == ["access_user", Tag._meta.db_table, Customer._meta.db_table]
    assert set(existing.contact_points.values_list("normalized", flat=True)) == {"sara@example.com"}
    assert ContactPoint.objects.filter(customer__external_ref="K-1").count() == 2
