"""Signed webhooks from gateways and PBXs: HMAC-SHA256 over "timestamp.body".

The sender puts the Unix time in `X-Peyvand-Timestamp` and `v1=<hex HMAC-SHA256 of
"{timestamp}.{raw body}">` in `X-Peyvand-Signature`, with the secret shared per gateway. A
timestamp further than the tolerance from our clock is refused, so a captured request cannot be
replayed later; within the tolerance the handlers are idempotent (by provider id, by call id).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

TIMESTAMP_HEADER = "X-Peyvand-Timestamp"
SIGNATURE_HEADER = "X-Peyvand-Signature"


class BadSignature(Exception):
    pass


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: sign(secret, timestamp, body)}


def verify(request: HttpRequest, secret: str) -> None:
    """Raise BadSignature (with a translated reason) unless the request is signed with
    `secret` at a time within the tolerance."""
    if not secret:
        raise BadSignature(_("No webhook secret is configured."))
    raw_ts = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not raw_ts.isdigit() or not given:
        raise BadSignature(_("The request is not signed."))
    timestamp = int(raw_ts)
    if abs(time.time() - timestamp) > settings.PEYVAND_WEBHOOK_TOLERANCE_SECONDS:
        raise BadSignature(_("The signature's timestamp is too old or in the future."))
    expected = sign(secret, timestamp, request.body)
    # A provider may send several signatures while it rotates secrets.
    if not any(hmac.compare_digest(expected, part.strip()) for part in given.split(",")):
        raise BadSignature(_("The signature does not match."))
