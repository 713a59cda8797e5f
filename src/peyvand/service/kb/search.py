"""Full-text search of the knowledge base in Persian and English.

Both the stored text and the query go through `normalize_text` (one spelling of ی/ک,
Latin digits, no diacritics, case-folded). A word written with a zero-width non-joiner
(می‌شود) is indexed both as its parts and joined (میشود), and the query joins such words, so
a search finds it typed with the ZWNJ, without it, or with a space instead.

PostgreSQL: a stored tsvector (title weighted above text, `simple` configuration: no
language stemming, which would be wrong for the other language) with a GIN index.
SQLite: an FTS5 table over the same columns, kept in step by triggers.
"""

from __future__ import annotations

import html
import re
from typing import Any

from django.db import connection

from peyvand.core.text import normalize_text

ZWNJ = "\u200c"
TABLE = "service_article"
FTS_TABLE = "service_article_fts"
# Ranking reads every match; a word common to most articles would rank tens of thousands.
# The best page is taken from the first this many matches in index order.
RANK_CANDIDATES = 500
MAX_TOKENS = 12
_TAG = re.compile(r"<[^>]+>")
_WORD = re.compile(r"\w+", re.UNICODE)
_ZWNJ_WORD = re.compile(rf"\w+(?:{ZWNJ}\w+)+", re.UNICODE)


def plain_text(body_html: str) -> str:
    return html.unescape(_TAG.sub(" ", body_html))


def index_text(*parts: str) -> str:
    """The searchable form of an article's text."""
    text = " ".join(p for p in parts if p)
    joined = " ".join(w.replace(ZWNJ, "") for w in _ZWNJ_WORD.findall(text))
    return normalize_text(f"{text} {joined}")


def query_tokens(query: str) -> list[str]:
    """The words of a query, normalised; ZWNJ-joined words stay one word."""
    normalized = normalize_text(query.replace(ZWNJ, ""))
    return _WORD.findall(normalized)[:MAX_TOKENS]


PG_SETUP = [
    f"""ALTER TABLE {TABLE} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', search_title), 'A')
        || setweight(to_tsvector('simple', search_text), 'B')) STORED""",
    f"CREATE INDEX service_article_search_gin ON {TABLE} USING gin (search_vector)",
]
PG_TEARDOWN = [f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS search_vector"]
# The customers' search (published public articles) has an index of its own: with the
# general one the planner intersects it with the status index, reading tens of thousands
# of rows' bitmap for every query.
PG_PUBLIC_INDEX = "service_article_public_search_gin"
PG_PUBLIC_SETUP = [
    f"""CREATE INDEX {PG_PUBLIC_INDEX} ON {TABLE} USING gin (search_vector)
        WHERE status = 'published' AND visibility = 'public'"""
]
PG_PUBLIC_TEARDOWN = [f"DROP INDEX IF EXISTS {PG_PUBLIC_INDEX}"]
SQLITE_SETUP = [
    f"""CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(
        search_title, search_text, content='{TABLE}', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}(rowid, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_title, search_text)
        VALUES ('delete', old.id, old.search_title, old.search_text); END""",
    f"""CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF search_title, search_text ON {TABLE}
        BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_title, search_text)
        VALUES ('delete', old.id, old.search_title, old.search_text);
        INSERT INTO {FTS_TABLE}(rowid, search_title, search_text)
        VALUES (new.id, new.search_title, new.search_text); END""",
]
SQLITE_TEARDOWN = [
    f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}" for suffix in ("ai", "ad", "au")
] + [f"DROP TABLE IF EXISTS {FTS_TABLE}"]


def create_index(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in PG_SETUP if vendor == "postgresql" else SQLITE_SETUP if vendor == "sqlite" else []:
        schema_editor.execute(sql)


def drop_index(schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for sql in (
        PG_TEARDOWN if vendor == "postgresql" else SQLITE_TEARDOWN if vendor == "sqlite" else []
    ):
        schema_editor.execute(sql)


def create_public_index(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_PUBLIC_SETUP:
            schema_editor.execute(sql)


def drop_public_index(schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for sql in PG_PUBLIC_TEARDOWN:
            schema_editor.execute(sql)


def matching_ids(
    query: str,
    *,
    statuses: list[str],
    visibilities: list[str],
    language: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[int]:
    """Ids of the articles matching every word of `query` (the last one as a prefix, for
    search as you type), best first, within the given statuses and visibilities."""
    tokens = query_tokens(query)
    if not tokens or not statuses or not visibilities:
        return []
    filters = [
        f"a.status IN ({', '.join(['%s'] * len(statuses))})",
        f"a.visibility IN ({', '.join(['%s'] * len(visibilities))})",
    ]
    params: list[Any] = [*statuses, *visibilities]
    if language:
        filters.append("a.language = %s")
        params.append(language)
    where = " AND ".join(filters)
    if connection.vendor == "postgresql":
        terms = [f"{_pg_quote(t)}" for t in tokens[:-1]] + [f"{_pg_quote(tokens[-1])}:*"]
        sql = f"""
            WITH hits AS (
                SELECT a.id, a.search_vector FROM {TABLE} a
                WHERE a.search_vector @@ to_tsquery('simple', %s) AND {where}
                LIMIT {RANK_CANDIDATES})
            SELECT id FROM hits
            ORDER BY ts_rank(search_vector, to_tsquery('simple', %s)) DESC, id DESC
            LIMIT %s OFFSET %s"""
        tsquery = " & ".join(terms)
        args = [tsquery, *params, tsquery, limit, offset]
    else:
        match = " ".join(f'"{t}"' for t in tokens[:-1]) + f' "{tokens[-1]}"*'
        # bm25() is computed only for the capped candidates, as on PostgreSQL.
        sql = f"""
            SELECT id FROM (
                SELECT a.id, bm25({FTS_TABLE}, 4.0, 1.0) AS score
                FROM {FTS_TABLE} JOIN {TABLE} a ON a.id = {FTS_TABLE}.rowid
                WHERE {FTS_TABLE} MATCH %s AND {where} LIMIT {RANK_CANDIDATES})
            ORDER BY score, id DESC
            LIMIT %s OFFSET %s"""
        args = [match.strip(), *params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        return [row[0] for row in cursor.fetchall()]


def _pg_quote(token: str) -> str:
    # A tsquery lexeme in single quotes; tokens are \w+ already, so only quotes could break it.
    return "'" + token.replace("'", "''").replace("\\", "") + "'"
