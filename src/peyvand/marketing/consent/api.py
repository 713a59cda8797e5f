"""REST endpoints of consent: the suppression list for staff (mounted at /suppressions),
the public double opt-in subscribe call and the provider bounce webhook (mounted at
/public/subscriptions)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from peyvand.access.choices import ApiScope
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.errors import TITLES
from peyvand.core.api.pagination import Ordering, Page, PageParams, paginate
from peyvand.core.api.schemas import InputSchema
from peyvand.core.problems import problem
from peyvand.marketing.consent import selectors, services
from peyvand.marketing.consent.access import require_suppressions
from peyvand.marketing.consent.forms import MAX_IMPORT_BYTES
from peyvand.marketing.models import Suppression
from peyvand.portal.signin import RateLimited
from peyvand.portal.views.signin import wait_message

router = Router(tags=["suppressions"])
public_router = Router(auth=None, tags=["subscriptions (public)"])

ORDERING = Ordering("created_at", descending=True)


class SuppressionOut(Schema):
    id: int
    channel: str
    address: str = Field(description="Normalised: lower-case email, E.164 phone.")
    reason: str
    source: str
    customer_id: int | None
    created_at: dt.datetime


class SuppressionPage(Schema):
    items: list[SuppressionOut]
    next_cursor: str | None


class SuppressionFilter(PageParams):
    q: str = Field("", max_length=100, description="Part of an address or source.")
    channel: Literal["", "email", "sms"] = ""
    reason: Literal["", "unsubscribed", "hard_bounce", "complaint", "manual"] = ""


class SuppressionIn(InputSchema):
    channel: Literal["email", "sms"] = "email"
    address: str = Field(min_length=1, max_length=320)
    reason: Literal["unsubscribed", "hard_bounce", "complaint", "manual"] = "manual"
    source: str = Field("", max_length=200)


class ImportIn(InputSchema):
    csv: str = Field(
        min_length=1,
        max_length=MAX_IMPORT_BYTES,
        description="The CSV text: an `address` column, optionally `channel`, `reason`, `source`.",
    )


class ImportOut(Schema):
    added: int
    already: int


class SubscribeIn(InputSchema):
    email: str = Field(min_length=1, max_length=320)
    topics: list[Literal["newsletter", "marketing"]] = Field(
        default_factory=list, description="Default: the newsletter."
    )
    language: Literal["fa", "en"] = "fa"


class Accepted(Schema):
    detail: str


@router.get("", response=SuppressionPage, summary="List suppressed addresses")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_suppressions(request: HttpRequest, params: Query[SuppressionFilter]) -> Page[Suppression]:
    require_suppressions(api_user(request))
    rows = selectors.suppression_list(params.q, channel=params.channel, reason=params.reason)
    return paginate(rows, params, ORDERING)


@router.post("", response={200: SuppressionOut, 201: SuppressionOut}, summary="Suppress an address")
@require_scope(ApiScope.ALL)
def add_suppression(request: HttpRequest, payload: SuppressionIn) -> Status[Suppression]:
    """The address is normalised; one already listed answers 200 with its first reason."""
    user = api_user(request)
    require_suppressions(user, "add")
    row, created = services.add_suppression(
        payload.channel, payload.address, reason=payload.reason, source=payload.source, actor=user
    )
    return Status(201 if created else 200, row)


@router.post("/import", response=ImportOut, summary="Import suppressed addresses from CSV")
@require_scope(ApiScope.ALL)
def import_suppressions(request: HttpRequest, payload: ImportIn) -> Any:
    """All or nothing: a 400 problem lists every bad row with its line number."""
    user = api_user(request)
    require_suppressions(user, "add")
    result = services.import_suppressions(payload.csv.encode(), actor=user)
    if result.errors:
        return problem(
            request,
            400,
            str(TITLES[400]),
            detail=_("Nothing was imported. Correct these rows and try again."),
            errors=[
                {"field": f"line {e['line']}: {e['field']}", "message": e["message"]}
                for e in result.errors
            ],
        )
    return {"added": result.added, "already": result.already}


@router.get("/{suppression_id}", response=SuppressionOut, summary="One suppressed address")
@require_scope(ApiScope.CUSTOMERS_READ)
def get_suppression(request: HttpRequest, suppression_id: int) -> Suppression:
    require_suppressions(api_user(request))
    return get_object_or_404(Suppression, pk=suppression_id)


@router.delete("/{suppression_id}", response={204: None}, summary="Lift a suppression")
@require_scope(ApiScope.ALL)
def remove_suppression(request: HttpRequest, suppression_id: int) -> Status[None]:
    user = api_user(request)
    require_suppressions(user, "delete")
    services.remove_suppression(get_object_or_404(Suppression, pk=suppression_id), actor=user)
    return Status(204, None)


_PUBLIC_PROBLEMS = {
    "responses": {
        code: {
            "description": description,
            "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
        }
        for code, description in (
            (400, "The body is not valid JSON."),
            (404, "No such endpoint."),
            (413, "The request is over the size limit."),
            (429, "Too many requests for this address or from this client; see Retry-After."),
        )
    }
}


@public_router.post(
    "",
    response={202: Accepted},
    summary="Subscribe (double opt-in)",
    openapi_extra=_PUBLIC_PROBLEMS,
)
def subscribe(request: HttpRequest, payload: SubscribeIn) -> Any:
    """Records a pending subscription and emails a confirmation link; nothing is granted
    until it is opened. The answer is the same whether the address is known or not; 429
    with Retry-After when asked too often."""
    try:
        services.subscribe(
            payload.email,
            topics=payload.topics,
            language=payload.language,
            client=request.META.get("REMOTE_ADDR", ""),
        )
    except RateLimited as exc:
        response: HttpResponse = problem(
            request, 429, str(TITLES.get(429, TITLES[400])), detail=wait_message(exc.wait)
        )
        response["Retry-After"] = str(exc.wait)
        return response
    return Status(202, {"detail": _("Check your inbox for the confirmation link.")})
