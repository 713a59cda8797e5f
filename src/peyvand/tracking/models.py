"""Click-stream storage: the sites that embed the snippet, their anonymous visitors, the
raw events, the sessions cut from them and the links from anonymous ids to customers.

Events are the only large table: append-only, written in bulk (one INSERT or COPY per
batch), read by time range and by anonymous id or customer. PostgreSQL gets a BRIN index
on `received_at` (migration 0002), which stays tiny on an append-only table."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from peyvand.core.models import TimeStampedModel
from peyvand.tracking.choices import Device, EventType, IdentitySource, MessageEventKind

ANONYMOUS_ID_MAX = 64


def new_site_key() -> str:
    # Public (it is in every page's HTML) but unguessable, so nobody posts into a site by
    # counting keys.
    return secrets.token_urlsafe(12)


class TrackedSite(TimeStampedModel):
    """A website that embeds the snippet. The key names it from outside; browsers may post
    only from `allowed_origins` (e.g. "https://shop.example")."""

    access_object_type = "tracking_site"

    name = models.CharField(_("name"), max_length=120)
    key = models.SlugField(_("public key"), max_length=40, unique=True, default=new_site_key)
    allowed_origins = models.JSONField(
        _("allowed origins"),
        default=list,
        blank=True,
        help_text=_("Origins (scheme://host[:port]) whose pages may send events."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("tracked site")
        verbose_name_plural = _("tracked sites")

    def __str__(self) -> str:
        return self.name


class Visitor(models.Model):
    """One browser (first-party anonymous id) on one site."""

    site = models.ForeignKey(TrackedSite, on_delete=models.CASCADE, related_name="visitors")
    anonymous_id = models.CharField(max_length=ANONYMOUS_ID_MAX)
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    is_bot = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "anonymous_id"], name="tracking_visitor_uniq")
        ]

    def __str__(self) -> str:
        return self.anonymous_id


class WebSession(models.Model):
    """Events of one visitor with no gap over the inactivity limit; the campaign fields come
    from the landing page's URL."""

    site = models.ForeignKey(TrackedSite, on_delete=models.CASCADE, related_name="sessions")
    visitor = models.ForeignKey(Visitor, on_delete=models.CASCADE, related_name="sessions")
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="web_sessions"
    )
    started_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    landing_url = models.CharField(max_length=2000, blank=True)
    referrer = models.CharField(max_length=2000, blank=True)
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.UNKNOWN)
    events = models.PositiveIntegerField(default=0)
    page_views = models.PositiveIntegerField(default=0)
    product_views = models.PositiveIntegerField(default=0)
    cart_adds = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["visitor", "-last_event_at"], name="tracking_sess_visitor"),
            models.Index(fields=["customer", "-started_at"], name="tracking_sess_customer"),
            models.Index(fields=["site", "started_at"], name="tracking_sess_site_day"),
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} @ {self.started_at:%Y-%m-%d %H:%M}"


class Event(models.Model):
    """One click-stream event as the browser sent it, plus what the server knows. Bot
    traffic is stored (and counted) with `is_bot` and no session."""

    site = models.ForeignKey(TrackedSite, on_delete=models.CASCADE, related_name="+")
    anonymous_id = models.CharField(max_length=ANONYMOUS_ID_MAX)
    session = models.ForeignKey(WebSession, null=True, on_delete=models.SET_NULL, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    type = models.CharField(_("type"), max_length=20, choices=EventType.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.CharField(_("URL"), max_length=2000, blank=True)
    referrer = models.CharField(_("referrer"), max_length=2000, blank=True)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    occurred_at = models.DateTimeField(_("occurred"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    is_bot = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["site", "anonymous_id"], name="tracking_event_anon"),
            models.Index(fields=["customer", "occurred_at"], name="tracking_event_customer"),
            models.Index(fields=["site", "-received_at"], name="tracking_event_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.url}"


class IdentityLink(models.Model):
    """This anonymous id is this customer (from a signed token, a form or a chat). One
    customer may have many (devices); one anonymous id belongs to one customer."""

    site = models.ForeignKey(TrackedSite, on_delete=models.CASCADE, related_name="+")
    anonymous_id = models.CharField(max_length=ANONYMOUS_ID_MAX)
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="tracking_identities"
    )
    source = models.CharField(max_length=10, choices=IdentitySource.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("identity link")
        constraints = [
            models.UniqueConstraint(fields=["site", "anonymous_id"], name="tracking_identity_uniq")
        ]

    def __str__(self) -> str:
        # The change log's name for it: which browser, not who (that is the customer column).
        return _("Browser %(id)s") % {"id": self.anonymous_id[:12]}


class TrackedMessage(models.Model):
    """What tracking keeps of one outbound message: the destinations of its links (the
    redirect reads them from here, never from the request, so it cannot be made to send
    anyone elsewhere) and the campaign it belongs to, which groups it in the reports."""

    message = models.OneToOneField(
        "comms.Message", primary_key=True, on_delete=models.CASCADE, related_name="tracking"
    )
    # Filled in by whoever queues the message as part of a campaign
    # (`services.set_campaign_key`); messages without one are tracked but not grouped.
    campaign_key = models.CharField(
        _("campaign"), max_length=100, null=True, blank=True, db_index=True
    )
    # Destination URLs (UTM parameters added) by link position in the text.
    links = models.JSONField(default=list, blank=True)

    objects: ClassVar[models.Manager[TrackedMessage]] = models.Manager()

    class Meta:
        verbose_name = _("tracked message")
        verbose_name_plural = _("tracked messages")

    def __str__(self) -> str:
        return f"{self.message_id} {self.campaign_key or ''}".strip()


class MessageEvent(models.Model):
    """An open, a click or a conversion of an outbound message. Bot traffic (link scanners,
    image proxies that announce themselves) is stored flagged and never counted."""

    message = models.ForeignKey(
        "comms.Message", on_delete=models.CASCADE, related_name="engagement_events"
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MessageEventKind.choices)
    link_position = models.PositiveSmallIntegerField(null=True, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    device = models.CharField(max_length=10, choices=Device.choices, default=Device.UNKNOWN)
    is_bot = models.BooleanField(default=False)
    # The customer's first open (or click) of the message by a person: the one the customer
    # timeline shows.
    is_first = models.BooleanField(default=False)
    order = models.ForeignKey(
        "sales.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    revenue: MoneyField[Money | Decimal | None, Money | None] = MoneyField(
        _("revenue"), max_digits=20, decimal_places=2, null=True, blank=True, default_currency=None
    )

    # Declared: django-money's manager patching hides the default one from the type stubs.
    objects: ClassVar[models.Manager[MessageEvent]] = models.Manager()

    class Meta:
        verbose_name = _("message event")
        verbose_name_plural = _("message events")
        indexes = [
            models.Index(fields=["message", "kind"], name="tracking_msgevent_message"),
            models.Index(fields=["customer", "kind", "at"], name="tracking_msgevent_customer"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "kind"],
                condition=models.Q(is_first=True),
                name="tracking_msgevent_first",
            ),
            # An order converts once, for the message whose click came last before it.
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(order__isnull=False),
                name="tracking_msgevent_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.message_id}"
