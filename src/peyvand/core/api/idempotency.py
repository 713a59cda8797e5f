"""`Idempotency-Key` on POST: a retried request is answered from the stored response.

The key's row is inserted first, in the same transaction as the work it guards. A
concurrent request with the same key blocks on the unique index until the first one
commits (PostgreSQL) or on the write lock (SQLite), then finds the stored response and
replays it, so the work runs once. Only successful (2xx) responses are stored: a failed
request changes nothing, so retrying it with the same key simply runs it again.

Keys belong to the caller: a staff user (`idempotent`, on every operation of the API) or
whoever another set of operations serves, through `idempotent_for` with its own table
(the portal's customers). The first wrapper that knows the caller handles the key.
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
from peyvand.core.models import IdempotencyRecord, StoredResponse
from peyvand.core.problems import problem

HEADER = "Idempotency-Key"
TTL = dt.timedelta(hours=24)
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")

Run = Callable[..., HttpResponseBase]
# The table a caller's keys live in and the fields that name the caller there.
Owner = tuple[type[StoredResponse], dict[str, Any]]
_HANDLED = "_peyvand_idempotency_handled"


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


def _replay(request: HttpRequest, record: StoredResponse, fp: str) -> HttpResponse:
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


def idempotent_for(caller: Callable[[HttpRequest], Owner | None]) -> Callable[[Run], Run]:
    """A view-mode decorator for keyed POSTs whose keys `caller` places (None: not this
    wrapper's caller, the request runs on)."""

    def decorator(run: Run) -> Run:
        @wraps(run)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            key = request.headers.get(HEADER)
            if request.method != "POST" or key is None or getattr(request, _HANDLED, False):
                return run(request, **kwargs)
            if not _VALID_KEY.match(key):
                return problem(
                    request,
                    400,
                    str(TITLES[400]),
                    detail=_("Idempotency-Key must be 1 to 255 visible ASCII characters."),
                )
            owner = caller(request)
            if owner is None:
                return run(request, **kwargs)  # another wrapper's, or the operation answers 401
            setattr(request, _HANDLED, True)
            return _run_once(request, run, kwargs, key=key, owner=owner)

        return wrapper

    return decorator


def _run_once(
    request: HttpRequest, run: Run, kwargs: dict[str, Any], *, key: str, owner: Owner
) -> HttpResponseBase:
    model, caller = owner
    records = model._default_manager.filter(**caller)
    fp = fingerprint(request)
    now = timezone.now()
    with transaction.atomic():
        records.filter(expires_at__lte=now).delete()
        try:
            with transaction.atomic():
                record = model._default_manager.create(
                    **caller, key=key, fingerprint=fp, created_at=now, expires_at=now + TTL
                )
        except IntegrityError:
            previous = records.filter(key=key).first()
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


def _staff_caller(request: HttpRequest) -> Owner | None:
    user = identify(request)
    return (IdempotencyRecord, {"user": user}) if user is not None else None


# Wraps every operation of the API (ninja "view" mode); acts on keyed POSTs of staff.
idempotent = idempotent_for(_staff_caller)
