"""Cached sales aggregates (board column totals, dashboard reports) with explicit
invalidation: every change to the rows they are computed from bumps one version number,
and each cached figure is stored under the version it was computed at, so a change makes
every older figure unreachable at once (they expire on their own).

The cache is Django's default cache: Redis when REDIS_URL is set (shared by every web and
worker process), local memory otherwise (the embedded mode, where the worker runs inside
the server process). Keys name the reader's visibility, never only the user: two readers
share a figure only when `restrict()` would show them the same deals.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

from peyvand.access.choices import ObjectType, Scope
from peyvand.access.scopes import department_ids, scope_for

T = TypeVar("T")

VERSION_KEY = "sales:reports:version"
# A safety net only (what is shown beside the figures, such as an owner's renamed name, is
# not tracked): every change to the figures themselves invalidates them at once.
TIMEOUT = 600


def _new_version() -> int:
    # Time-based, so a version lost from the cache (evicted, Redis restarted) never comes
    # back as a number that older entries were stored under.
    return time.time_ns()


def version() -> int:
    current = cache.get(VERSION_KEY)
    if current is None:
        current = _new_version()
        if not cache.add(VERSION_KEY, current, timeout=None):
            current = cache.get(VERSION_KEY, current)
    return int(current)


def _bump_now() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet: nothing was cached under one
        cache.set(VERSION_KEY, _new_version(), timeout=None)


def invalidate() -> None:
    """Make every cached sales figure stale. Called for every change to the rows they read;
    again after the commit, so a reader who computed from the rows before the commit
    cannot leave that figure behind under the new version."""
    _bump_now()
    transaction.on_commit(_bump_now)


def visibility_key(user: Any) -> str:
    """Who sees which deals, as `restrict()` decides it for opportunities."""
    scope = scope_for(user, ObjectType.OPPORTUNITY, "view")
    if scope == Scope.ALL:
        return "all"
    if scope == Scope.NONE:
        return "none"
    if scope == Scope.DEPARTMENT:
        departments = ",".join(str(pk) for pk in sorted(department_ids(user)))
        return f"department:{user.pk}:{departments}"
    return f"own:{user.pk}"


def cached(name: str, user: Any, parts: Iterable[Any], compute: Callable[[], T]) -> T:
    """`compute()`'s result for this reader and these arguments, from the cache when the
    rows it reads have not changed since it was stored. The language is part of the key:
    month names and labels are translated."""
    raw = "|".join([name, visibility_key(user), get_language() or "", *map(str, parts)])
    key = f"sales:reports:{version()}:{hashlib.sha256(raw.encode()).hexdigest()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=TIMEOUT)
    return found


def _changed(**kwargs: Any) -> None:
    invalidate()


def connect_signals() -> None:
    """Every model the cached figures read from: deals, their stages and pipelines, the
    customers whose deletion hides deals, currencies and exchange rates, targets and
    learned models.
    Bulk writes (`bulk_create`, `update()`) skip signals and call `invalidate()` themselves."""
    from peyvand.catalog.models import Currency, ExchangeRate
    from peyvand.customers.models import Customer
    from peyvand.sales.models import ForecastModel, Opportunity, Pipeline, SalesTarget, Stage

    for model in (
        Opportunity,
        Stage,
        Pipeline,
        Customer,
        Currency,
        ExchangeRate,
        SalesTarget,
        ForecastModel,
    ):
        for signal in (post_save, post_delete):
            signal.connect(
                _changed, sender=model, dispatch_uid=f"peyvand.sales.reports.{model.__name__}"
            )
