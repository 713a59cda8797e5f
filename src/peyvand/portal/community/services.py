"""Every state change of the community: threads, replies, votes, accepted answers, abuse
reports and moderation in the forums; ideas, their votes and their status on the board.

Customers act through the portal (the change log's actor is then the system, and the row
names the customer); staff act with their user. Posts that look risky (the first ones of a
new customer, links, words on the spam list) wait in the moderation queue until staff
approve them; enough abuse reports send a published post back to the queue.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.access.scopes import can
from peyvand.audit.services import record
from peyvand.catalog.models import Product
from peyvand.channels.email.services import email_address_of, send_email
from peyvand.core.problems import ServiceError
from peyvand.core.ratelimit import take_slot
from peyvand.core.text import normalize_text
from peyvand.customers.models import Customer
from peyvand.portal.models import (
    ForumPost,
    ForumReport,
    ForumThread,
    ForumVote,
    Idea,
    IdeaFollow,
    IdeaVote,
)
from peyvand.portal.models.community import (
    FORUM_OBJECT_TYPE,
    IDEA_OBJECT_TYPE,
    IdeaStatus,
    ModerationReason,
    PostStatus,
)
from peyvand.service.tickets.services import customer_language

MAX_TITLE_CHARS = 200
MAX_BODY_CHARS = 10_000
MAX_REASON_CHARS = 500
# A customer's posts wait for a moderator until this many of theirs have been published.
TRUSTED_AFTER_POSTS = 1
# Published posts with this many abuse reports go back to the queue until staff decide.
REPORTS_TO_QUEUE = 3
# Posts, ideas, votes and reports per customer per window (core/ratelimit.py).
WRITES_PER_WINDOW = 10
WRITE_WINDOW_SECONDS = 600
# Overridden by the COMMUNITY_SPAM_WORDS setting; matched on normalised text (core/text.py).
DEFAULT_SPAM_WORDS = (
    "casino",
    "viagra",
    "crypto giveaway",
    "free bitcoin",
    "loan offer",
    "کازینو",
    "شرط بندی",
    "وام فوری",
)
_LINK = re.compile(r"(https?://|www\.|\b[a-z0-9-]+\.(com|net|org|ir|io|xyz|info|ru)\b)", re.I)
MODERATION_ACTIONS = {
    "approve": ({PostStatus.PENDING}, PostStatus.PUBLISHED),
    "hide": ({PostStatus.PENDING, PostStatus.PUBLISHED}, PostStatus.HIDDEN),
    "restore": ({PostStatus.HIDDEN}, PostStatus.PUBLISHED),
}


class TooFast(ServiceError):
    """The customer wrote too much in too little time; `retry_after` seconds to wait."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            _("You are posting too fast; try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            code="rate_limited",
        )
        self.retry_after = retry_after


def _throttle(customer: Customer) -> None:
    wait = take_slot(
        f"community:{customer.pk}", limit=WRITES_PER_WINDOW, window=WRITE_WINDOW_SECONDS
    )
    if wait:
        raise TooFast(wait)


def _require_active(customer: Customer) -> None:
    if customer.deleted_at is not None:
        raise PermissionDenied(_("This customer account is closed."))


def _require_staff(actor: Any, object_type: str, action: str) -> None:
    if not can(actor, object_type, action):
        raise PermissionDenied(_("You may not do this in the community."))


def _clean_title(title: str, errors: dict[str, list[str]]) -> str:
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give it a title.")]
    elif len(title) > MAX_TITLE_CHARS:
        errors["title"] = [_("Keep the title under 200 characters.")]
    return title


def _clean_body(body: str, errors: dict[str, list[str]], *, required: bool = True) -> str:
    body = (body or "").strip()
    if required and not body:
        errors["body"] = [_("Write something first.")]
    elif len(body) > MAX_BODY_CHARS:
        errors["body"] = [
            _("The text is too long (%(length)d characters; at most %(limit)d).")
            % {"length": len(body), "limit": MAX_BODY_CHARS}
        ]
    return body


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def spam_words() -> list[str]:
    words = getattr(settings, "COMMUNITY_SPAM_WORDS", DEFAULT_SPAM_WORDS)
    return [normalize_text(word) for word in words if word.strip()]


def screen(customer: Customer, *texts: str) -> tuple[str, str]:
    """The status a customer's new or edited post starts in, and why it waits if it does."""
    joined = " ".join(texts)
    normalised = normalize_text(joined)
    if any(word in normalised for word in spam_words()):
        return PostStatus.PENDING, ModerationReason.SPAM_WORD
    if _LINK.search(joined):
        return PostStatus.PENDING, ModerationReason.LINK
    published = ForumPost.objects.filter(customer=customer, status=PostStatus.PUBLISHED)
    if published.count() < TRUSTED_AFTER_POSTS:
        return PostStatus.PENDING, ModerationReason.NEW_AUTHOR
    return PostStatus.PUBLISHED, ModerationReason.NONE


def refresh_thread(thread_id: int) -> None:
    """Recount the thread's published replies and its newest post; an accepted answer that
    is no longer published stops being the answer."""
    thread = ForumThread.objects.select_for_update().get(pk=thread_id)
    published = ForumPost.objects.filter(thread_id=thread_id, status=PostStatus.PUBLISHED)
    thread.reply_count = published.filter(is_opening=False).count()
    thread.last_post_at = published.aggregate(last=Max("created_at"))["last"] or thread.created_at
    if thread.accepted_post_id and not published.filter(pk=thread.accepted_post_id).exists():
        thread.accepted_post = None
    thread.save(update_fields=["reply_count", "last_post_at", "accepted_post", "updated_at"])


@transaction.atomic
def start_thread(*, customer: Customer, product: Product, title: str, body: str) -> ForumThread:
    """A new question in the product's forum; it is public once its opening post is."""
    _require_active(customer)
    errors: dict[str, list[str]] = {}
    title = _clean_title(title, errors)
    body = _clean_body(body, errors)
    _raise(errors)
    _throttle(customer)
    status, reason = screen(customer, title, body)
    thread = ForumThread(
        product=product, title=title, customer=customer, last_post_at=timezone.now()
    )
    with record(thread, actor=None, customer_id=customer.pk):
        thread.save()
    post = ForumPost(
        thread=thread,
        is_opening=True,
        body=body,
        customer=customer,
        status=status,
        moderation_reason=reason,
    )
    with record(post, actor=None):
        post.save()
    return thread


@transaction.atomic
def reply(
    thread: ForumThread, *, body: str, customer: Customer | None = None, staff: Any = None
) -> ForumPost:
    """A reply by a customer (screened) or by staff (published at once, with the staff
    badge). Replies wait with their thread while the thread's question is not public."""
    errors: dict[str, list[str]] = {}
    body = _clean_body(body, errors)
    _raise(errors)
    if staff is not None:
        _require_staff(staff, FORUM_OBJECT_TYPE, "add")
        post = ForumPost(thread=thread, body=body, staff_author=staff)
        with record(post, actor=staff, customer_id=thread.customer_id):
            post.save()
    else:
        if customer is None:
            raise PermissionDenied(_("Sign in to post."))
        _require_active(customer)
        _throttle(customer)
        status, reason = screen(customer, body)
        post = ForumPost(
            thread=thread, body=body, customer=customer, status=status, moderation_reason=reason
        )
        with record(post, actor=None):
            post.save()
    refresh_thread(thread.pk)
    return post


@transaction.atomic
def edit_post(post: ForumPost, *, customer: Customer, body: str, title: str = "") -> ForumPost:
    """The author changes their own post (and, for the opening post, the thread's title);
    the new text is screened again. Callers fetch the post through the customer's own."""
    if post.customer_id != customer.pk:
        raise PermissionDenied(_("Only the author may change a post."))
    if post.status == PostStatus.HIDDEN:
        raise ValidationError(_("A hidden post cannot be changed."))
    errors: dict[str, list[str]] = {}
    body = _clean_body(body, errors)
    if post.is_opening:
        title = _clean_title(title, errors)
    _raise(errors)
    _throttle(customer)
    locked = ForumPost.objects.select_for_update().select_related("thread").get(pk=post.pk)
    if post.is_opening and title != locked.thread.title:
        thread = locked.thread
        with record(thread, actor=None, customer_id=customer.pk):
            thread.title = title
            thread.save(update_fields=["title", "updated_at"])
    if body != locked.body or post.is_opening:
        with record(locked, actor=None):
            locked.body = body
            locked.edited_at = timezone.now()
            # Published text keeps its place unless the new text itself needs a moderator.
            status, reason = screen(customer, title, body)
            if status == PostStatus.PENDING and reason != ModerationReason.NEW_AUTHOR:
                locked.status, locked.moderation_reason = status, reason
            locked.save(update_fields=["body", "edited_at", "status", "moderation_reason"])
    refresh_thread(locked.thread_id)
    return locked


@transaction.atomic
def vote_post(post: ForumPost, *, customer: Customer) -> ForumVote:
    """One vote per customer per post, never on their own post."""
    _require_active(customer)
    if post.status != PostStatus.PUBLISHED:
        raise ValidationError(_("This post is not public."))
    if post.customer_id == customer.pk:
        raise ValidationError(_("You cannot vote for your own post."))
    _throttle(customer)
    vote = ForumVote(post=post, customer=customer)
    try:
        with transaction.atomic(), record(vote, actor=None, customer_id=customer.pk):
            vote.save()
    except IntegrityError as exc:
        raise ValidationError(_("You have already voted for this post.")) from exc
    ForumPost.objects.filter(pk=post.pk).update(vote_count=F("vote_count") + 1)
    return vote


def may_accept(thread: ForumThread, *, customer: Customer | None = None, staff: Any = None) -> bool:
    if staff is not None:
        return can(staff, FORUM_OBJECT_TYPE, "moderate")
    return customer is not None and thread.customer_id == customer.pk


@transaction.atomic
def accept_answer(
    thread: ForumThread,
    post: ForumPost | None,
    *,
    customer: Customer | None = None,
    staff: Any = None,
) -> ForumThread:
    """Mark a published reply of this thread as its answer (None clears it); only the
    thread's author or a moderator may."""
    if not may_accept(thread, customer=customer, staff=staff):
        raise PermissionDenied(_("Only the author of the question or staff may accept an answer."))
    locked = ForumThread.objects.select_for_update().get(pk=thread.pk)
    if post is not None and (
        post.thread_id != locked.pk or post.is_opening or post.status != PostStatus.PUBLISHED
    ):
        raise ValidationError(_("Only a published reply in this thread can be the answer."))
    with record(locked, actor=staff, customer_id=locked.customer_id):
        locked.accepted_post = post
        locked.save(update_fields=["accepted_post", "updated_at"])
    return locked


@transaction.atomic
def report_post(post: ForumPost, *, customer: Customer, reason: str = "") -> ForumReport:
    """A customer flags abuse once per post; enough reports queue the post for staff."""
    _require_active(customer)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON_CHARS:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    if post.status != PostStatus.PUBLISHED:
        raise ValidationError(_("This post is not public."))
    _throttle(customer)
    report = ForumReport(post=post, customer=customer, reason=reason)
    try:
        with transaction.atomic(), record(report, actor=None, customer_id=customer.pk):
            report.save()
    except IntegrityError as exc:
        raise ValidationError(_("You have already reported this post.")) from exc
    locked = ForumPost.objects.select_for_update().get(pk=post.pk)
    locked.report_count += 1
    if locked.report_count >= REPORTS_TO_QUEUE and not locked.is_staff_post:
        with record(locked, actor=None):
            locked.status, locked.moderation_reason = PostStatus.PENDING, ModerationReason.REPORTED
            locked.save(update_fields=["report_count", "status", "moderation_reason"])
        refresh_thread(locked.thread_id)
    else:
        locked.save(update_fields=["report_count"])
    return report


@transaction.atomic
def moderate(post: ForumPost, *, actor: Any, action: str) -> ForumPost:
    """Approve a waiting post, hide a post, or restore a hidden one (audited)."""
    _require_staff(actor, FORUM_OBJECT_TYPE, "moderate")
    if action not in MODERATION_ACTIONS:
        raise ValidationError(_("Unknown action."))
    sources, target = MODERATION_ACTIONS[action]
    locked = ForumPost.objects.select_for_update().get(pk=post.pk)
    if locked.status not in sources:
        raise ValidationError(
            _("A post that is “%(status)s” cannot be moved this way.")
            % {"status": locked.get_status_display()}
        )
    with record(locked, actor=actor, customer_id=locked.customer_id):
        locked.status = target
        locked.moderation_reason = ModerationReason.STAFF if action == "hide" else ""
        locked.moderated_by = actor
        locked.save(update_fields=["status", "moderation_reason", "moderated_by"])
    refresh_thread(locked.thread_id)
    return locked


@transaction.atomic
def propose_idea(*, customer: Customer, product: Product, title: str, description: str) -> Idea:
    _require_active(customer)
    errors: dict[str, list[str]] = {}
    title = _clean_title(title, errors)
    description = _clean_body(description, errors, required=False)
    _raise(errors)
    _throttle(customer)
    idea = Idea(product=product, customer=customer, title=title, description=description)
    with record(idea, actor=None):
        idea.save()
    return idea


@transaction.atomic
def vote_idea(idea: Idea, *, customer: Customer) -> IdeaVote:
    """One vote per customer per idea; ideas already decided take no more votes."""
    _require_active(customer)
    if idea.status in (IdeaStatus.DONE, IdeaStatus.DECLINED):
        raise ValidationError(_("This idea is closed for votes."))
    _throttle(customer)
    vote = IdeaVote(idea=idea, customer=customer)
    try:
        with transaction.atomic(), record(vote, actor=None):
            vote.save()
    except IntegrityError as exc:
        raise ValidationError(_("You have already voted for this idea.")) from exc
    Idea.objects.filter(pk=idea.pk).update(vote_count=F("vote_count") + 1)
    return vote


@transaction.atomic
def set_idea_status(idea: Idea, *, actor: Any, status: str, note: str = "") -> Idea:
    """A product manager's decision on an idea, with the note customers read beside it.
    A new status is told to the idea's followers (see `idea_followers`), once."""
    _require_staff(actor, IDEA_OBJECT_TYPE, "change")
    errors: dict[str, list[str]] = {}
    if status not in IdeaStatus.values:
        errors["status"] = [_("Choose a status.")]
    note = (note or "").strip()
    if len(note) > MAX_BODY_CHARS:
        errors["note"] = [_("Keep the note under 10,000 characters.")]
    _raise(errors)
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    changed = locked.status != status
    with record(locked, actor=actor):
        locked.status, locked.status_note = status, note
        locked.status_changed_by, locked.status_changed_at = actor, timezone.now()
        locked.save()
    if changed:
        for customer in idea_followers(locked):
            _tell_status(locked, customer, actor=actor)
    return locked


def idea_followers(idea: Idea) -> QuerySet[Customer]:
    """Who hears of the idea's status: its author and voters and whoever asked to follow
    it, less those who said stop; customers in the recycle bin are left out."""
    follows = IdeaFollow.objects.filter(idea=idea)
    return (
        Customer.objects.filter(deleted_at__isnull=True)
        .filter(
            Q(pk=idea.customer_id)
            | Q(pk__in=IdeaVote.objects.filter(idea=idea).values("customer_id"))
            | Q(pk__in=follows.filter(following=True).values("customer_id"))
        )
        .exclude(pk__in=follows.filter(following=False).values("customer_id"))
        .order_by("pk")
    )


def _tell_status(idea: Idea, customer: Customer, *, actor: Any) -> None:
    """An email through the outbox in the customer's language; one who withdrew service
    email gets it kept as not sent, one without an address gets nothing."""
    language = customer_language(customer)
    link = f"{settings.PEYVAND_PUBLIC_URL}{idea.get_absolute_url()}#idea-{idea.pk}"
    with translation.override(language):
        subject = _("Your idea news: “%(title)s” is now %(status)s") % {
            "title": idea.title,
            "status": idea.get_status_display(),
        }
        body = _(
            "The idea “%(title)s” is now: %(status)s.\n\n%(note)s\n\nSee the ideas board: "
            "%(link)s\n\nYou get this because you proposed, voted for or follow this idea; "
            "choose “Stop updates” beside it on the board to hear no more."
        ) % {
            "title": idea.title,
            "status": idea.get_status_display(),
            "note": idea.status_note,
            "link": link,
        }
    if not email_address_of(customer):
        return
    try:
        send_email(customer, actor=actor, subject=subject[:255], body=body, language=language)
    except ValidationError:
        # No sending identity set up: the status stands on the board all the same.
        return


@transaction.atomic
def follow_idea(idea: Idea, *, customer: Customer, following: bool) -> IdeaFollow:
    """Ask for the idea's status news, or stop them (also for its author and voters)."""
    _require_active(customer)
    follow, _created = IdeaFollow.objects.update_or_create(
        idea=idea, customer=customer, defaults={"following": following}
    )
    return follow
