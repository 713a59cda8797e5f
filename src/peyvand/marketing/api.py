"""REST endpoints of segments, mounted at /segments by peyvand.config.api."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from peyvand.access.choices import ApiScope
from peyvand.core.api.access import require_action
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, Page, PageParams, paginate
from peyvand.core.api.schemas import InputSchema
from peyvand.marketing.access import OBJECT_TYPE
from peyvand.marketing.models import Segment, SegmentMember
from peyvand.marketing.selectors import current_members
from peyvand.marketing.services import add_static_members, count_matching, save_segment

router = Router(tags=["segments"])

ORDERING = Ordering("name")
MEMBER_ORDERING = Ordering("entered_at", descending=True)

RULES_HELP = (
    'A group: `{"match": "all"|"any", "children": [...]}`; each child a group or a condition '
    '`{"field": "orders.count", "operator": "gte", "value": 2, "days": 30}`. '
    "Fields, operators and parameters are listed at /marketing/segments/fields/ in the app."
)


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    rules: dict[str, Any]
    member_count: int = Field(description="Members at the last rebuild or re-evaluation.")
    built_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentPage(Schema):
    items: list[SegmentOut]
    next_cursor: str | None


class SegmentIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=5000)
    kind: Literal["dynamic", "static"] = "dynamic"
    rules: dict[str, Any] = Field(default_factory=dict, description=RULES_HELP)


class RulesIn(InputSchema):
    rules: dict[str, Any] = Field(description=RULES_HELP)


class CountOut(Schema):
    count: int = Field(description="Customers matching now, among those the caller may see.")


class MemberOut(Schema):
    customer_id: int
    display_name: str
    entered_at: dt.datetime


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class StaticMembersIn(InputSchema):
    customer_ids: list[int] = Field(min_length=1, max_length=10_000)


class AddedOut(Schema):
    added: int
    member_count: int


def _segment(request: HttpRequest, segment_id: int, action: str = "view") -> Segment:
    require_action(api_user(request), OBJECT_TYPE, action)
    return get_object_or_404(Segment, pk=segment_id)


@router.get("", response=SegmentPage, summary="List segments")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_segments(request: HttpRequest, params: Query[PageParams]) -> Page[Segment]:
    require_action(api_user(request), OBJECT_TYPE, "view")
    return paginate(Segment.objects.all(), params, ORDERING)


@router.post("", response={201: SegmentOut}, summary="Create a segment")
@require_scope(ApiScope.ALL)
def create_segment(request: HttpRequest, payload: SegmentIn) -> Status[Segment]:
    """A rule-based segment is validated (a 400 problem names every bad condition by its
    place in the tree) and rebuilt after it is saved; a static list starts empty."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, "add")
    segment = save_segment(
        None,
        name=payload.name,
        description=payload.description,
        kind=payload.kind,
        rules=payload.rules,
        actor=user,
    )
    return Status(201, segment)


@router.post("/count", response=CountOut, summary="Count the customers matching rules")
@require_scope(ApiScope.CUSTOMERS_READ)
def count_rules(request: HttpRequest, payload: RulesIn) -> dict[str, int]:
    """The rule builder's live preview, without saving anything."""
    user = api_user(request)
    require_action(user, OBJECT_TYPE, "view")
    return {"count": count_matching(payload.rules, user=user)}


@router.get("/{segment_id}", response=SegmentOut, summary="One segment")
@require_scope(ApiScope.CUSTOMERS_READ)
def get_segment(request: HttpRequest, segment_id: int) -> Segment:
    return _segment(request, segment_id)


@router.get("/{segment_id}/count", response=CountOut, summary="Count a segment now")
@require_scope(ApiScope.CUSTOMERS_READ)
def count_segment(request: HttpRequest, segment_id: int) -> dict[str, int]:
    """Rule-based: evaluated now; static: its current members. Either way only the
    customers the caller may see are counted."""
    segment = _segment(request, segment_id)
    user = api_user(request)
    if segment.is_static:
        return {"count": current_members(segment, user).count()}
    return {"count": count_matching(segment.rules, user=user)}


@router.get("/{segment_id}/members", response=MemberPage, summary="Members of a segment")
@require_scope(ApiScope.CUSTOMERS_READ)
def list_members(
    request: HttpRequest, segment_id: int, params: Query[PageParams]
) -> dict[str, Any]:
    """The materialised members, newest entries first, limited to the customers the
    caller may see."""
    segment = _segment(request, segment_id)
    page: Page[SegmentMember] = paginate(
        current_members(segment, api_user(request)).select_related("customer"),
        params,
        MEMBER_ORDERING,
    )
    return {
        "items": [
            {
                "customer_id": m.customer_id,
                "display_name": m.customer.display_name,
                "entered_at": m.entered_at,
            }
            for m in page.items
        ],
        "next_cursor": page.next_cursor,
    }


@router.post("/{segment_id}/members", response=AddedOut, summary="Add customers to a static list")
@require_scope(ApiScope.ALL)
def add_members(request: HttpRequest, segment_id: int, payload: StaticMembersIn) -> dict[str, int]:
    """All or nothing: an id the caller may not see is refused like a missing one."""
    segment = _segment(request, segment_id, "change")
    added = add_static_members(segment.pk, payload.customer_ids, actor=api_user(request))
    segment.refresh_from_db()
    return {"added": added, "member_count": segment.member_count}
