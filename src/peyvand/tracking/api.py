"""REST endpoints of the tracking app, mounted by peyvand.config.api at /tracking.

`POST /public/tracking/collect/{key}` is public: browsers on the site's allowed origins
post batches with no authentication and no CSRF token, so it trusts nothing. It limits the body, the batches
per client and the batch's shape, and stores nothing from a refused batch. It answers
CORS preflights itself; the snippet posts text/plain, which needs none.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.responses import Status
from pydantic import ValidationError

from peyvand.access.choices import Action, ApiScope
from peyvand.core.api.access import referenced, require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.errors import TITLES, field_errors_from_pydantic
from peyvand.core.api.schemas import InputSchema
from peyvand.core.problems import PROBLEM_CONTENT_TYPE, ServiceError, problem
from peyvand.customers.access import get_customer_for
from peyvand.tracking.access import OBJECT_TYPE
from peyvand.tracking.models import TrackedSite
from peyvand.tracking.schemas import MAX_EVENTS_PER_BATCH, BatchIn
from peyvand.tracking.services import (
    ingest_batch,
    issue_identify_token,
    origin_allowed,
    take_rate_slot,
)

router = Router(tags=["tracking"])
# Mounted at /public/tracking with the other anonymous endpoints.
public_router = Router(auth=None, tags=["tracking (public)"])


class Accepted(Schema):
    accepted: int


class TokenIn(InputSchema):
    customer: int


class TokenOut(Schema):
    token: str


def _problem(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    errors = extra.pop("errors", None)
    return problem(
        request, status, str(TITLES.get(status, TITLES[400])), detail=detail, errors=errors, **extra
    )


def _cors(response: HttpResponse, request: HttpRequest, site: TrackedSite | None) -> HttpResponse:
    origin = request.headers.get("Origin", "")
    if site is not None and origin and origin_allowed(site, origin, own_host=request.get_host()):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        response["Vary"] = "Origin"
    return response


def _batch_problem(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return _problem(request, 400, _("The request body is not valid JSON; nothing was stored."))
    if any(e["type"] == "too_long" and tuple(e["loc"]) == ("events",) for e in errors):
        detail = _("Send at most %(count)s events in one batch; nothing was stored.") % {
            "count": MAX_EVENTS_PER_BATCH
        }
        return _problem(request, 413, detail)
    return _problem(
        request,
        422,
        _("The batch has invalid events; nothing was stored."),
        errors=field_errors_from_pydantic(errors[:50]),
    )


def _batch_schema() -> dict[str, Any]:
    # Inline (the body is parsed by the view, not by ninja, so ninja lists no component).
    schema = BatchIn.model_json_schema()
    event = schema.pop("$defs")["EventIn"]
    schema["properties"]["events"]["items"] = event
    return schema


_PROBLEMS = {
    code: {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    for code, description in (
        (400, "The body is not JSON."),
        (403, "The page's origin is not one of the site's allowed origins."),
        (404, "No active site has this key."),
        (413, "The body is over the limit, or the batch has too many events."),
        (422, "An event is invalid (see `errors`), or an identify token is refused."),
        (429, "Too many batches from this address; see Retry-After."),
    )
}


@public_router.api_operation(
    ["OPTIONS"], "/collect/{key}", response={204: None}, include_in_schema=False
)
def collect_preflight(request: HttpRequest, key: str) -> HttpResponse:
    """CORS preflight: allowed origins get the allow headers, others nothing."""
    site = TrackedSite.objects.filter(key=key, is_active=True).first()
    return _cors(HttpResponse(status=204), request, site)


@public_router.post(
    "/collect/{key}",
    response={202: Accepted},
    summary="Collect a batch of click-stream events (public)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": _batch_schema()},
                "application/json": {"schema": _batch_schema()},
            },
        },
        "responses": _PROBLEMS,
    },
)
def collect(request: HttpRequest, key: str) -> Any:
    """The snippet's endpoint. The body is a JSON object `{anonymous_id, events: [...],
    sent_at?, webdriver?}` sent as text/plain or application/json; at most 500 events and
    256 KB. Each event has a `type` (page_view, custom, product_view, add_to_cart,
    identify), optional `name`, `url`, `referrer`, `properties` (flat, at most 30) and
    `occurred_at`; identify carries the `token` the CRM issued, never a customer id.
    Answers 202 with the number stored, or problem+json and stores nothing."""
    site = TrackedSite.objects.filter(key=key, is_active=True).first()
    if site is None:
        return _problem(request, 404, _("There is no such tracked site."))
    origin = request.headers.get("Origin", "")
    if not origin_allowed(site, origin, own_host=request.get_host()):
        return _problem(request, 403, _("This site does not accept events from this origin."))
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.PEYVAND_TRACKING_MAX_BYTES
    if not length.isdigit() or int(length) > limit:
        detail = _("The batch is too large (at most %(limit)s KB); nothing was stored.") % {
            "limit": limit // 1024
        }
        return _cors(_problem(request, 413, detail), request, site)
    wait = take_rate_slot(site, request.META.get("REMOTE_ADDR") or "unknown")
    if wait:
        response = _problem(request, 429, _("Too many batches from your address; slow down."))
        response["Retry-After"] = str(wait)
        return _cors(response, request, site)
    try:
        batch = BatchIn.model_validate_json(request.body or b"")
    except ValidationError as exc:
        return _cors(_batch_problem(request, exc), request, site)
    try:
        result = ingest_batch(site, batch, user_agent=request.headers.get("User-Agent", ""))
    except ServiceError as refused:
        response = _problem(
            request,
            422,
            refused.message,
            errors=[{"field": refused.field, "message": refused.message, "code": refused.code}],
        )
        return _cors(response, request, site)
    return _cors(JsonResponse({"accepted": result.accepted}, status=202), request, site)


@router.post(
    "/sites/{key}/identify-tokens", response={201: TokenOut}, summary="Issue an identify token"
)
@require_scope(ApiScope.CUSTOMERS_WRITE)
def create_identify_token(request: HttpRequest, key: str, payload: TokenIn) -> Status[TokenOut]:
    """For the site's own server once it knows who the visitor is: a token for the
    snippet's `identify(token)`, valid on this site only and for a day."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, Action.VIEW)
    site = TrackedSite.objects.filter(key=key, is_active=True).first()
    if site is None:
        raise Http404
    customer = referenced(payload.customer, lambda pk: get_customer_for(user, pk), "customer")
    return Status(201, TokenOut(token=issue_identify_token(site, customer)))
