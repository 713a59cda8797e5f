"""`Idempotency-Key` on POST: a retried request is answered from the stored response.

The key's row is inserted first, in the same transaction as the work it guards. A
concurrent request with the same key blocks on the unique index until the first one
commits (PostgreSQL) or on the write lock (SQLite), then finds the stored response and
replays it, so the work runs once. Only successful (2xx) responses are stored: a failed
request changes nothing, so retrying it with the same key simply runs it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.core.api.auth import identify
from peyvand.core.api.errors import TITLES, validation_problem
from peyvand.core.models import IdempotencyRecord
from peyvand.core.problems import problem

HEADER = "Idempotency-Key"
TTL = dt.timedelta(hours=24)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

Run = Callable[..., HttpResponseBase]


def fingerprint(request: HttpRequest) -> str:
    """Method, path and body; JSON bodies are canonicalised so key order and spacing
    do not make a retry look like another request."""
    try:
        body = json.dumps(
            json.loads(request.body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    except ValueError:
        body = request.body
    digest = hashlib.sha256()
    for part in (request.method or "").encode(), request.get_full_path().encode(), body:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _replay(request: HttpRequest, record: IdempotencyRecord, fp: str) -> HttpResponse:
    if record.fingerprint != fp:
        return validation_problem(
            request,
            [
                {
                    "field": HEADER,
                    "message": _(
                        "This Idempotency-Key was already used for a different request; "
                        "use a new key."
                    ),
                    "code": "idempotency_key_reused",
                }
            ],
        )
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(run: Run) -> Run:
    """Wraps every operation of the API (ninja "view" mode); acts on keyed POSTs only."""

    @wraps(run)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if request.method != "POST" or key is None:
            return run(request, **kwargs)
        if not _VALID_KEY.match(key):
            return problem(
                request,
                400,
                str(TITLES[400]),
                detail=_("Idempotency-Key must be 1 to 255 visible ASCII characters."),
            )
        user = identify(request)
        if user is None:
            return run(request, **kwargs)  # the operation answers 401
        fp = fingerprint(request)
        now = timezone.now()
        with transaction.atomic():
            IdempotencyRecord.objects.filter(user=user, expires_at__lte=now).delete()
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=user, key=key, fingerprint=fp, created_at=now, expires_at=now + TTL
                    )
            except IntegrityError:
                previous = IdempotencyRecord.objects.filter(user=user, key=key).first()
                if previous is None:  # the other request failed and released the key
                    return problem(
                        request,
                        409,
                        str(TITLES[409]),
                        detail=_("A request with this Idempotency-Key was running; retry."),
                    )
                return _replay(request, previous, fp)
            response = run(request, **kwargs)
            if response.streaming or not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "")
            record.body = response.content  # type: ignore[attr-defined]
            record.save(update_fields=["status_code", "content_type", "body"])
        return response

    return wrapper
