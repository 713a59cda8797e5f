"""The receiving endpoint for providers' inbound-email webhooks, mounted by
peyvand.config.api at /public/email.

The provider posts the raw MIME message; the body is signed with the mailbox's secret:
`X-Peyvand-Timestamp: <unix seconds>` and
`X-Peyvand-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status

from peyvand.channels.email.inbound.ingest import ingest_email
from peyvand.channels.email.inbound.models import Mailbox
from peyvand.core.api.errors import TITLES
from peyvand.core.problems import PROBLEM_CONTENT_TYPE, problem

router = Router(auth=None, tags=["inbound email (public)"])

TIMESTAMP_HEADER = "X-Peyvand-Timestamp"
SIGNATURE_HEADER = "X-Peyvand-Signature"


class Received(Schema):
    status: str
    message_id: str | None = None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _refuse(request: HttpRequest, status: int, detail: str) -> HttpResponse:
    return problem(request, status, str(TITLES.get(status, TITLES[400])), detail=detail)


def _rate_wait(key: str) -> int:
    """Count one post to the mailbox in the current fixed window (shared through the cache);
    0 when allowed, else the seconds until the window ends."""
    limit_text, _sep, window_text = settings.PEYVAND_INBOUND_WEBHOOK_RATE.partition("/")
    limit, window = int(limit_text), max(1, int(window_text or "60"))
    now = time.time()
    slot = int(now // window)
    counter = f"inbound-email-rate:{key}:{slot}"
    cache.add(counter, 0, timeout=window + 1)
    try:
        used = cache.incr(counter)
    except ValueError:
        cache.set(counter, 1, timeout=window + 1)
        used = 1
    return 0 if used <= limit else max(1, int((slot + 1) * window - now))


def _signature_ok(request: HttpRequest, secret: str, body: bytes) -> bool:
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature:
        return False
    if abs(time.time() - int(timestamp)) > settings.PEYVAND_INBOUND_WEBHOOK_TOLERANCE:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())


_PROBLEM = {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


@router.post(
    "/inbound/{key}",
    response={200: Received},
    summary="Receive an inbound email (raw MIME) from a provider",
    url_name="receive_email",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        },
        "responses": {
            code: {"description": description, "content": _PROBLEM}
            for code, description in (
                (400, "The body is empty."),
                (401, "Missing, stale or wrong signature."),
                (404, "No active mailbox has this key."),
                (413, "The message is larger than the limit."),
                (429, "Too many posts to this mailbox; see Retry-After."),
            )
        },
    },
)
def receive_email(request: HttpRequest, key: str) -> Any:
    """Post the message exactly as received (RFC 5322 bytes). Answers `imported`,
    `duplicate` (already stored: a provider's retry is harmless) or `kept_raw` (could not be
    parsed; kept for staff). Signed as described above; the key and secret are on the
    mailbox's page."""
    mailbox = Mailbox.objects.filter(webhook_key=key, is_active=True).first()
    if mailbox is None:
        return _refuse(request, 404, _("No mailbox receives mail at this address."))
    wait = _rate_wait(key)
    if wait:
        response = _refuse(request, 429, _("Too many messages at once; try again later."))
        response["Retry-After"] = str(wait)
        return response
    limit = settings.PEYVAND_INBOUND_EMAIL_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return _refuse(request, 413, _("The message is larger than the limit."))
    # Read the stream directly: request.body would refuse anything above
    # DATA_UPLOAD_MAX_MEMORY_SIZE, and an email with attachments is often larger.
    body = request.read(limit + 1)
    if len(body) > limit:
        return _refuse(request, 413, _("The message is larger than the limit."))
    if not _signature_ok(request, mailbox.webhook_secret, body):
        return _refuse(request, 401, _("The signature is missing, too old or does not match."))
    if not body.strip():
        return _refuse(request, 400, _("The message is empty."))
    result = ingest_email(mailbox, body)
    return Status(
        200,
        {
            "status": result.status,
            "message_id": result.message.message_id if result.message is not None else None,
        },
    )
