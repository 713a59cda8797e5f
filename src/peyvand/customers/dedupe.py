"""Finding customers that are probably the same party.

Two signals: a shared normalised email or phone (exact, from the indexed contact points),
and similar names (rapidfuzz on `name_key`). Names are compared only inside blocks of
customers whose keys share a prefix, read in `name_key` order from the index, so the cost
grows with the block sizes rather than with the square of the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer

BLOCK_PREFIX = 3
# A block larger than this is split on a longer prefix: a million "mohammad …" must not
# become one comparison matrix.
MAX_BLOCK = 2000


@dataclass
class DuplicateGroup:
    customers: list[Customer]
    reasons: list[str] = field(default_factory=list)
    score: int = 100

    @property
    def ids(self) -> list[int]:
        return [c.pk for c in self.customers]


class _Groups:
    """Union-find over customer ids, remembering why two were joined."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.reasons: dict[int, set[str]] = {}
        self.scores: dict[int, int] = {}

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int, reason: str, score: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
            self.reasons.setdefault(ra, set()).update(self.reasons.pop(rb, set()))
            self.scores[ra] = min(self.scores.get(ra, 100), self.scores.pop(rb, 100))
        self.reasons.setdefault(ra, set()).add(reason)
        self.scores[ra] = min(self.scores.get(ra, 100), score)

    def count(self) -> int:
        return len({self.find(x) for x in self.parent})

    def members(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return out


def _exact_pairs(qs: Any, groups: _Groups, limit: int) -> None:
    kinds = {ContactKind.EMAIL: _("same email"), ContactKind.PHONE: _("same phone")}
    points = ContactPoint.objects.filter(
        customer__in=qs.values("pk"), kind__in=list(kinds)
    ).exclude(normalized="")
    shared = (
        points.order_by()
        .values("kind", "normalized")
        .annotate(n=Count("customer_id", distinct=True))
        .filter(n__gt=1)
        .order_by("kind", "normalized")[: limit * 4]
    )
    keys = [(row["kind"], row["normalized"]) for row in shared]
    if not keys:
        return
    rows = points.filter(normalized__in={k[1] for k in keys}).values_list(
        "kind", "normalized", "customer_id"
    )
    first: dict[tuple[str, str], int] = {}
    wanted = set(keys)
    for kind, normalized, customer_id in rows:
        key = (kind, normalized)
        if key not in wanted:
            continue
        if key in first:
            groups.join(first[key], customer_id, str(kinds[ContactKind(kind)]), 100)
        else:
            first[key] = customer_id


def _blocks(qs: Any, prefix: int) -> Iterator[list[tuple[int, str]]]:
    block: list[tuple[int, str]] = []
    current = None
    names = (
        qs.exclude(name_key="").order_by("name_key", "pk").values_list("pk", "name_key").iterator()
    )
    for pk, key in names:
        head = key[:prefix]
        if head != current and block:
            yield block
            block = []
        current = head
        block.append((pk, key))
    if block:
        yield block


def _compare(block: list[tuple[int, str]], groups: _Groups, threshold: int, prefix: int) -> None:
    if len(block) < 2:
        return
    if len(block) > MAX_BLOCK and prefix < 12:
        sub: dict[str, list[tuple[int, str]]] = {}
        for pk, key in block:
            sub.setdefault(key[: prefix + 2], []).append((pk, key))
        for part in sub.values():
            _compare(part, groups, threshold, prefix + 2)
        return
    keys = [key for _pk, key in block]
    matrix = cdist(keys, keys, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, workers=1)
    label = str(_("similar name"))
    for i in range(len(block)):
        for j in range(i + 1, len(block)):
            score = int(matrix[i][j])
            if score >= threshold:
                groups.join(block[i][0], block[j][0], label, score)


def find_duplicate_groups(qs: Any, *, threshold: int = 90, limit: int = 50) -> list[DuplicateGroup]:
    """Up to `limit` groups of probable duplicates among `qs` (already limited to what the
    user may see), strongest evidence first."""
    qs = qs.filter(deleted_at__isnull=True)
    groups = _Groups()
    _exact_pairs(qs, groups, limit)
    for block in _blocks(qs, BLOCK_PREFIX):
        _compare(block, groups, threshold, BLOCK_PREFIX)
        if groups.count() >= limit:
            break
    members = groups.members()
    customers = Customer.objects.in_bulk([pk for ids in members.values() for pk in ids])
    result = [
        DuplicateGroup(
            customers=sorted((customers[pk] for pk in ids), key=lambda c: c.pk),
            reasons=sorted(groups.reasons.get(root, set())),
            score=groups.scores.get(root, 100),
        )
        for root, ids in members.items()
        if len(ids) > 1
    ]
    result.sort(key=lambda g: (-g.score, -len(g.customers), g.ids[0]))
    return result[:limit]
