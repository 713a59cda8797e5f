"""Querysets compiled once, run many times with new values: for hot read paths (the
next-best-offer profile) where Django's SQL compilation costs more than the query itself.

A *builder* is a function `build(ids, *values) -> QuerySet` (values: ints or aware
datetimes) returning a `values_list()` queryset. `rows(build, ids, *values)` gives the
same rows as `list(build(ids, *values))`; for one id it compiles the builder once per
database connection (with sentinel values), remembers where each value lands among the
SQL parameters, and afterwards only substitutes them and executes the SQL. The rows pass
through the compiler's own converters, so they are exactly what the queryset would give.
For several ids the queryset runs as usual (the IN list changes its SQL).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.sql.compiler import SQLCompiler

Builder = Callable[..., QuerySet[Any, Any]]

_SENTINEL_ID = -1_000_000_007
_SENTINEL_AT = dt.datetime(1901, 1, 1, tzinfo=dt.UTC)

_lock = threading.Lock()
# (builder, alias, vendor) -> (compiler, sql, params, {position: index of the value})
_compiled: dict[tuple[Any, str, str], tuple[SQLCompiler, str, list[Any], dict[int, int]]] = {}


def _sentinels(values: Sequence[Any]) -> list[Any]:
    out: list[Any] = [_SENTINEL_ID]
    for index, value in enumerate(values, start=1):
        if isinstance(value, dt.datetime):
            out.append(_SENTINEL_AT + dt.timedelta(seconds=index))
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append(_SENTINEL_ID - index)
        else:
            raise TypeError(f"prepared queries take ints and datetimes, not {type(value)!r}")
    return out


def _adapt(connection: Any, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _compile(
    make: Callable[[list[Any]], QuerySet[Any, Any]], values: Sequence[Any], alias: str, name: str
) -> tuple[Any, ...]:
    connection = connections[alias]
    sentinels = _sentinels(values[1:])
    compiler = make(sentinels).query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    adapted = [_adapt(connection, value) for value in sentinels]
    positions: dict[int, int] = {}
    for position, param in enumerate(params):
        for index, sentinel in enumerate(adapted):
            if type(param) is type(sentinel) and param == sentinel:
                positions[position] = index
    # `one()` puts an unused id first, to share the sentinels' numbering.
    first = 1 if name.startswith("values:") else 0
    missing = set(range(first, len(sentinels))) - set(positions.values())
    if missing:
        raise ValueError(f"{name}: values {sorted(missing)} are not SQL parameters")
    return compiler, sql, list(params), positions


def _run(
    key: Any,
    make: Callable[[list[Any]], QuerySet[Any, Any]],
    values: Sequence[Any],
    name: str,
) -> list[tuple[Any, ...]]:
    alias = DEFAULT_DB_ALIAS  # Peyvand has one database and no router
    connection = connections[alias]
    cache_key = (key, alias, connection.vendor)
    with _lock:
        compiled = _compiled.get(cache_key)
    if compiled is None:
        compiled = _compile(make, values, alias, name)
        with _lock:
            _compiled[cache_key] = compiled
    compiler, sql, params, positions = compiled
    bound = list(params)
    for position, index in positions.items():
        bound[position] = _adapt(connection, values[index])
    with connection.cursor() as cursor:
        cursor.execute(sql, bound)
        fetched = cursor.fetchall()
    return [tuple(row) for row in compiler.results_iter(results=[fetched], tuple_expected=True)]


def rows(build: Builder, ids: Sequence[int], *values: Any) -> list[tuple[Any, ...]]:
    """`list(build(ids, *values))`, compiled once per connection when there is one id."""
    if len(ids) != 1:
        return list(build(ids, *values))
    return _run(
        ("ids", build),
        lambda sentinels: build([sentinels[0]], *sentinels[1:]),
        [ids[0], *values],
        build.__qualname__,
    )


def one(build: Callable[..., QuerySet[Any, Any]], *values: Any) -> list[tuple[Any, ...]]:
    """`list(build(*values))` for a builder without ids, compiled once per connection."""
    return _run(
        ("values", build),
        lambda sentinels: build(*sentinels[1:]),
        [_SENTINEL_ID, *values],
        f"values:{build.__qualname__}",
    )
