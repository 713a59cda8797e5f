"""Read side of tracking: the staff screens, the customer's timeline (one entry per visit)
and the profile summary other apps (personalization) read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from djmoney.money import Money

from peyvand.channels.choices import Direction
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.core import prepared
from peyvand.core.templatetags.peyvand import digits
from peyvand.tracking.choices import EventType, MessageEventKind
from peyvand.tracking.models import Event, MessageEvent, TrackedMessage, TrackedSite, WebSession

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


# --- message engagement -----------------------------------------------------------------


def link_destination(message_id: int, position: int) -> str | None:
    """The stored destination of a message's link, if it is an http(s) URL."""
    links = (
        TrackedMessage.objects.filter(pk=message_id).values_list("links", flat=True).first() or []
    )
    if not 0 <= position < len(links):
        return None
    url = links[position]
    return url if isinstance(url, str) and urlsplit(url).scheme in ("http", "https") else None


@dataclass
class Engagement:
    """The funnel of a message or of a campaign's messages. `opened` counts messages
    opened or clicked (a click proves the open when images were blocked); `converted`,
    messages that led to at least one order. Bot events count for nothing."""

    key: str
    sent: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    converted: int = 0
    revenue: list[Money] = field(default_factory=list)


def _engaged(*kinds: str) -> Exists:
    return Exists(MessageEvent.objects.filter(message=OuterRef("pk"), kind__in=kinds, is_bot=False))


def _funnel(messages: QuerySet[Message], group: str) -> dict[str, Engagement]:
    sent = [MessageStatus.SENT, MessageStatus.DELIVERED]
    rows = (
        messages.values(group)
        .annotate(
            sent=Count("pk", filter=Q(status__in=sent)),
            delivered=Count("pk", filter=Q(status=MessageStatus.DELIVERED)),
            opened=Count("pk", filter=Q(_engaged(MessageEventKind.OPEN, MessageEventKind.CLICK))),
            clicked=Count("pk", filter=Q(_engaged(MessageEventKind.CLICK))),
            converted=Count("pk", filter=Q(_engaged(MessageEventKind.CONVERSION))),
        )
        .order_by()
    )
    result = {
        str(row[group]): Engagement(
            key=str(row[group]),
            sent=row["sent"],
            delivered=row["delivered"],
            opened=row["opened"],
            clicked=row["clicked"],
            converted=row["converted"],
        )
        for row in rows
    }
    revenue = (
        MessageEvent.objects.filter(
            kind=MessageEventKind.CONVERSION, message__in=messages.values("pk")
        )
        .values(f"message__{group}", "revenue_currency")
        .annotate(total=Sum("revenue"))
        .order_by("revenue_currency")
    )
    for row in revenue:
        result[str(row[f"message__{group}"])].revenue.append(
            Money(row["total"], row["revenue_currency"])
        )
    return result


def message_engagement(message_ids: Iterable[int]) -> dict[int, Engagement]:
    """Each message's funnel (sent is 0 or 1), by message pk."""
    messages = Message.objects.filter(pk__in=list(message_ids), direction=Direction.OUTBOUND)
    return {int(key): value for key, value in _funnel(messages, "pk").items()}


def campaign_engagement(limit: int = 20) -> list[Engagement]:
    """The funnel of each campaign key, the most recently sent campaigns first."""
    keys = list(
        TrackedMessage.objects.filter(campaign_key__isnull=False)
        .values("campaign_key")
        .annotate(last=Max("message__created_at"))
        .order_by("-last", "campaign_key")
        .values_list("campaign_key", flat=True)[:limit]
    )
    messages = Message.objects.filter(tracking__campaign_key__in=keys)
    funnel = _funnel(messages, "tracking__campaign_key")
    return [funnel[key] for key in keys if key in funnel]


def customer_message_events(customer_id: int) -> QuerySet[MessageEvent]:
    """A customer's first open and first click of each message, newest first: their lines
    on the timeline."""
    return (
        MessageEvent.objects.filter(customer_id=customer_id, is_first=True)
        .select_related("message")
        .order_by("-at", "-pk")
    )


def message_event_title(event: MessageEvent) -> str:
    subject = event.message.subject or event.message.get_channel_display()
    if event.kind == MessageEventKind.CLICK:
        return _("Clicked a link in “%(subject)s”") % {"subject": subject}
    return _("Opened “%(subject)s”") % {"subject": subject}
