"""Read side of tracking: the staff screens, the customer's timeline (one entry per visit)
and the profile summary other apps (personalization) read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from peyvand.core import prepared
from peyvand.core.templatetags.peyvand import digits
from peyvand.tracking.choices import EventType
from peyvand.tracking.models import Event, TrackedSite, WebSession

RECENT_EVENTS = 50
PROFILE_WINDOW = dt.timedelta(days=30)
# Product ids kept per customer in the profile: the newest ones are what an offer uses.
PROFILE_PRODUCTS = 20


def sites_with_counts() -> QuerySet[TrackedSite]:
    return TrackedSite.objects.annotate(
        visitor_count=Count("visitors", distinct=True),
        session_count=Count("sessions", distinct=True),
    ).order_by("name")


def recent_events(site: TrackedSite) -> QuerySet[Event]:
    return (
        Event.objects.filter(site=site).select_related("customer").order_by("-received_at", "-pk")
    )


def sessions_per_day(site: TrackedSite, *, days: int = 30) -> list[tuple[dt.date, int]]:
    """People's sessions started per day over the last `days` days, zeros included."""
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    counts = dict(
        WebSession.objects.filter(site=site, started_at__date__gte=first)
        .annotate(day=TruncDate("started_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return [
        (first + dt.timedelta(days=i), counts.get(first + dt.timedelta(days=i), 0))
        for i in range(days)
    ]


def traffic_counts(site: TrackedSite) -> dict[str, int]:
    """Events by people and by bots: bots are kept out of sessions and profiles but counted."""
    rows = dict(
        Event.objects.filter(site=site)
        .values("is_bot")
        .annotate(n=Count("pk"))
        .values_list("is_bot", "n")
    )
    return {"people": rows.get(False, 0), "bots": rows.get(True, 0)}


def customer_sessions(customer_id: int) -> QuerySet[WebSession]:
    """A customer's visits, newest first, from every device they were identified on."""
    return (
        WebSession.objects.filter(customer_id=customer_id)
        .select_related("site")
        .order_by("-started_at", "-pk")
    )


@dataclass
class ActivitySummary:
    last_visit: dt.datetime | None = None
    sessions_30d: int = 0
    page_views_30d: int = 0
    cart_adds_30d: int = 0
    products_viewed: list[str] = field(default_factory=list)


def _product_ref(properties: dict[str, Any]) -> str:
    for key in ("product_id", "sku", "id"):
        value = properties.get(key)
        if value not in (None, ""):
            return str(value)
    return ""


def _session_counts(customer_ids: Sequence[int], since: dt.datetime) -> QuerySet[Any, Any]:
    recent = Q(started_at__gte=since)
    return (
        WebSession.objects.filter(customer_id__in=customer_ids)
        .order_by()
        .values("customer_id")
        .annotate(
            last=Max("last_event_at"),
            sessions=Count("pk", filter=recent),
            page_views=Sum("page_views", filter=recent),
            cart_adds=Sum("cart_adds", filter=recent),
        )
        .values_list("customer_id", "last", "sessions", "page_views", "cart_adds")
    )


def activity_counts(customer_ids: Iterable[int]) -> dict[int, ActivitySummary]:
    """The counts of `recent_activity` without the viewed products, in one query whatever
    the number of customers: last visit, and sessions, page views and cart adds of the
    sessions started in the last 30 days. Customers with no visits get an empty summary."""
    ids = list(dict.fromkeys(customer_ids))
    result = {pk: ActivitySummary() for pk in ids}
    if not ids:
        return result
    since = timezone.now() - PROFILE_WINDOW
    for customer_id, last, sessions, page_views, cart_adds in prepared.rows(
        _session_counts, ids, since
    ):
        summary = result[customer_id]
        summary.last_visit = last
        summary.sessions_30d = sessions
        summary.page_views_30d = page_views or 0
        summary.cart_adds_30d = cart_adds or 0
    return result


def recent_activity(customer_ids: Iterable[int]) -> dict[int, ActivitySummary]:
    """The click-stream part of each customer's profile, in two queries whatever the
    number of customers: the counts of `activity_counts`, and the products they viewed in
    the last 30 days (newest first, ids or SKUs as the site sent them)."""
    result = activity_counts(customer_ids)
    ids = list(result)
    if not ids:
        return result
    since = timezone.now() - PROFILE_WINDOW
    views = (
        Event.objects.filter(
            customer_id__in=ids,
            type=EventType.PRODUCT_VIEW,
            is_bot=False,
            occurred_at__gte=since,
        )
        .order_by("-occurred_at")
        .values_list("customer_id", "properties")
    )
    for customer_id, properties in views:
        products = result[customer_id].products_viewed
        ref = _product_ref(properties or {})
        if ref and ref not in products and len(products) < PROFILE_PRODUCTS:
            products.append(ref)
    return result


def session_title(session: WebSession) -> str:
    return _("Visited %(site)s") % {"site": session.site.name}


def session_summary(session: WebSession) -> str:
    """One line for one visit: "visited 7 pages, viewed 2 products, added 1 to cart"."""
    parts = [
        ngettext("%(count)s page", "%(count)s pages", session.page_views)
        % {"count": session.page_views}
    ]
    if session.product_views:
        parts.append(
            ngettext("viewed %(count)s product", "viewed %(count)s products", session.product_views)
            % {"count": session.product_views}
        )
    if session.cart_adds:
        parts.append(
            ngettext("added %(count)s to cart", "added %(count)s to cart", session.cart_adds)
            % {"count": session.cart_adds}
        )
    if session.utm_campaign or session.utm_source:
        parts.append(_("from %(source)s") % {"source": session.utm_campaign or session.utm_source})
    return digits(_(", ").join(parts))
