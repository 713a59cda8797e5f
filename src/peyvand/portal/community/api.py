"""REST endpoints of the community forums for staff (mounted at /community): threads with
their posts whatever their status, the moderation queue, and moderation itself."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from peyvand.access.choices import ApiScope
from peyvand.access.scopes import can
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, InputSchema, UserRef
from peyvand.portal.community import selectors, services
from peyvand.portal.models import ForumPost, ForumThread
from peyvand.portal.models.community import FORUM_OBJECT_TYPE, PostStatus

router = Router(tags=["community"])

THREAD_ORDERING = Ordering("last_post_at", descending=True)
QUEUE_ORDERING = Ordering("created_at")


class ProductRef(Schema):
    id: int
    sku: str
    name: str


class PostOut(Schema):
    id: int
    thread_id: int
    is_opening: bool
    body: str = Field(description="Plain text as the author wrote it: escape it when shown.")
    customer: CustomerRef | None
    staff_author: UserRef | None
    is_staff_post: bool
    status: PostStatus
    moderation_reason: str
    vote_count: int
    report_count: int
    edited_at: dt.datetime | None
    created_at: dt.datetime


class ThreadOut(Schema):
    id: int
    title: str = Field(description="Plain text: escape it when shown.")
    product: ProductRef
    customer: CustomerRef | None
    accepted_post_id: int | None
    reply_count: int = Field(description="Published replies.")
    last_post_at: dt.datetime
    created_at: dt.datetime


class ThreadDetailOut(ThreadOut):
    posts: list[PostOut] = Field(description="Every post, whatever its status, oldest first.")

    @staticmethod
    def resolve_posts(obj: Any) -> list[ForumPost]:
        return list(obj.staff_post_list)


class ThreadPage(Schema):
    items: list[ThreadOut]
    next_cursor: str | None


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None


class ThreadFilters(PageParams):
    product: int | None = None


class QueueFilters(PageParams):
    reason: Literal["new_author", "link", "spam_word", "reported"] | None = None


class ModerateIn(InputSchema):
    action: Literal["approve", "hide", "restore"]


def _require(request: HttpRequest, action: str = "view") -> Any:
    user = api_user(request)
    if not can(user, FORUM_OBJECT_TYPE, action):
        # Like a record outside the caller's scope: the forums do not exist for them.
        raise HttpError(404, "Not found")
    return user


@router.get("/threads", response=ThreadPage, summary="List forum threads")
@require_scope(ApiScope.COMMUNITY_READ)
def list_threads(request: HttpRequest, filters: Query[ThreadFilters]) -> Any:
    """Every thread (public or waiting for moderation), newest activity first."""
    qs = selectors.staff_threads(_require(request), product_id=filters.product)
    return paginate(qs, filters, THREAD_ORDERING)


@router.get("/threads/{thread_id}", response=ThreadDetailOut, summary="Read a forum thread")
@require_scope(ApiScope.COMMUNITY_READ)
def read_thread(request: HttpRequest, thread_id: int) -> Any:
    user = _require(request)
    thread = get_object_or_404(
        ForumThread.objects.select_related("product", "customer"), pk=thread_id
    )
    thread.staff_post_list = list(selectors.staff_posts(user, thread))  # type: ignore[attr-defined]
    return thread


@router.get("/moderation", response=PostPage, summary="The moderation queue")
@require_scope(ApiScope.COMMUNITY_READ)
def moderation_queue(request: HttpRequest, filters: Query[QueueFilters]) -> Any:
    """Posts waiting for a moderator, oldest first: first posts of new customers, posts with
    links or spam words, and published posts enough customers reported."""
    user = _require(request, "moderate")
    qs = selectors.moderation_queue(user, reason=filters.reason or "")
    return paginate(qs.select_related("staff_author"), filters, QUEUE_ORDERING)


@router.post("/posts/{post_id}/moderate", response=PostOut, summary="Moderate a post")
@require_scope(ApiScope.COMMUNITY_WRITE)
def moderate_post(request: HttpRequest, post_id: int, payload: ModerateIn) -> Any:
    """approve (a waiting post goes public), hide, restore (a hidden post goes public)."""
    user = _require(request, "moderate")
    post = get_object_or_404(ForumPost, pk=post_id)
    try:
        services.moderate(post, actor=user, action=payload.action)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc)) from exc
    return ForumPost.objects.select_related("customer", "staff_author").get(pk=post.pk)
