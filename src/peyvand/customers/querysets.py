from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import connections
from django.db.models import BooleanField, F, Q, QuerySet, Value
from django.db.models.expressions import Expression, RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

from peyvand.access.scopes import VisibleQuerySet
from peyvand.core.models import SoftDeleteQuerySet
from peyvand.core.text import normalize_email, normalize_phone, normalize_text, phone_search_key

# Trigram indexes cannot help a fragment shorter than a trigram.
MIN_FRAGMENT = 3
# A search that hits more contact points than this is not an exact lookup any more.
MAX_EXACT_HITS = 1000
# A page of search results is cut from at most this many matches (a dozen list pages). A
# common fragment ("زهرا موسو") matches tens of thousands of customers, and sorting every one
# of them by name before the first page is taken costs over a second on a million customers;
# fetching the candidates back by primary key is what grows with this number.
PAGE_CANDIDATES = 300
FTS_TABLE = "customers_customer_fts"
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-().]+$")
_EMAIL_LIKE = re.compile(r"^[^@\s]*@[^@\s]*$")


class TrigramContains(Expression):
    """`search_text` contains every token (PostgreSQL): plain, case-sensitive LIKE on
    already case-folded text, the form the pg_trgm GIN index serves (ILIKE/UPPER() would
    bypass it). In a query marked with `RECHECK` the same test is written with strpos(),
    which no index serves, so the planner reads the rows by their other conditions."""

    RECHECK = "peyvand_trigram_recheck"
    PROBE = "peyvand_trigram_probe"
    conditional = True
    output_field = BooleanField()

    def __init__(self, tokens: list[str], column: Any = None) -> None:
        super().__init__(output_field=BooleanField())
        self.tokens = list(tokens)
        self.column = column if column is not None else F("search_text")

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        column, params = compiler.compile(self.column)
        recheck = getattr(compiler.query, self.RECHECK, False)
        # PostgreSQL guesses a fragment's frequency from its length alone (2% for seven
        # letters), and for "the first N matches" it then prefers reading the table in
        # order, hoping to meet them early: tens of thousands of rows for a fragment that
        # is rarer than guessed or clustered. Written twice in the probe, the estimate is
        # squared and the trigram index is used; the repeat costs the index nothing.
        repeat = 2 if getattr(compiler.query, self.PROBE, False) else 1
        parts: list[str] = []
        values: list[Any] = []
        for token in self.tokens:
            if recheck:
                parts.append(f"STRPOS({column}, %s) > 0")
                values += [*params, token]
            else:
                pattern = f"%{connection.ops.prep_for_like_query(token)}%"
                parts += [f"{column}::text LIKE %s"] * repeat
                values += [*params, pattern] * repeat
        return "(" + " AND ".join(parts) + ")", tuple(values)


def _fts_phrase(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


# The stubs type each QuerySet's generated manager separately; the mixins are compatible.
class CustomerQuerySet(VisibleQuerySet, SoftDeleteQuerySet):  # type: ignore[override]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages_from_candidates = False

    def _clone(self) -> Any:
        clone = super()._clone()  # type: ignore[misc]
        clone._pages_from_candidates = self._pages_from_candidates
        return clone

    def search(self, q: str) -> Any:
        """Customers matching a name fragment, email, phone (any format), tag or custom value.

        Exact email/phone hits come from the indexed `ContactPoint(kind, normalized)`;
        fragments from the database's trigram index over `search_text`.

        Unsliced (an export, a count) the result holds every match. A page (any slice) of a
        fragment search is cut from the first `PAGE_CANDIDATES` matches the index yields,
        in the caller's order: exactly the same page whenever there are fewer matches than
        that, and for a fragment too common to sort in time, the first page of a bounded
        sample of its matches, each a true match. See `_fetch_all`.
        """
        text = normalize_text(q)
        if not text:
            return self
        compact = text.replace(" ", "")
        if _PHONE_LIKE.match(compact) and sum(c.isdigit() for c in compact) >= 4:
            e164 = normalize_phone(q)
            exact = self._exact_contact_ids("phone", e164) if e164 else []
            condition = self._fragments_q([e164 or phone_search_key(q)])
        elif _EMAIL_LIKE.match(text):
            email = normalize_email(q)
            exact = self._exact_contact_ids("email", email)
            condition = self._fragments_q([email])
        else:
            exact, condition = [], self._fragments_q(text.split(" "))
        if exact:
            # A complete phone or email found on a contact point is the answer; the trigram
            # scan is only for fragments and for rows bulk-loaded without contact points.
            return self.filter(pk__in=exact)
        found = self.filter(condition)
        found._pages_from_candidates = True
        return found

    def _fetch_all(self) -> None:
        """Narrow a sliced fragment search to its candidates just before it runs, so the
        filters, ordering and cursor the caller added after `search()` are part of the
        probe: a page never comes out empty while matches remain.

        The page itself is read through the primary key: its fragment conditions are only
        checked again on the candidates (`TrigramContains.RECHECK`). Left indexable, they
        let PostgreSQL, which cannot estimate how many rows a fragment matches, prefer the
        trigram index again and re-read every match to keep the few candidates."""
        if self._result_cache is None and self._pages_from_candidates and self.query.is_sliced:
            self._pages_from_candidates = False
            self.query.add_q(Q(pk__in=self._page_candidates()))
            setattr(self.query, TrigramContains.RECHECK, True)
        super()._fetch_all()

    def _page_candidates(self) -> list[Any]:
        # A plain QuerySet over the same conditions, unordered and unsliced: the database
        # may stop at the first PAGE_CANDIDATES matches it meets instead of sorting them all.
        probe: QuerySet[Any] = QuerySet(model=self.model, query=self.query.chain(), using=self.db)
        probe.query.clear_limits()
        probe.query.clear_ordering(force=True)
        setattr(probe.query, TrigramContains.PROBE, True)
        return list(probe.values_list("pk", flat=True)[:PAGE_CANDIDATES])

    def _exact_contact_ids(self, kind: str, normalized: str) -> list[int]:
        from peyvand.customers.models import ContactPoint

        # Resolved to a short id list first: `pk IN (1, 2) OR <trigram>` lets PostgreSQL
        # combine two index scans, where `pk IN (subquery) OR …` scans the whole table.
        return list(
            ContactPoint.objects.using(self.db)
            .filter(kind=kind, normalized=normalized)
            .values_list("customer_id", flat=True)[:MAX_EXACT_HITS]
        )

    def _fragments_q(self, tokens: list[str]) -> Q:
        """Every token must occur in the customer's search text."""
        tokens = [t for t in tokens if t]
        long_tokens = [t for t in tokens if len(t) >= MIN_FRAGMENT]
        short_tokens = [t for t in tokens if len(t) < MIN_FRAGMENT]
        if not long_tokens:
            # Too short for trigrams: the start of the name is what people mean, and a
            # prefix is what the name_key pattern index serves.
            return Q(name_key__startswith=" ".join(short_tokens))
        condition = Q()
        if connections[self.db].vendor == "sqlite":
            match = " AND ".join(_fts_phrase(t) for t in long_tokens)
            # The table name is a constant and the user's text travels as a parameter.
            fts = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [match])  # noqa: S611
            condition &= Q(pk__in=fts)
        else:
            condition &= Q(TrigramContains(long_tokens))
        for token in short_tokens:
            # strpos() rather than LIKE: the planner must not try the trigram index for a
            # pattern it cannot use; these only narrow the rows the long tokens found.
            condition &= Q(GreaterThan(StrIndex("search_text", Value(token)), 0))
        return condition


class CustomerChildQuerySet(VisibleQuerySet):
    """Rows that belong to a customer are visible exactly when their customer is."""
