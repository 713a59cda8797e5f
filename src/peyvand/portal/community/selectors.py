"""Read side of the community: what the public reads (published posts of public threads,
ideas), what a customer sees of their own, and the staff queue and idea lists."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from peyvand.access.scopes import can
from peyvand.catalog.models import Product
from peyvand.customers.models import Customer
from peyvand.portal.models import ForumPost, ForumThread, ForumVote, Idea, IdeaFollow, IdeaVote
from peyvand.portal.models.community import FORUM_OBJECT_TYPE, IDEA_OBJECT_TYPE, PostStatus

PUBLISHED = PostStatus.PUBLISHED.value


def community_products() -> QuerySet[Any]:
    """Products open for discussion: the sellable catalogue, with public thread and idea
    counts."""
    public_threads = Q(
        forum_threads__posts__is_opening=True, forum_threads__posts__status=PUBLISHED
    )
    return (
        Product.objects.sellable()
        .annotate(
            thread_total=Count("forum_threads", filter=public_threads, distinct=True),
            idea_total=Count("ideas", distinct=True),
        )
        .order_by("name", "pk")
    )


def public_threads(product: Product | None = None) -> QuerySet[ForumThread]:
    """Threads whose question is published, newest activity first."""
    opening = ForumPost.objects.filter(thread=OuterRef("pk"), is_opening=True, status=PUBLISHED)
    qs = ForumThread.objects.filter(Exists(opening)).select_related("customer", "product")
    if product is not None:
        qs = qs.filter(product=product)
    return qs


def visible_posts(thread: ForumThread, customer: Customer | None = None) -> QuerySet[ForumPost]:
    """The thread's published posts, plus the reader's own that still wait for a moderator
    (shown to them only, marked as waiting)."""
    condition = Q(status=PUBLISHED)
    if customer is not None:
        condition |= Q(customer=customer, status=PostStatus.PENDING)
    qs = (
        ForumPost.objects.filter(thread=thread)
        .filter(condition)
        .select_related("customer", "staff_author")
        .order_by("-is_opening", "created_at", "pk")
    )
    if customer is not None:
        qs = qs.annotate(
            voted=Exists(ForumVote.objects.filter(post=OuterRef("pk"), customer=customer))
        )
    return qs


def thread_for_reader(pk: Any, customer: Customer | None = None) -> ForumThread | None:
    """A public thread, or the reader's own whose question still waits; None otherwise."""
    own = (
        ForumThread.objects.filter(customer=customer).select_related("customer", "product")
        if customer is not None
        else ForumThread.objects.none()
    )
    return (public_threads() | own).filter(pk=pk).first()


def own_post(customer: Customer, pk: Any) -> ForumPost | None:
    return ForumPost.objects.select_related("thread").filter(customer=customer, pk=pk).first()


def public_post(pk: Any) -> ForumPost | None:
    return ForumPost.objects.select_related("thread").filter(pk=pk, status=PUBLISHED).first()


def ideas_for_board(product: Product, customer: Customer | None = None) -> QuerySet[Idea]:
    """The product's ideas, most votes first (the board's and the product team's order)."""
    qs = Idea.objects.filter(product=product).select_related("customer")
    if customer is not None:
        follow = IdeaFollow.objects.filter(idea=OuterRef("pk"), customer=customer)
        voted = Exists(IdeaVote.objects.filter(idea=OuterRef("pk"), customer=customer))
        # As `services.idea_followers` decides: an explicit choice, else author or voter.
        qs = qs.annotate(voted=voted).annotate(
            gets_updates=Coalesce(
                Subquery(follow.values("following")[:1]),
                ExpressionWrapper(Q(customer=customer) | Q(voted=True), BooleanField()),
                output_field=BooleanField(),
            )
        )
    return qs.order_by("-vote_count", "-created_at", "-pk")


def moderation_queue(user: Any, *, reason: str = "") -> QuerySet[ForumPost]:
    """Posts waiting for a moderator, oldest first; empty for staff who may not moderate."""
    if not can(user, FORUM_OBJECT_TYPE, "moderate"):
        return ForumPost.objects.none()
    qs = ForumPost.objects.filter(status=PostStatus.PENDING)
    if reason:
        qs = qs.filter(moderation_reason=reason)
    return qs.select_related("thread", "thread__product", "customer").order_by("created_at", "pk")


def hidden_posts(user: Any) -> QuerySet[ForumPost]:
    if not can(user, FORUM_OBJECT_TYPE, "moderate"):
        return ForumPost.objects.none()
    return (
        ForumPost.objects.filter(status=PostStatus.HIDDEN)
        .select_related("thread", "thread__product", "customer", "moderated_by")
        .order_by("-pk")
    )


def staff_threads(user: Any, *, product_id: int | None = None) -> QuerySet[ForumThread]:
    """Every thread, with its posts waiting for moderation counted, for forum staff."""
    if not can(user, FORUM_OBJECT_TYPE, "view"):
        return ForumThread.objects.none()
    qs = ForumThread.objects.select_related("product", "customer").annotate(
        pending_total=Count("posts", filter=Q(posts__status=PostStatus.PENDING))
    )
    # Spelled out: a grouped query drops the model's default ordering.
    qs = qs.order_by("-last_post_at", "-pk")
    if product_id:
        qs = qs.filter(product_id=product_id)
    return qs


def staff_posts(user: Any, thread: ForumThread) -> QuerySet[ForumPost]:
    """Every post of the thread, whatever its status, for forum staff."""
    if not can(user, FORUM_OBJECT_TYPE, "view"):
        return ForumPost.objects.none()
    return (
        ForumPost.objects.filter(thread=thread)
        .select_related("customer", "staff_author", "moderated_by")
        .order_by("-is_opening", "created_at", "pk")
    )


def staff_ideas(user: Any, *, product_id: int | None = None, status: str = "") -> QuerySet[Idea]:
    """Ideas by product, most votes first: what feeds product development."""
    if not can(user, IDEA_OBJECT_TYPE, "view"):
        return Idea.objects.none()
    qs = Idea.objects.select_related("product", "customer", "status_changed_by")
    if product_id:
        qs = qs.filter(product_id=product_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("product__name", "product_id", "-vote_count", "-created_at", "-pk")


def customer_ideas(customer_id: int) -> QuerySet[Idea]:
    return Idea.objects.filter(customer_id=customer_id).select_related("product")


def customer_idea_votes(customer_id: int) -> QuerySet[IdeaVote]:
    return IdeaVote.objects.filter(customer_id=customer_id).select_related("idea")
