"""Every consent and deliverability change of marketing: double opt-in, the preference
centre, the suppression list kept by staff, and what delivery reports (bounces, spam
complaints) do to an address. Consent itself is always written by
`customers.services.set_consent`, so each decision is audited with its source and time.

Functions take `now` so tests move the clock themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import record
from peyvand.channels.email.services import send_email
from peyvand.core.ratelimit import take_slot
from peyvand.core.text import normalize_email
from peyvand.customers.choices import Channel, ConsentPurpose, ConsentStatus, ContactKind
from peyvand.customers.models import Consent, ContactPoint, Customer
from peyvand.customers.services import create_customer, normalize_contact, set_consent
from peyvand.marketing.choices import SuppressionReason
from peyvand.marketing.consent.reports import (
    COMPLAINT,
    DELIVERED,
    HARD,
    SOFT,
    Report,
    parse_report,
)
from peyvand.marketing.models import BounceRecord, SubscriptionRequest, Suppression
from peyvand.portal.signin import Address, RateLimited, address_key

log = logging.getLogger(__name__)

SOURCE_DOUBLE_OPT_IN = "double opt-in"
SOURCE_PREFERENCE_CENTRE = "preference centre"
SOURCE_BOUNCE = "hard bounce"
SOURCE_COMPLAINT = "spam complaint"
# The topics a subscribe form offers; service and profiling are not subscribed to.
SUBSCRIBE_TOPICS = [ConsentPurpose.NEWSLETTER, ConsentPurpose.MARKETING]
# The channels and topics the preference centre decides on.
PREFERENCE_CHANNELS = [Channel.EMAIL, Channel.SMS]
PREFERENCE_TOPICS = list(ConsentPurpose)
SUPPRESSION_CHANNELS = {Channel.EMAIL: ContactKind.EMAIL, Channel.SMS: ContactKind.PHONE}
# (limit, window in seconds) per bucket.
SUBSCRIBES_PER_ADDRESS = (3, 60 * 60)
SUBSCRIBES_PER_CLIENT = (20, 60 * 60)
CONFIRM_SALT = "peyvand.marketing.opt-in"
PREFERENCE_SALT = "peyvand.marketing.preferences"
MAX_IMPORT_ROWS = 50_000


# --- double opt-in ------------------------------------------------------------------------


def _email(text: Any, field_name: str = "email") -> str:
    try:
        return normalize_contact(ContactKind.EMAIL, text)[1]
    except ValidationError as exc:
        raise ValidationError({field_name: exc.messages}) from None


def _topics(topics: Iterable[Any]) -> list[str]:
    chosen = sorted({str(t) for t in topics})
    if not chosen:
        return [ConsentPurpose.NEWSLETTER]
    if any(t not in SUBSCRIBE_TOPICS for t in chosen):
        raise ValidationError({"topics": [_("Choose topics from the list.")]})
    return chosen


def _throttle(bucket: str, key: str, rule: tuple[int, int], now: dt.datetime) -> None:
    wait = take_slot(f"opt-in-{bucket}:{key}", limit=rule[0], window=rule[1], at=now)
    if wait:
        raise RateLimited(wait)


def confirm_url(request_id: int) -> str:
    token = signing.dumps({"r": request_id}, salt=CONFIRM_SALT, compress=True)
    return f"{settings.PEYVAND_PUBLIC_URL}{reverse('marketing:consent:confirm', args=[token])}"


def _customer_for(address: str) -> Customer | None:
    # The oldest alive customer with this address, as sign-in and inbound email pick it.
    point = (
        ContactPoint.objects.filter(
            kind=ContactKind.EMAIL, normalized=address, customer__deleted_at__isnull=True
        )
        .select_related("customer")
        .order_by("customer_id", "pk")
        .first()
    )
    return point.customer if point else None


def subscribe(
    address: Any,
    *,
    topics: Iterable[Any] = (),
    language: str = "fa",
    client: str = "",
    now: dt.datetime | None = None,
) -> SubscriptionRequest:
    """Record a pending subscription and email its confirmation link. The caller learns
    nothing about whether the address is on file or already subscribed: the answer and
    the email are the same. Asking again while a request is pending reuses it (topics
    added), so repeating the form does not pile up requests. RateLimited when asked too
    often, per address and per client, alike for every address."""
    when = now or timezone.now()
    email_address = _email(address)
    chosen = _topics(topics)
    language = language if language in dict(settings.LANGUAGES) else "fa"
    if client:
        _throttle("client", client, SUBSCRIBES_PER_CLIENT, when)
    _throttle(
        "address",
        address_key(Address(ContactKind.EMAIL, email_address)),
        SUBSCRIBES_PER_ADDRESS,
        when,
    )
    with transaction.atomic():
        pending = (
            SubscriptionRequest.objects.select_for_update()
            .filter(
                channel=Channel.EMAIL,
                address=email_address,
                confirmed_at__isnull=True,
                expires_at__gt=when,
            )
            .first()
        )
        lifetime = dt.timedelta(hours=settings.PEYVAND_OPT_IN_LINK_HOURS)
        if pending is None:
            pending = SubscriptionRequest.objects.create(
                channel=Channel.EMAIL,
                address=email_address,
                topics=chosen,
                language=language,
                created_at=when,
                expires_at=when + lifetime,
            )
        else:
            pending.topics = sorted(set(pending.topics) | set(chosen))
            pending.language, pending.expires_at = language, when + lifetime
            pending.save(update_fields=["topics", "language", "expires_at"])
        try:
            _send_confirmation(pending)
        except ValidationError as exc:
            # No sending identity set up: the asker must not learn it, the operator does.
            log.warning("opt-in confirmation to request %s not sent: %s", pending.pk, exc)
    return pending


def _send_confirmation(pending: SubscriptionRequest) -> None:
    hours = settings.PEYVAND_OPT_IN_LINK_HOURS
    with translation.override(pending.language):
        topics = ", ".join(str(ConsentPurpose(t).label) for t in pending.topics)
        send_email(
            _customer_for(pending.address),
            actor=None,
            to=pending.address,
            language=pending.language,
            secret=True,
            subject=_("Please confirm your subscription"),
            body=_(
                "Someone, probably you, asked to receive %(topics)s by email at this "
                "address.\n\nTo confirm, open this link: %(link)s\n\n"
                "It works for %(hours)d hours. If you did not ask, ignore this message and "
                "nothing will be sent to you."
            )
            % {"topics": topics, "link": confirm_url(pending.pk), "hours": hours},
        )


def _bad_link() -> ValidationError:
    return ValidationError(_("This link is not valid or has expired. Please subscribe again."))


def confirm_subscription(token: str, *, now: dt.datetime | None = None) -> SubscriptionRequest:
    """Grant the requested topics on email (source "double opt-in", the time of the
    confirmation), creating the customer if the address is new. Confirming again changes
    nothing. A forged, expired or unknown link is a ValidationError and changes nothing."""
    when = now or timezone.now()
    max_age = settings.PEYVAND_OPT_IN_LINK_HOURS * 3600
    try:
        claim = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
        request_id = int(claim["r"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise _bad_link() from None
    with transaction.atomic():
        pending = SubscriptionRequest.objects.select_for_update().filter(pk=request_id).first()
        if pending is None:
            raise _bad_link()
        if pending.confirmed_at is not None:
            return pending
        if pending.expires_at <= when:
            raise _bad_link()
        customer = _customer_for(pending.address) or create_customer(
            actor=None,
            display_name=pending.address,
            preferred_language=pending.language,
            contact_points=[{"kind": ContactKind.EMAIL, "value": pending.address}],
        )
        for topic in pending.topics:
            set_consent(
                customer,
                actor=None,
                channel=Channel.EMAIL,
                purpose=topic,
                status=ConsentStatus.GRANTED,
                source=SOURCE_DOUBLE_OPT_IN,
                recorded_at=when,
            )
        # A confirmed opt-in undoes an earlier unsubscribe, never a bounce or a complaint.
        for lifted in Suppression.objects.filter(
            channel=Channel.EMAIL, address=pending.address, reason=SuppressionReason.UNSUBSCRIBED
        ):
            _delete_suppression(lifted, actor=None)
        pending.confirmed_at, pending.customer = when, customer
        pending.save(update_fields=["confirmed_at", "customer"])
    return pending


# --- preference centre --------------------------------------------------------------------


def preference_token(customer: Customer) -> str:
    return signing.dumps({"c": customer.pk}, salt=PREFERENCE_SALT, compress=True)


def preference_url(customer: Customer) -> str:
    """The customer's own preference centre, for the footer of every marketing email;
    it needs no sign-in and works for PEYVAND_PREFERENCE_LINK_DAYS."""
    path = reverse("marketing:consent:preferences", args=[preference_token(customer)])
    return f"{settings.PEYVAND_PUBLIC_URL}{path}"


def customer_for_preference_token(token: str) -> Customer:
    """ValidationError for a forged or expired link, or a customer no longer on file."""
    max_age = settings.PEYVAND_PREFERENCE_LINK_DAYS * 86400
    try:
        claim = signing.loads(token, salt=PREFERENCE_SALT, max_age=max_age)
        customer_id = int(claim["c"])
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired. Use the link in a newer email from us.")
        ) from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This link is not valid.")) from None
    customer = Customer.objects.alive().filter(pk=customer_id).first()
    if customer is None:
        raise ValidationError(_("This link is not valid."))
    return customer


def default_status(purpose: str) -> str:
    """No decision on file: service messages are allowed, the others are not."""
    return ConsentStatus.GRANTED if purpose == ConsentPurpose.SERVICE else ConsentStatus.WITHDRAWN


@transaction.atomic
def save_preferences(
    customer: Customer,
    choices: Mapping[tuple[str, str], bool],
    *,
    source: str = SOURCE_PREFERENCE_CENTRE,
    channels: Iterable[str] = PREFERENCE_CHANNELS,
    topics: Iterable[str] = PREFERENCE_TOPICS,
    now: dt.datetime | None = None,
) -> int:
    """Record each (channel, topic) decision that differs from the one on file, through
    set_consent with `source`; returns how many changed. A channel or topic outside the
    lists refuses the whole change."""
    allowed_channels, allowed_topics = set(channels), set(topics)
    if any(c not in allowed_channels or p not in allowed_topics for c, p in choices):
        raise ValidationError(_("Choose a channel and a purpose from the list."))
    current = {(c.channel, c.purpose): c.status for c in Consent.objects.filter(customer=customer)}
    changed = 0
    for (channel, purpose), granted in choices.items():
        status = ConsentStatus.GRANTED if granted else ConsentStatus.WITHDRAWN
        if current.get((channel, purpose), default_status(purpose)) == status:
            continue
        set_consent(
            customer,
            actor=None,
            channel=channel,
            purpose=purpose,
            status=status,
            source=source,
            recorded_at=now,
        )
        changed += 1
    return changed


# --- suppression list ---------------------------------------------------------------------


def normalize_suppressed(channel: Any, address: Any) -> tuple[str, str]:
    """(channel, normalised address) or a ValidationError naming the bad field."""
    channel = str(channel or "").strip().lower()
    kind = SUPPRESSION_CHANNELS.get(channel)  # type: ignore[call-overload]
    if kind is None:
        raise ValidationError({"channel": [_("Choose email or SMS.")]})
    try:
        return channel, normalize_contact(kind, address)[1]
    except ValidationError as exc:
        raise ValidationError({"address": exc.messages}) from None


@transaction.atomic
def add_suppression(
    channel: Any,
    address: Any,
    *,
    reason: str = SuppressionReason.MANUAL,
    source: str = "",
    actor: Any,
) -> tuple[Suppression, bool]:
    """Put an address on the list (normalised); returns (row, created). An address
    already listed keeps its first reason: a bounce stays a bounce."""
    channel, normalised = normalize_suppressed(channel, address)
    if reason not in SuppressionReason.values:
        raise ValidationError({"reason": [_("Choose a reason.")]})
    source = str(source or "").strip()
    if len(source) > 200:
        raise ValidationError({"source": [_("Keep this under 200 characters.")]})
    existing = Suppression.objects.filter(channel=channel, address=normalised).first()
    if existing is not None:
        return existing, False
    kind = SUPPRESSION_CHANNELS[channel]  # type: ignore[index]
    point = (
        ContactPoint.objects.filter(
            kind=kind, normalized=normalised, customer__deleted_at__isnull=True
        )
        .order_by("customer_id", "pk")
        .first()
    )
    row = Suppression(
        channel=channel,
        address=normalised,
        reason=reason,
        source=source,
        customer_id=point.customer_id if point else None,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    try:
        with transaction.atomic(), record(row, actor=actor):
            row.save()
    except IntegrityError:  # listed a moment ago by a concurrent report or import
        return Suppression.objects.get(channel=channel, address=normalised), False
    return row, True


def _delete_suppression(row: Suppression, *, actor: Any) -> None:
    with record(row, actor=actor, action=ChangeAction.DELETE):
        pk = row.pk
        row.delete()
        row.pk = pk  # the change-log row names the deleted row


@transaction.atomic
def remove_suppression(row: Suppression, *, actor: Any) -> None:
    _delete_suppression(row, actor=actor)


@dataclass
class ImportResult:
    added: int = 0
    already: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def import_suppressions(data: bytes, *, actor: Any) -> ImportResult:
    """A CSV with columns `address` and optionally `channel` (default email), `reason`
    (default manual) and `source`. Every bad row is reported with its line number and
    reason, and then nothing is added: all or nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": [_("Save the file as UTF-8 CSV.")]}) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in reader.fieldnames or []]
    if "address" not in headers:
        raise ValidationError({"file": [_("The first line must name an “address” column.")]})
    reader.fieldnames = headers
    rows: list[tuple[int, str, str, str, str]] = []
    result = ImportResult()
    for number, line in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            raise ValidationError(
                {"file": [_("At most %(limit)d rows at a time.") % {"limit": MAX_IMPORT_ROWS}]}
            )
        values = {k: (v or "").strip() for k, v in line.items() if k}
        if not any(values.values()):
            continue
        reason = values.get("reason") or SuppressionReason.MANUAL
        try:
            channel, address = normalize_suppressed(
                values.get("channel") or "email", values.get("address")
            )
            if reason not in SuppressionReason.values:
                raise ValidationError({"reason": [_("Choose a reason.")]})
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                result.errors.append({"line": number, "field": name, "message": " ".join(messages)})
            continue
        rows.append((number, channel, address, reason, values.get("source", "")[:200]))
    if result.errors:
        return result
    with transaction.atomic():
        for _number, channel, address, reason, source in rows:
            _row, created = add_suppression(
                channel, address, reason=reason, source=source or _("CSV import"), actor=actor
            )
            if created:
                result.added += 1
            else:
                result.already += 1
    return result


# --- bounces and complaints ---------------------------------------------------------------


def _withdraw_marketing(address: str, *, when: dt.datetime) -> None:
    for point in ContactPoint.objects.filter(
        kind=ContactKind.EMAIL, normalized=address, customer__deleted_at__isnull=True
    ).select_related("customer"):
        for purpose in (ConsentPurpose.MARKETING, ConsentPurpose.NEWSLETTER):
            status = (
                Consent.objects.filter(
                    customer=point.customer, channel=Channel.EMAIL, purpose=purpose
                )
                .values_list("status", flat=True)
                .first()
            )
            if status == ConsentStatus.GRANTED:
                set_consent(
                    point.customer,
                    actor=None,
                    channel=Channel.EMAIL,
                    purpose=purpose,
                    status=ConsentStatus.WITHDRAWN,
                    source=SOURCE_COMPLAINT,
                    recorded_at=when,
                )


@transaction.atomic
def apply_report(report: Report, *, source: str = "", now: dt.datetime | None = None) -> str:
    """What a delivery report does to its address; returns what was done: "suppressed",
    "counted", "reset" or "" (nothing)."""
    when = now or timezone.now()
    address = report.address
    if report.kind == HARD:
        add_suppression(
            Channel.EMAIL,
            address,
            reason=SuppressionReason.HARD_BOUNCE,
            source=(source or SOURCE_BOUNCE) + (f" {report.status}" if report.status else ""),
            actor=None,
        )
        return "suppressed"
    if report.kind == COMPLAINT:
        add_suppression(
            Channel.EMAIL,
            address,
            reason=SuppressionReason.COMPLAINT,
            source=source or SOURCE_COMPLAINT,
            actor=None,
        )
        _withdraw_marketing(address, when=when)
        return "suppressed"
    bounce, _created = BounceRecord.objects.select_for_update().get_or_create(
        channel=Channel.EMAIL, address=address
    )
    if report.kind == DELIVERED:
        if not bounce.soft_bounces:
            return ""
        BounceRecord.objects.filter(pk=bounce.pk).update(
            soft_bounces=0, last_status=report.status[:16], last_event_at=when
        )
        return "reset"
    if report.kind != SOFT:
        return ""
    BounceRecord.objects.filter(pk=bounce.pk).update(
        soft_bounces=F("soft_bounces") + 1, last_status=report.status[:16], last_event_at=when
    )
    bounce.refresh_from_db()
    if bounce.soft_bounces >= settings.PEYVAND_SOFT_BOUNCE_LIMIT:
        add_suppression(
            Channel.EMAIL,
            address,
            reason=SuppressionReason.HARD_BOUNCE,
            source=_("%(count)d soft bounces in a row") % {"count": bounce.soft_bounces},
            actor=None,
        )
        return "suppressed"
    return "counted"


# What each normalised event of a provider (django-anymail's tracking webhooks) means.
_ANYMAIL_EVENTS = {
    "bounced": HARD,
    "deferred": SOFT,
    "complained": COMPLAINT,
    "delivered": DELIVERED,
}


def on_provider_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    """django-anymail's `tracking` signal: a provider posted a delivery event. Anymail's
    normalisation decides what is permanent ("bounced") and what is not ("deferred")."""
    kind = _ANYMAIL_EVENTS.get(event.event_type)
    address = normalize_email(event.recipient or "")
    if kind is None or "@" not in address:
        return
    apply_report(Report(kind, address), source=f"{esp_name} {event.event_type}")


def handle_inbound_report(raw: bytes) -> bool:
    """The inbound email hook: True (and each report applied) when `raw` is a DSN or an
    ARF report about a recipient, False for any other email, which goes on to the inbox."""
    reports = parse_report(raw)
    if not reports:
        # A report naming no recipient we can read still reaches staff in the inbox.
        return False
    for report in reports:
        apply_report(report)
    return True
