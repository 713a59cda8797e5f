"""Every state change of segments: saving a rule tree, static list membership, and keeping
the materialised membership (SegmentMember) up to date, in full or for one customer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.audit.services import record as audit_record
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.marketing.choices import SegmentKind
from peyvand.marketing.compiler import compile_rules
from peyvand.marketing.models import Segment, SegmentMember
from peyvand.marketing.rules import sources_of, validate_rules

MAX_STATIC_IDS = 100_000


def matching_customers(
    rules: dict[str, Any], *, now: dt.datetime | None = None, only: int | None = None
) -> Any:
    """Alive customers matching a validated tree: one queryset, for any caller to narrow
    (`visible_to(user)` for people, nothing for the system's own materialisation)."""
    condition = compile_rules(rules, now=now or timezone.now(), only=only)
    customers = Customer.objects.alive().filter(condition)
    return customers.filter(pk=only) if only is not None else customers


@contextmanager
def _set_based() -> Iterator[None]:
    """A transaction for one segment statement. On PostgreSQL without JIT: the planner
    prices a segment over a large customer base high enough to compile it, and compiling
    cost 9.8 s of an 11.7 s count at 100k customers (bench/results/segments.md) for a
    statement that runs once."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
                # Grouping a large orders table per customer spilled to disk at the 4 MB
                # default; this one statement may take more.
                cursor.execute("SET LOCAL work_mem = '64MB'")
        yield


def count_matching(rules: Any, *, user: Any, now: dt.datetime | None = None) -> int:
    """The live count of the rule builder: validated first, then counted among the
    customers this user may see."""
    try:
        tree = validate_rules(rules)
    except ValidationError as exc:
        raise ValidationError({"rules": exc.messages}) from exc
    with _set_based():
        return int(matching_customers(tree, now=now).visible_to(user).count())


@transaction.atomic
def save_segment(
    segment: Segment | None,
    *,
    name: str,
    rules: Any = None,
    description: str = "",
    kind: str = SegmentKind.DYNAMIC,
    actor: Any,
) -> Segment:
    """Create or change a segment (its change-log row written); a rule-based segment is
    rebuilt after commit so its members follow the new rules."""
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError({"name": [_("Give a name of 1 to 120 characters.")]})
    if kind not in SegmentKind.values:
        raise ValidationError({"kind": [_("Choose a kind of segment.")]})
    try:
        tree = validate_rules(rules) if kind == SegmentKind.DYNAMIC else {}
    except ValidationError as exc:
        raise ValidationError({"rules": exc.messages}) from exc
    if segment is None:
        segment = Segment(created_by=actor if getattr(actor, "pk", None) else None, kind=kind)
    elif segment.kind != kind:
        raise ValidationError({"kind": [_("A segment cannot change its kind.")]})
    with audit_record(segment, actor=actor):
        segment.name, segment.description, segment.rules = name, description.strip(), tree
        segment.sources = sources_of(tree) if tree else []
        segment.save()
    if not segment.is_static:
        segment_id = segment.pk
        transaction.on_commit(lambda: _enqueue_rebuild(segment_id))
    return segment


def _enqueue_rebuild(segment_id: int) -> None:
    from peyvand.marketing.tasks import rebuild_segment_task

    rebuild_segment_task.enqueue(segment_id)


@dataclass
class RebuildResult:
    entered: int
    left: int
    members: int


def rebuild_segment(segment_id: int, *, now: dt.datetime | None = None) -> RebuildResult:
    """Bring a rule-based segment's membership up to date, set-based: the compiled query
    runs once into a temporary table of ids; then one UPDATE closes the stays of customers
    no longer in it and one INSERT … SELECT opens stays for those newly in it. Customers
    who stay members are not touched, so their entry time is kept."""
    now = now or timezone.now()
    with _set_based():
        segment = Segment.objects.select_for_update().get(pk=segment_id)
        if segment.is_static:
            return RebuildResult(0, 0, segment.member_count)
        match_sql, params = (
            matching_customers(segment.rules, now=now)
            .order_by()
            .values("pk")
            .query.sql_with_params()
        )
        quote = connection.ops.quote_name
        members, found = quote(SegmentMember._meta.db_table), quote(f"segment_match_{segment.pk}")
        at = connection.ops.adapt_datetimefield_value(now)
        # Raw SQL: Django has no INSERT … SELECT or temporary tables. The SELECT is the
        # ORM's own with its parameters; the names are ours, quoted.
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {found}")
            cursor.execute(f"CREATE TEMPORARY TABLE {found} (id bigint PRIMARY KEY)")
            cursor.execute(f"INSERT INTO {found} (id) {match_sql}", params)
            cursor.execute(
                f"UPDATE {members} SET left_at = %s WHERE segment_id = %s AND left_at IS NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {found} f WHERE f.id = {members}.customer_id)",
                [at, segment.pk],
            )
            left = max(cursor.rowcount, 0)
            cursor.execute(
                f"INSERT INTO {members} (segment_id, customer_id, entered_at)"
                f" SELECT %s, f.id, %s FROM {found} f WHERE NOT EXISTS (SELECT 1 FROM {members} s"
                f" WHERE s.segment_id = %s AND s.customer_id = f.id AND s.left_at IS NULL)",
                [segment.pk, at, segment.pk],
            )
            entered = max(cursor.rowcount, 0)
            cursor.execute(f"SELECT count(*) FROM {found}")
            total = int(cursor.fetchone()[0])
            cursor.execute(f"DROP TABLE {found}")
        Segment.objects.filter(pk=segment.pk).update(member_count=total, built_at=now)
    return RebuildResult(entered, left, total)


def reevaluate_customer(
    customer_id: int, sources: Iterable[str], *, now: dt.datetime | None = None
) -> list[tuple[int, str]]:
    """Re-check one customer against the rule-based segments that read any of `sources`
    (what just changed about them); returns (segment id, "entered"/"left") per change."""
    now = now or timezone.now()
    changed = set(sources)
    changes: list[tuple[int, str]] = []
    for segment in Segment.objects.filter(kind=SegmentKind.DYNAMIC).only("pk", "rules", "sources"):
        if not changed & set(segment.sources):
            continue
        with transaction.atomic():
            matches = matching_customers(segment.rules, now=now, only=customer_id).exists()
            stay = (
                SegmentMember.objects.current()
                .select_for_update()
                .filter(segment_id=segment.pk, customer_id=customer_id)
                .first()
            )
            if matches and stay is None:
                SegmentMember.objects.create(
                    segment_id=segment.pk, customer_id=customer_id, entered_at=now
                )
                _bump(segment.pk, 1)
                changes.append((segment.pk, "entered"))
            elif stay is not None and not matches:
                stay.left_at = now
                stay.save(update_fields=["left_at"])
                _bump(segment.pk, -1)
                changes.append((segment.pk, "left"))
    return changes


def _bump(segment_id: int, delta: int) -> None:
    Segment.objects.filter(pk=segment_id).update(member_count=F("member_count") + delta)


def parse_customer_ids(text: str) -> tuple[list[int], list[str]]:
    """Customer ids from pasted text or a CSV file: the first column of each line (a
    header line is skipped). Returns the ids and one error per bad line."""
    ids: list[int] = []
    errors: list[str] = []
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",")[0].split(";")[0].strip().strip('"')
        if not cell:
            continue
        header, first = first, False
        if cell.isdigit():
            ids.append(int(cell))
        elif header:
            continue
        else:
            errors.append(
                _("Line %(line)s: “%(value)s” is not a customer id.")
                % {"line": number, "value": cell[:40]}
            )
    if len(ids) > MAX_STATIC_IDS:
        errors.append(_("At most %(max)s customers at once.") % {"max": MAX_STATIC_IDS})
    return ids, errors


@transaction.atomic
def add_static_members(segment_id: int, customer_ids: Iterable[int], *, actor: Any) -> int:
    """Add customers to a static list; all or nothing. An id the actor may not see is
    refused like a missing one. Customers already in the list are left as they are."""
    segment = Segment.objects.select_for_update().get(pk=segment_id)
    if not segment.is_static:
        raise ServiceError(_("Only a static list takes customers by hand."), code="not_static")
    wanted = set(customer_ids)
    if not wanted:
        raise ServiceError(_("Give at least one customer id."), field="customers")
    found = set(
        Customer.objects.visible_to(actor)
        .alive()
        .filter(pk__in=wanted)
        .values_list("pk", flat=True)
    )
    missing = sorted(wanted - found)
    if missing:
        shown = ", ".join(str(pk) for pk in missing[:20])
        raise ServiceError(
            ngettext(
                "No customer you can see has the id %(ids)s; nothing was added.",
                "No customers you can see have the ids %(ids)s; nothing was added.",
                len(missing),
            )
            % {"ids": shown},
            field="customers",
            code="unknown_customers",
        )
    present = set(
        SegmentMember.objects.current()
        .filter(segment=segment, customer_id__in=found)
        .values_list("customer_id", flat=True)
    )
    now = timezone.now()
    fresh = [
        SegmentMember(segment=segment, customer_id=pk, entered_at=now)
        for pk in sorted(found - present)
    ]
    SegmentMember.objects.bulk_create(fresh, batch_size=5000)
    with audit_record(segment, actor=actor):
        segment.member_count = SegmentMember.objects.current().filter(segment=segment).count()
        segment.built_at = now
        segment.save(update_fields=["member_count", "built_at", "updated_at"])
    return len(fresh)


@transaction.atomic
def remove_static_member(segment_id: int, customer_id: int, *, actor: Any) -> None:
    segment = Segment.objects.select_for_update().get(pk=segment_id)
    if not segment.is_static:
        raise ServiceError(_("Only a static list takes customers by hand."), code="not_static")
    Customer.objects.visible_to(actor).alive().get(pk=customer_id)
    closed = (
        SegmentMember.objects.current()
        .filter(segment=segment, customer_id=customer_id)
        .update(left_at=timezone.now())
    )
    if closed:
        with audit_record(segment, actor=actor):
            segment.member_count = max(segment.member_count - closed, 0)
            segment.save(update_fields=["member_count", "updated_at"])


def notify_customer_changed(customer_id: int | None, *sources: str) -> None:
    """Called where customer data is recorded: after commit, re-evaluate this customer in
    the segments whose rules read that kind of data."""
    if not customer_id:
        return

    kinds = sorted({str(source) for source in sources})

    def enqueue() -> None:
        from peyvand.marketing.tasks import reevaluate_customer_task

        # Most saves touch data no segment reads: no job for those.
        read = Segment.objects.filter(kind=SegmentKind.DYNAMIC).values_list("sources", flat=True)
        if any(set(kinds) & set(segment_sources) for segment_sources in read):
            reevaluate_customer_task.enqueue(customer_id, kinds)

    transaction.on_commit(enqueue)
