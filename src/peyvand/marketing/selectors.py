"""Read side of segments: lists and members, always limited to what the reader may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q

from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer
from peyvand.marketing.models import Segment, SegmentMember, Suppression


def current_members(segment: Segment, user: Any) -> Any:
    visible = Customer.objects.visible_to(user).alive().values("pk")
    return SegmentMember.objects.current().filter(segment=segment, customer_id__in=visible)


def segment_list(q: str = "") -> Any:
    segments = Segment.objects.select_related("created_by")
    if q:
        segments = segments.filter(Q(name__icontains=q) | Q(description__icontains=q))
    return segments.order_by("name", "pk")


def stay_counts(segment: Segment) -> dict[str, int]:
    """Entries and exits so far (every stay is a row; an exit closes it)."""
    totals = SegmentMember.objects.filter(segment=segment).aggregate(
        entries=Count("pk"), exits=Count("pk", filter=Q(left_at__isnull=False))
    )
    return {"entries": totals["entries"], "exits": totals["exits"]}


def suppressed_customer_ids(channel: str) -> Any:
    """Customers with any contact point on the suppression list for `channel`, as a
    subquery (set-based: campaigns exclude them in the same SQL that picks recipients)."""
    kind = ContactKind.EMAIL if channel == "email" else ContactKind.PHONE
    blocked = Suppression.objects.filter(channel=channel).values("address")
    return ContactPoint.objects.filter(kind=kind, normalized__in=blocked).values("customer_id")


def is_suppressed(channel: str, address: str) -> bool:
    """`address` must be normalised (normalize_contact) before it is looked up."""
    return Suppression.objects.filter(channel=channel, address=address).exists()
