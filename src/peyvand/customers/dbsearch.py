"""The database-side index over `Customer.search_text`, kept by the database itself.

Bulk inserts (importer, seeder) only fill `search_text`; the index follows on its own:
PostgreSQL indexes the column with pg_trgm, SQLite mirrors it into an FTS5 trigram table
through triggers.
"""

from __future__ import annotations

from typing import Any

from peyvand.customers.querysets import FTS_TABLE

TABLE = "customers_customer"

POSTGRES_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS customers_search_trgm ON {TABLE} "
    "USING gin (search_text gin_trgm_ops)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS customers_search_trgm",
]

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF search_text ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
            VALUES ('delete', old.id, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
    END""",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}" for suffix in ("ai", "ad", "au")),
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]


def ensure_search_index(connection: Any) -> None:
    """Create whatever part of the index is missing; rebuild the FTS mirror if its triggers
    were lost (SQLite drops a table's triggers when a migration rebuilds the table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for sql in POSTGRES_CREATE:
                cursor.execute(sql)
            return
        if connection.vendor != "sqlite":
            return
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
            [f"{FTS_TABLE}_a_"],
        )
        if cursor.fetchone()[0] == len(_SQLITE_TRIGGERS):
            return
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            f"search_text, content='{TABLE}', content_rowid='id', tokenize='trigram')"
        )
        for sql in _SQLITE_TRIGGERS:
            cursor.execute(sql)
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def drop_search_index(connection: Any) -> None:
    statements = {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(connection.vendor, [])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
