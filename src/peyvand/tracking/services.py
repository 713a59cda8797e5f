"""Every write of the tracking app: sites (audited), the ingest of one batch from the
snippet, identity links and the stitching that follows them.

The ingest is the hot path: a batch is validated before anything is written, then one
transaction finds the visitor, cuts the events into sessions and writes all events with one
INSERT (COPY on PostgreSQL for large batches)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from peyvand.audit.services import copy_text, record
from peyvand.channels.inbox.models import Message
from peyvand.core.problems import ServiceError
from peyvand.core.ratelimit import take_slot
from peyvand.customers.models import Customer
from peyvand.marketing.choices import Source
from peyvand.marketing.services import notify_customer_changed
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order
from peyvand.tracking.bots import device_of, is_bot_agent, too_fast
from peyvand.tracking.choices import EventType, IdentitySource, MessageEventKind
from peyvand.tracking.events import message_responded
from peyvand.tracking.models import (
    Event,
    IdentityLink,
    MessageEvent,
    TrackedMessage,
    TrackedSite,
    Visitor,
    WebSession,
)
from peyvand.tracking.schemas import AnonymousId, BatchIn, EventIn

SESSION_GAP = dt.timedelta(minutes=30)
# A browser's queue older than this is not news any more: older times are clamped to it.
MAX_EVENT_AGE = dt.timedelta(days=7)
# From this many events on, PostgreSQL gets them by COPY rather than one INSERT.
COPY_THRESHOLD = 100
NULL = "\\N"  # COPY's text-format NULL
IDENTIFY_SALT = "peyvand.tracking.identify"
# The query parameter a tracked link adds to a tracked site's URL: an identify token the
# snippet sends back from the landing page (peyvand.js).
IDENTIFY_PARAM = "pv_id"
# The snippet's first-party id cookie (peyvand.js).
VISITOR_COOKIE = "peyvand_aid"
_ANONYMOUS_ID: TypeAdapter[str] = TypeAdapter(AnonymousId)
UTM = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_EVENT_COLUMNS = (
    "site_id",
    "anonymous_id",
    "session_id",
    "customer_id",
    "type",
    "name",
    "url",
    "referrer",
    "properties",
    "occurred_at",
    "received_at",
    "is_bot",
)


# --- sites ------------------------------------------------------------------------------


def normalise_origin(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(
            _("“%(origin)s” is not an origin like https://shop.example.") % {"origin": value},
            field="allowed_origins",
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


@transaction.atomic
def save_site(site: TrackedSite, *, origins: Iterable[str], actor: Any) -> TrackedSite:
    """Create or change a site (audited). ServiceError for a bad origin; nothing written."""
    cleaned = sorted({normalise_origin(origin) for origin in origins if origin.strip()})
    with record(site, actor=actor):
        site.allowed_origins = cleaned
        if site.created_by_id is None and getattr(actor, "pk", None):
            site.created_by = actor
        site.full_clean(exclude=["key", "created_by"])
        site.save()
    return site


def origin_allowed(site: TrackedSite, origin: str, *, own_host: str) -> bool:
    """A browser may post from the site's allowed origins, and from the CRM's own pages
    (the test page)."""
    if not origin:
        return True  # not a cross-origin browser request (server to server, curl)
    try:
        normalised = normalise_origin(origin)
    except ServiceError:
        return False
    return normalised in site.allowed_origins or urlsplit(normalised).netloc == own_host


def take_rate_slot(site: TrackedSite, client: str) -> int:
    """Count one batch from this client to this site in the current fixed window: 0 when
    allowed, else the seconds to wait. In Django's cache, so all web processes share it."""
    count, _sep, seconds = settings.PEYVAND_TRACKING_RATE.partition("/")
    return take_slot(f"tracking:{site.pk}:{client}", limit=int(count), window=int(seconds or 60))


# --- identity ---------------------------------------------------------------------------


def issue_identify_token(site: TrackedSite, customer: Customer) -> str:
    """What the CRM gives a page that knows who its visitor is (portal sign-in, a form's
    answer, a chat): the snippet's identify(token) proves it with this, for this site only."""
    return signing.dumps({"s": site.key, "c": customer.pk}, salt=IDENTIFY_SALT, compress=True)


def customer_of_token(site: TrackedSite, token: str) -> Customer:
    """The customer a token names. ServiceError when it is forged, expired, or was issued
    for another site: a browser cannot claim somebody else."""
    try:
        claim = signing.loads(
            token, salt=IDENTIFY_SALT, max_age=settings.PEYVAND_TRACKING_TOKEN_AGE
        )
    except signing.BadSignature as exc:
        raise ServiceError(
            _("The identify token is not valid; the visitor was not identified."),
            field="token",
            code="bad_token",
        ) from exc
    if not isinstance(claim, dict) or claim.get("s") != site.key:
        raise ServiceError(
            _("The identify token belongs to another site."), field="token", code="foreign_token"
        )
    customer = Customer.objects.alive().filter(pk=claim.get("c"), merged_into=None).first()
    if customer is None:
        raise ServiceError(
            _("The identify token names no customer of this CRM."),
            field="token",
            code="unknown_customer",
        )
    return customer


@transaction.atomic
def link_identity(
    site: TrackedSite, anonymous_id: str, customer: Customer, *, source: str
) -> IdentityLink:
    """Say that this browser is this customer (audited), and back-fill its earlier events,
    sessions and visitor with one UPDATE each. The same customer on another device gets
    another link, so all their devices add up on one profile. A browser someone else
    identifies on later (a shared computer) is theirs from then on; what happened before
    stays with the first customer."""
    link = (
        IdentityLink.objects.select_for_update()
        .filter(site=site, anonymous_id=anonymous_id)
        .first()
    )
    if link is not None and link.customer_id == customer.pk:
        return link
    link = link or IdentityLink(site=site, anonymous_id=anonymous_id)
    with record(link, actor=None, customer_id=customer.pk):
        link.customer, link.source = customer, source
        link.save()
    Visitor.objects.filter(site=site, anonymous_id=anonymous_id).update(customer=customer)
    Event.objects.filter(site=site, anonymous_id=anonymous_id, customer__isnull=True).update(
        customer=customer
    )
    WebSession.objects.filter(
        visitor__site=site, visitor__anonymous_id=anonymous_id, customer__isnull=True
    ).update(customer=customer)
    return link


def identify_visitor(
    anonymous_id: str, customer: Customer, *, source: str, site: TrackedSite | None = None
) -> int:
    """For other apps (portal sign-in, chat, web forms) that learn who a browser is: link
    the anonymous id on `site`, or on every site that has seen it. Returns the links made."""
    sites = (
        [site]
        if site is not None
        else list(TrackedSite.objects.filter(visitors__anonymous_id=anonymous_id).distinct())
    )
    for each in sites:
        link_identity(each, anonymous_id, customer, source=source)
    return len(sites)


# --- ingest -----------------------------------------------------------------------------


@dataclass
class IngestResult:
    accepted: int
    is_bot: bool
    customer_id: int | None


def _times(batch: BatchIn, received: dt.datetime) -> list[dt.datetime]:
    skew = (received - batch.sent_at) if batch.sent_at is not None else dt.timedelta(0)
    oldest = received - MAX_EVENT_AGE
    times = []
    for event in batch.events:
        at = event.occurred_at + skew if event.occurred_at is not None else received
        times.append(min(max(at, oldest), received))
    return times


def _new_session(
    site: TrackedSite, visitor: Visitor, event: EventIn, at: dt.datetime, device: str
) -> WebSession:
    query = parse_qs(urlsplit(event.url).query)
    utm = {name: (query.get(name) or [""])[0][:100] for name in UTM}
    return WebSession(
        site=site,
        visitor=visitor,
        customer_id=visitor.customer_id,
        started_at=at,
        last_event_at=at,
        landing_url=event.url,
        referrer=event.referrer,
        device=device,
        **utm,
    )


_COUNTER_SLOTS: dict[str, int] = {
    EventType.PAGE_VIEW: 1,
    EventType.PRODUCT_VIEW: 2,
    EventType.ADD_TO_CART: 3,
}


def _sessions_for(
    site: TrackedSite,
    visitor: Visitor,
    events: list[EventIn],
    times: list[dt.datetime],
    device: str,
) -> list[WebSession | None]:
    """The session of each event: the visitor's open one, or new ones after each gap of
    SESSION_GAP. New sessions are inserted in one statement, changed ones updated."""
    current = (
        WebSession.objects.filter(visitor=visitor).order_by("-last_event_at").first()
        if visitor.pk is not None
        else None
    )
    existing = current
    existing_touched = False
    touched: list[WebSession] = []
    result: list[WebSession | None] = [None] * len(events)
    # Counted per session in plain ints and written to the instances once at the end: a
    # batch is up to 500 events, and attribute access on model instances is not free.
    counts: dict[int, list[int]] = {}  # id(session) -> [events, page views, product, cart]
    for index in sorted(range(len(events)), key=times.__getitem__):
        event, at = events[index], times[index]
        if current is None or at - current.last_event_at > SESSION_GAP:
            if event.type == EventType.IDENTIFY:
                continue  # saying who one is is not a visit; it joins a visit under way only
            current = _new_session(site, visitor, event, at, device)
            touched.append(current)
            counts[id(current)] = [0, 0, 0, 0]
        elif current is existing and not existing_touched:
            existing_touched = True
            touched.append(current)
            counts[id(current)] = [0, 0, 0, 0]
        if at > current.last_event_at:
            current.last_event_at = at
        tally = counts[id(current)]
        tally[0] += 1
        slot = _COUNTER_SLOTS.get(event.type)
        if slot:
            tally[slot] += 1
        result[index] = current
    for session in touched:
        tally = counts[id(session)]
        session.events += tally[0]
        session.page_views += tally[1]
        session.product_views += tally[2]
        session.cart_adds += tally[3]
    fresh = [session for session in touched if session.pk is None]
    if fresh:
        WebSession.objects.bulk_create(fresh)
    fresh_ids = {id(session) for session in fresh}
    for session in touched:
        if session.pk is not None and id(session) not in fresh_ids:
            session.save(
                update_fields=[
                    "last_event_at",
                    "events",
                    "page_views",
                    "product_views",
                    "cart_adds",
                ]
            )
    return result


_UPSERT_VISITOR = """
INSERT INTO tracking_visitor (site_id, anonymous_id, customer_id, first_seen, last_seen, is_bot)
VALUES (%s, %s, NULL, %s, %s, %s)
ON CONFLICT (site_id, anonymous_id) DO UPDATE SET
  last_seen = CASE WHEN excluded.last_seen > tracking_visitor.last_seen
                   THEN excluded.last_seen ELSE tracking_visitor.last_seen END,
  is_bot = tracking_visitor.is_bot OR excluded.is_bot
RETURNING id, customer_id, is_bot
"""


def _visitor(
    site: TrackedSite, anonymous_id: str, first: dt.datetime, last: dt.datetime, is_bot: bool
) -> Visitor:
    """The browser's visitor row, created or brought up to date in one statement (an
    upsert, so two batches of a new browser at once cannot both create it). Its customer
    is the one its identity link gave it."""
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_VISITOR, [site.pk, anonymous_id, adapt(first), adapt(last), is_bot])
        pk, customer_id, bot = cursor.fetchone()
    return Visitor(
        pk=pk, site=site, anonymous_id=anonymous_id, customer_id=customer_id, is_bot=bool(bot)
    )


def _write_events(rows: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD:
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(Event._meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in _EVENT_COLUMNS),
        )
        # The columns every row of a batch shares are formatted once.
        stamps: dict[Any, str] = {}

        def stamp(moment: dt.datetime) -> str:
            text = stamps.get(moment)
            if text is None:
                text = stamps[moment] = moment.isoformat()
            return text

        text = "".join(
            f"{site}\t{copy_text(anon)}\t{NULL if session is None else session}\t"
            f"{NULL if customer is None else customer}\t{kind}\t{copy_text(name)}\t"
            f"{copy_text(url)}\t{copy_text(referrer)}\t{copy_text(properties)}\t"
            f"{occurred.isoformat()}\t{stamp(received)}\t{'t' if bot else 'f'}\n"
            for (
                site,
                anon,
                session,
                customer,
                kind,
                name,
                url,
                referrer,
                properties,
                occurred,
                received,
                bot,
            ) in rows
        )
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            copy.write(text.encode())
        return
    Event.objects.bulk_create(
        [
            Event(
                site_id=site,
                anonymous_id=anon,
                session_id=session,
                customer_id=customer,
                type=kind,
                name=name,
                url=url,
                referrer=referrer,
                properties=json.loads(properties),
                occurred_at=occurred,
                received_at=received,
                is_bot=bot,
            )
            for (
                site,
                anon,
                session,
                customer,
                kind,
                name,
                url,
                referrer,
                properties,
                occurred,
                received,
                bot,
            ) in rows
        ]
    )


def ingest_batch(site: TrackedSite, batch: BatchIn, *, user_agent: str = "") -> IngestResult:
    """Store one validated batch from one browser. Identify tokens are checked first: a bad
    one refuses the whole batch (ServiceError) and nothing is stored. Bot traffic is stored
    flagged, without sessions, so it is counted but never reaches a profile."""
    received = timezone.now()
    identified: Customer | None = None
    for event in batch.events:
        if event.type == EventType.IDENTIFY:
            if not event.token:
                raise ServiceError(
                    _("An identify event needs the token the CRM issued."),
                    field="token",
                    code="missing_token",
                )
            identified = customer_of_token(site, event.token)
    times = _times(batch, received)
    page_views = [t for e, t in zip(batch.events, times, strict=True) if e.type == "page_view"]
    is_bot = batch.webdriver or is_bot_agent(user_agent) or too_fast(page_views)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Click-stream, not money: acknowledging a batch does not wait for the WAL flush
            # (a crash may lose the last fraction of a second of batches, never half of one).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        visitor = _visitor(site, batch.anonymous_id, min(times), max(times), is_bot)
        is_bot = visitor.is_bot
        sessions: list[WebSession | None] = (
            [None] * len(batch.events)
            if is_bot
            else list(_sessions_for(site, visitor, batch.events, times, device_of(user_agent)))
        )
        customer_id = visitor.customer_id
        rows = [
            (
                site.pk,
                batch.anonymous_id,
                session.pk if session is not None else None,
                customer_id,
                event.type,
                event.name,
                event.url,
                event.referrer,
                json.dumps(event.properties, ensure_ascii=False) if event.properties else "{}",
                at,
                received,
                is_bot,
            )
            for event, at, session in zip(batch.events, times, sessions, strict=True)
        ]
        _write_events(rows)
        if identified is not None and not is_bot:
            link_identity(site, batch.anonymous_id, identified, source=IdentitySource.TOKEN)
            customer_id = identified.pk
        if customer_id is not None and not is_bot:
            notify_customer_changed(customer_id, Source.EVENTS)
    return IngestResult(accepted=len(rows), is_bot=is_bot, customer_id=customer_id)


# --- message engagement -----------------------------------------------------------------


def set_campaign_key(message_ids: Iterable[int], campaign_key: str) -> int:
    """Group messages under a campaign in the engagement reports (and in their links'
    utm_campaign); one statement whatever the number of messages. Call it in the
    transaction that queues them, before the worker sends them."""
    ids = list(message_ids)
    TrackedMessage.objects.bulk_create(
        [TrackedMessage(message_id=pk, campaign_key=campaign_key) for pk in ids],
        update_conflicts=True,
        unique_fields=["message"],
        update_fields=["campaign_key"],
    )
    return len(ids)


def record_message_event(
    message_id: int, kind: str, *, user_agent: str, link_position: int | None = None
) -> MessageEvent | None:
    """Store an open or a click of an outbound message (None when the message is gone).
    The first one by a person is marked first (the customer timeline shows it); a second
    one racing it loses the unique constraint and is stored as a repeat."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None:
        return None
    event = MessageEvent(
        message=message,
        customer_id=message.conversation.customer_id,
        kind=kind,
        link_position=link_position,
        device=device_of(user_agent),
        is_bot=is_bot_agent(user_agent),
    )
    if (
        not event.is_bot
        and not MessageEvent.objects.filter(message=message, kind=kind, is_first=True).exists()
    ):
        try:
            with transaction.atomic():
                event.is_first = True
                event.save()
            if kind == MessageEventKind.CLICK:
                message_responded.send(
                    sender=MessageEvent, kind="click", responses=[(message.pk, event.at)]
                )
            return event
        except IntegrityError:
            event.pk, event.is_first = None, False
    event.save()
    return event


def site_for_url(url: str) -> TrackedSite | None:
    """The active tracked site whose pages the URL is on."""
    try:
        origin = normalise_origin(url)
    except ServiceError:
        return None
    # A handful of sites: JSON containment is not portable (SQLite has none), a scan is cheap.
    return next(
        (s for s in TrackedSite.objects.filter(is_active=True) if origin in s.allowed_origins),
        None,
    )


def _is_anonymous_id(value: str) -> bool:
    # A cookie is whatever the browser says: only an id the snippet could have made counts.
    try:
        _ANONYMOUS_ID.validate_python(value)
    except PydanticValidationError:
        return False
    return True


def stitch_click(destination: str, customer_id: int | None, *, anonymous_id: str = "") -> str:
    """Join the visit a click starts to the customer's click-stream. If the destination is
    a tracked site, the browser's id the request carries (a site on the CRM's own host) is
    linked at once, and the URL gets `pv_id`, an identify token the snippet hands back on
    landing (a site on another domain, whose id the CRM never sees). Returns the URL to
    send the browser to."""
    if customer_id is None:
        return destination
    site = site_for_url(destination)
    customer = Customer.objects.alive().filter(pk=customer_id, merged_into=None).first()
    if site is None or customer is None:
        return destination
    if anonymous_id and _is_anonymous_id(anonymous_id):
        link_identity(site, anonymous_id, customer, source=IdentitySource.MESSAGE_LINK)
    parts = urlsplit(destination)
    token = f"{IDENTIFY_PARAM}={issue_identify_token(site, customer)}"
    query = f"{parts.query}&{token}" if parts.query else token
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def record_conversions(
    *, order_ids: Iterable[int] | None = None, since: dt.datetime | None = None
) -> int:
    """Turn orders into conversions of the message whose link the customer clicked last
    within the attribution window before ordering: one SELECT (a subquery picks each
    order's last click) and one bulk INSERT, idempotent (an order converts once). Returns
    the conversions written."""
    window = dt.timedelta(days=settings.PEYVAND_ATTRIBUTION_WINDOW_DAYS)
    clicks = MessageEvent.objects.filter(
        kind=MessageEventKind.CLICK,
        is_bot=False,
        customer_id=OuterRef("customer_id"),
        at__lte=OuterRef("ordered_at"),
        at__gte=ExpressionWrapper(
            OuterRef("ordered_at") - Value(window), output_field=DateTimeField()
        ),
    ).order_by("-at", "-pk")
    orders = (
        Order.objects.filter(deleted_at__isnull=True)
        .exclude(status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
        .exclude(Exists(MessageEvent.objects.filter(order=OuterRef("pk"))))
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=list(order_ids))
    if since is not None:
        orders = orders.filter(ordered_at__gte=since)
    rows = (
        orders.annotate(
            click_message=Subquery(clicks.values("message_id")[:1]),
            click_position=Subquery(clicks.values("link_position")[:1]),
        )
        .filter(click_message__isnull=False)
        .values_list(
            "pk",
            "customer_id",
            "total",
            "total_currency",
            "ordered_at",
            "click_message",
            "click_position",
        )
    )
    events = [
        MessageEvent(
            message_id=message_id,
            customer_id=customer_id,
            kind=MessageEventKind.CONVERSION,
            link_position=position,
            at=ordered_at,
            order_id=order_id,
            revenue=Money(total, currency),
        )
        for order_id, customer_id, total, currency, ordered_at, message_id, position in rows
    ]
    created = MessageEvent.objects.bulk_create(events, ignore_conflicts=True)
    if events:
        message_responded.send(
            sender=MessageEvent,
            kind="conversion",
            responses=[(event.message_id, event.at) for event in events],
        )
    return len(created)
