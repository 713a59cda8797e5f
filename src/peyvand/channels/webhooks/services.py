"""Outbound webhooks for integrators: subscriptions, events into the outbox, delivery.

An event becomes one `WebhookDelivery` row per subscribed endpoint inside the transaction
that caused it, so an event exists exactly when its change was committed. The worker sends
each row after commit, signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`); failures retry with
exponential backoff and end in the dead-letter list, from which staff replay them. Delivery
is at least once: a worker killed after the receiver answered but before the row was marked
sends again with the same webhook-id, which receivers use to drop the repeat.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from collections.abc import Mapping
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.scopes import is_manager
from peyvand.audit.services import record
from peyvand.channels.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from peyvand.core.netguard import resolve_public, validate_public_url
from peyvand.core.retry import MAX_ATTEMPTS, backoff

# Event types integrators can subscribe to; services emit exactly these.
EVENT_TYPES = (
    "customer.created",
    "customer.updated",
    "order.created",
    "lead.created",
    "opportunity.won",
)
TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Peyvand-Webhooks/1"
ENDPOINTS_CACHE_KEY = "webhooks:active-endpoints"
ENDPOINTS_CACHE_SECONDS = 60


def save_endpoint(
    endpoint: WebhookEndpoint, *, url: str, event_types: list[str], description: str, actor: Any
) -> WebhookEndpoint:
    """Create or change a subscription; managers only, public URLs only, audited."""
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may manage webhooks."))
    errors: dict[str, list[str]] = {}
    try:
        validate_public_url(url)
    except ValidationError as exc:
        errors["url"] = exc.messages
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if not event_types or unknown:
        errors["event_types"] = [
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}
            if unknown
            else _("Choose at least one event.")
        ]
    if errors:
        raise ValidationError(errors)
    with record(endpoint, actor=actor):
        endpoint.url, endpoint.event_types, endpoint.description = url, event_types, description
        endpoint.created_by = endpoint.created_by or actor
        endpoint.save()
    return endpoint


def set_endpoint_active(endpoint: WebhookEndpoint, active: bool, *, actor: Any) -> None:
    """Pause or resume a subscription; paused endpoints get no new events. Audited."""
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may manage webhooks."))
    with record(endpoint, actor=actor):
        endpoint.is_active = active
        endpoint.save(update_fields=["is_active"])


def _subscribed_types() -> set[str]:
    """The event types some active endpoint wants, cached: every customer and order change
    asks, and almost always the answer is "none of them". Only this yes/no is cached; the
    endpoints themselves are read fresh, so a stale cache costs a query, never a delivery
    to an endpoint that is gone. Saving or deleting an endpoint clears it."""
    cached = cache.get(ENDPOINTS_CACHE_KEY)
    if cached is None:
        cached = {
            event
            for types in WebhookEndpoint.objects.filter(is_active=True).values_list(
                "event_types", flat=True
            )
            for event in types
        }
        cache.set(ENDPOINTS_CACHE_KEY, cached, ENDPOINTS_CACHE_SECONDS)
    return set(cached)


def forget_endpoints(**_: Any) -> None:
    cache.delete(ENDPOINTS_CACHE_KEY)


def emit(event_type: str, data: Mapping[str, Any]) -> list[WebhookDelivery]:
    """Queue `event_type` for every active endpoint subscribed to it, in the caller's
    transaction; the worker sends them once it commits."""
    assert event_type in EVENT_TYPES, event_type
    if event_type not in _subscribed_types():
        return []
    endpoints = [
        pk
        for pk, types in WebhookEndpoint.objects.filter(is_active=True).values_list(
            "pk", "event_types"
        )
        if event_type in types
    ]
    if not endpoints:
        return []
    # Round-trip through JSON so dates and decimals are stored exactly as they are sent.
    payload = json.loads(
        json.dumps(
            {"type": event_type, "timestamp": timezone.now().isoformat(), "data": dict(data)},
            cls=DjangoJSONEncoder,
        )
    )
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint_id=pk, event_type=event_type, payload=payload)
            for pk in endpoints
        ]
    )
    from peyvand.channels.tasks import deliver_webhook

    for row in rows:
        transaction.on_commit(partial(deliver_webhook.enqueue, row.pk))
    return rows


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to an address checked beforehand, with the certificate checked for the name."""

    def __init__(self, host: str, port: int, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, **kwargs: Any) -> None:
        super().__init__(host, port, **kwargs)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_signed(url: str, secret: str, msg_id: str, body: bytes) -> int:
    """POST `body` to `url` and return the status. Redirects are never followed: a
    receiver that answers 3xx could otherwise point us at an internal address."""
    validate_public_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve_public(host, port)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, msg_id, timestamp, body),
    }
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(host, port, address, timeout=TIMEOUT_SECONDS)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        return response.status
    finally:
        connection.close()


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due; returns its status afterwards. Safe to call twice
    at once: the row is claimed under a lock and moved past the present before sending."""
    now = timezone.now()
    with transaction.atomic():
        row = (
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .select_related("endpoint")
            .filter(
                pk=delivery_id,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                next_attempt_at__lte=now,
            )
            .first()
        )
        if row is None:
            return (
                WebhookDelivery.objects.filter(pk=delivery_id)
                .values_list("status", flat=True)
                .first()
                or ""
            )
        row.attempts += 1
        # Claimed: another worker will not pick it until this attempt's timeout has passed.
        row.next_attempt_at = now + dt.timedelta(seconds=TIMEOUT_SECONDS * 3)
        row.save(update_fields=["attempts", "next_attempt_at"])
    body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
    status_code: int | None = None
    error = ""
    try:
        status_code = post_signed(row.endpoint.url, row.endpoint.secret, str(row.event_id), body)
        if not 200 <= status_code < 300:
            error = _("The receiver answered %(code)s.") % {"code": status_code}
    except ValidationError as exc:
        error = " ".join(exc.messages)
    except (OSError, http.client.HTTPException) as exc:
        error = str(exc) or exc.__class__.__name__
    row.last_status_code, row.last_error = status_code, error[:500]
    if not error:
        row.status, row.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    elif row.attempts >= MAX_ATTEMPTS:
        row.status = DeliveryStatus.DEAD
    else:
        row.status, row.next_attempt_at = (
            DeliveryStatus.RETRYING,
            timezone.now() + backoff(row.attempts),
        )
    row.save(
        update_fields=[
            "status",
            "delivered_at",
            "next_attempt_at",
            "last_status_code",
            "last_error",
        ]
    )
    return row.status


def due_deliveries(limit: int = 500) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
            next_attempt_at__lte=timezone.now(),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def replay(delivery: WebhookDelivery, *, actor: Any) -> WebhookDelivery:
    """Send a dead delivery again from the start (same webhook-id); managers only."""
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may replay webhooks."))
    if delivery.status != DeliveryStatus.DEAD:
        raise ValidationError(_("Only deliveries that gave up can be replayed."))
    delivery.status, delivery.attempts = DeliveryStatus.PENDING, 0
    delivery.next_attempt_at, delivery.last_error = timezone.now(), ""
    delivery.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
    from peyvand.channels.tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.enqueue(delivery.pk))
    return delivery
