"""REST endpoints of the service app: the knowledge base for staff (mounted at /kb) and for
the public (mounted at /public/kb: published public articles only, no authentication)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from peyvand.access.choices import ApiScope
from peyvand.access.models import Department, User
from peyvand.access.scopes import can, get_for
from peyvand.channels.downloads import attachment_response
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.pagination import Ordering, PageParams, paginate
from peyvand.core.api.schemas import CustomerRef, DepartmentRef, InputSchema, UserRef
from peyvand.core.ratelimit import take_slot
from peyvand.customers.access import get_customer_for
from peyvand.service.access import (
    get_article_for,
    get_public_article,
    get_ticket_for,
    require_kb,
)
from peyvand.service.choices import ArticleStatus, ArticleVisibility, TicketPriority, TicketStatus
from peyvand.service.kb import selectors, services
from peyvand.service.models import Article, ArticleAttachment, ArticleCategory, Ticket
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE
from peyvand.service.tickets import macros
from peyvand.service.tickets import selectors as ticket_selectors
from peyvand.service.tickets import services as ticket_services

router = Router(tags=["knowledge base"])
# Anonymous readers: reads and votes are rate-limited per client address.
PUBLIC_READS_PER_MINUTE = 120
PUBLIC_VOTES_PER_MINUTE = 10
tickets_router = Router(tags=["tickets"])
public_router = Router(auth=None, tags=["knowledge base (public)"])


class ArticleSummaryOut(Schema):
    id: int
    language: str
    title: str
    summary: str
    visibility: str
    status: str
    version: int
    category_id: int | None
    updated_at: dt.datetime


class ArticleOut(ArticleSummaryOut):
    body: str = Field(description="Sanitised HTML.")
    attachments: list[ArticleAttachmentOut]
    translations: dict[str, int] = Field(description="Language → id of each translation.")
    helpful_count: int
    not_helpful_count: int
    deflection_count: int
    published_at: dt.datetime | None


class ArticleAttachmentOut(Schema):
    id: int
    filename: str = Field(description="The uploader's file name; plain text, escape it.")
    size: int
    content_type: str


class PublicArticleOut(Schema):
    id: int
    language: str
    title: str
    summary: str
    body: str = Field(description="Sanitised HTML.")
    translations: dict[str, int]
    attachments: list[ArticleAttachmentOut]


class SearchParams(Schema):
    q: str = Field(min_length=1, max_length=200, description="Words to find (Persian or English).")
    language: Literal["en", "fa"] | None = None
    limit: int = Field(10, ge=1, le=50)


class StaffSearchParams(SearchParams):
    include_unpublished: bool = False
    offset: int = Field(0, ge=0, le=1000)


class ArticleIn(InputSchema):
    title: str = Field(max_length=200)
    summary: str = Field("", max_length=500)
    body: str = Field(max_length=services.MAX_BODY_CHARS, description="HTML; sanitised.")
    language: Literal["en", "fa"]
    visibility: ArticleVisibility = ArticleVisibility.INTERNAL
    category: int | None = None
    translation_of: int | None = Field(None, description="Id of the article this translates.")


class ArticlePatch(InputSchema):
    title: str | None = Field(None, max_length=200)
    summary: str | None = Field(None, max_length=500)
    body: str | None = Field(None, max_length=services.MAX_BODY_CHARS)
    visibility: ArticleVisibility | None = None


class TransitionIn(InputSchema):
    action: Literal["submit", "publish", "return", "archive", "restore"]


class FeedbackIn(InputSchema):
    helpful: bool
    comment: str = Field("", max_length=2000)


def _translations(article: Article) -> dict[str, int]:
    return {a.language: a.pk for a in selectors.translations_of(article)}


def _attachments(article: Article) -> list[ArticleAttachment]:
    return list(article.attachments.all())


def _article_out(article: Article) -> dict[str, Any]:
    return {
        **{
            f: getattr(article, f)
            for f in ArticleOut.model_fields
            if f != "attachments" and hasattr(article, f)
        },
        "translations": _translations(article),
        "attachments": _attachments(article),
    }


def _forbidden(exc: PermissionDenied) -> HttpError:
    return HttpError(403, str(exc))


@router.get("/articles/search", response=list[ArticleSummaryOut], summary="Search articles")
@require_scope(ApiScope.KB_READ)
def search_articles(request: HttpRequest, params: Query[StaffSearchParams]) -> Any:
    """Published articles (internal and public), best match first; every word must appear,
    the last one may be the start of a word."""
    user = api_user(request)
    require_kb(user)
    return selectors.search_for_staff(
        user,
        params.q,
        language=params.language,
        include_unpublished=params.include_unpublished,
        limit=params.limit,
        offset=params.offset,
    )


@router.get("/articles/{article_id}", response=ArticleOut, summary="Read an article")
@require_scope(ApiScope.KB_READ)
def read_article(request: HttpRequest, article_id: int) -> Any:
    return _article_out(get_article_for(api_user(request), article_id))


@router.post("/articles", response={201: ArticleOut}, summary="Write an article")
@require_scope(ApiScope.KB_WRITE)
def create_article(request: HttpRequest, payload: ArticleIn) -> Any:
    """A new draft; with `translation_of`, a translation linked to that article."""
    user = api_user(request)
    require_kb(user, "add")
    values = payload.model_dump(exclude={"category", "translation_of"})
    if payload.category is not None:
        values["category"] = get_object_or_404(ArticleCategory, pk=payload.category)
    try:
        if payload.translation_of is not None:
            original = get_article_for(user, payload.translation_of)
            article = services.add_translation(original, actor=user, **values)
        else:
            article = services.save_article(None, actor=user, **values)
    except PermissionDenied as exc:
        raise _forbidden(exc) from exc
    return Status(201, _article_out(article))


@router.patch("/articles/{article_id}", response=ArticleOut, summary="Change an article")
@require_scope(ApiScope.KB_WRITE)
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch) -> Any:
    """Each change of title, summary or body is kept as a new version."""
    user = api_user(request)
    article = get_article_for(user, article_id, "change")
    try:
        article = services.save_article(
            article, actor=user, **payload.model_dump(exclude_none=True)
        )
    except PermissionDenied as exc:
        raise _forbidden(exc) from exc
    return _article_out(article)


@router.post("/articles/{article_id}/transition", response=ArticleOut, summary="Review workflow")
@require_scope(ApiScope.KB_WRITE)
def transition_article(request: HttpRequest, article_id: int, payload: TransitionIn) -> Any:
    """submit (draft → in review), publish, return (to draft), archive, restore. Publishing
    needs the `publish` right, and someone other than the author unless a manager."""
    user = api_user(request)
    article = get_article_for(user, article_id)
    try:
        article = services.transition(article, actor=user, action=payload.action)
    except PermissionDenied as exc:
        raise _forbidden(exc) from exc
    return _article_out(article)


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
            (404, "No published public article has this id."),
            (413, "The request is over the size limit."),
            (429, "Too many requests from this address; see Retry-After."),
        )
    }
}


def _throttle(request: HttpRequest, bucket: str, limit: int) -> None:
    client = request.META.get("REMOTE_ADDR", "")
    wait = take_slot(f"kb-{bucket}:{client}", limit=limit, window=60)
    if wait:
        raise HttpError(
            429,
            _("Too many requests from your address; try again in %(seconds)s s.")
            % {"seconds": wait},
        )


@public_router.get(
    "/articles/search",
    response=list[ArticleSummaryOut],
    summary="Search help",
    openapi_extra=_PUBLIC_PROBLEMS,
)
def public_search(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Published public articles only; internal ones are never returned here."""
    _throttle(request, "read", PUBLIC_READS_PER_MINUTE)
    return selectors.search_public(params.q, language=params.language, limit=params.limit)


@public_router.get(
    "/articles/{article_id}",
    response=PublicArticleOut,
    summary="Read help",
    openapi_extra=_PUBLIC_PROBLEMS,
)
def public_article(request: HttpRequest, article_id: int) -> Any:
    _throttle(request, "read", PUBLIC_READS_PER_MINUTE)
    article = get_public_article(article_id)
    public = selectors.translations_of(article).filter(
        status=ArticleStatus.PUBLISHED, visibility=ArticleVisibility.PUBLIC
    )
    return {
        "id": article.pk,
        "language": article.language,
        "title": article.title,
        "summary": article.summary,
        "body": article.body,
        "translations": {a.language: a.pk for a in public},
        "attachments": _attachments(article),
    }


@public_router.get(
    "/articles/{article_id}/attachments/{attachment_id}",
    response={200: None},
    summary="Download a file of help",
    openapi_extra={
        **_PUBLIC_PROBLEMS,
        "responses": {
            **_PUBLIC_PROBLEMS["responses"],
            200: {
                "description": "The file, always as a download.",
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            },
        },
    },
)
def public_attachment(request: HttpRequest, article_id: int, attachment_id: int) -> Any:
    """Files of published public articles only; an internal article's files do not exist here."""
    _throttle(request, "read", PUBLIC_READS_PER_MINUTE)
    attachment = get_object_or_404(get_public_article(article_id).attachments, pk=attachment_id)
    return attachment_response(
        attachment.file,
        filename=attachment.filename,
        content_type=attachment.content_type,
        cache="public, max-age=300",
    )


@public_router.post(
    "/articles/{article_id}/feedback",
    response={204: None},
    summary="Rate help",
    openapi_extra=_PUBLIC_PROBLEMS,
)
def public_feedback(request: HttpRequest, article_id: int, payload: FeedbackIn) -> Any:
    _throttle(request, "vote", PUBLIC_VOTES_PER_MINUTE)
    services.record_feedback(
        get_public_article(article_id), helpful=payload.helpful, comment=payload.comment
    )
    return Status(204, None)


@public_router.post(
    "/articles/{article_id}/solved",
    response={204: None},
    summary="This solved my problem",
    openapi_extra=_PUBLIC_PROBLEMS,
)
def public_solved(request: HttpRequest, article_id: int) -> Any:
    """Counted as a ticket avoided (deflection)."""
    _throttle(request, "vote", PUBLIC_VOTES_PER_MINUTE)
    services.record_deflection(get_public_article(article_id))
    return Status(204, None)


TICKET_ORDERING = Ordering("created_at", descending=True)


class TicketOut(Schema):
    id: int
    subject: str
    description: str
    customer: CustomerRef
    queue: DepartmentRef
    assignee: UserRef | None
    channel: str
    priority: int = Field(description="1 low, 2 normal, 3 high, 4 urgent.")
    status: str
    agreement_id: int | None
    sla_policy_id: int | None
    first_response_due: dt.datetime | None
    resolution_due: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    response_breached: bool
    resolution_breached: bool
    created_at: dt.datetime


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None


class TicketFilters(PageParams):
    status: TicketStatus | None = None
    open: bool | None = Field(None, description="Only tickets not yet solved (true).")
    customer: int | None = None
    queue: int | None = None
    breached: bool | None = Field(None, description="Only tickets past a target (true).")


class TicketIn(InputSchema):
    customer: int
    subject: str = Field(max_length=255)
    description: str = Field("", max_length=20_000)
    queue: int = Field(description="Department id of the queue.")
    priority: TicketPriority = TicketPriority.NORMAL
    channel: Literal["email", "sms", "phone", "chat", "portal", "webform"] = "portal"


class TicketPatch(InputSchema):
    status: TicketStatus | None = None
    priority: TicketPriority | None = None
    queue: int | None = Field(None, description="Department id of the queue to hand it to.")
    first_response: bool = Field(False, description="True: an agent has answered the customer.")


def _tickets(request: HttpRequest, action: str = "view") -> Any:
    return ticket_selectors.tickets_visible_to(api_user(request), action).select_related(
        "customer", "queue", "assignee"
    )


@tickets_router.get("", response=TicketPage, summary="List tickets")
@require_scope(ApiScope.TICKETS_READ)
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    """Tickets the caller may see (their own and their queues'), newest first."""
    qs = _tickets(request)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.open is not None:
        open_statuses = [TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING]
        qs = (
            qs.filter(status__in=open_statuses)
            if filters.open
            else qs.exclude(status__in=open_statuses)
        )
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.queue is not None:
        qs = qs.filter(queue_id=filters.queue)
    if filters.breached is not None:
        qs = qs.filter(resolution_breached=filters.breached)
    return paginate(qs, filters, TICKET_ORDERING)


@tickets_router.post("", response={201: TicketOut}, summary="Open a ticket")
@require_scope(ApiScope.TICKETS_WRITE)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    """Opened under the customer's agreement that covers it, with its SLA clock started."""
    user = api_user(request)
    if not can(user, TICKET_OBJECT_TYPE, "add"):
        raise HttpError(403, "You may not open tickets.")
    customer = get_customer_for(user, payload.customer)
    queue = get_object_or_404(Department, pk=payload.queue, is_active=True)
    ticket = ticket_services.open_ticket(
        actor=user,
        customer=customer,
        subject=payload.subject,
        description=payload.description,
        queue=queue,
        priority=payload.priority,
        channel=payload.channel,
    )
    return Status(201, ticket)


@tickets_router.get("/{ticket_id}", response=TicketOut, summary="Read a ticket")
@require_scope(ApiScope.TICKETS_READ)
def read_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    return get_for(api_user(request), _tickets(request), ticket_id)


@tickets_router.patch("/{ticket_id}", response=TicketOut, summary="Change a ticket's status")
@require_scope(ApiScope.TICKETS_WRITE)
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketPatch) -> Any:
    """`pending` stops the SLA clock until the ticket moves on; `first_response` records
    that the customer has been answered. Another `priority` or `queue` can bring another
    SLA policy: the due times are then recalculated from the ticket's start."""
    user = api_user(request)
    ticket = get_for(user, _tickets(request, "change"), ticket_id, "change")
    if payload.priority is not None or payload.queue is not None:
        queue = None
        if payload.queue is not None:
            queue = get_object_or_404(Department, pk=payload.queue, is_active=True)
        ticket = ticket_services.change_ticket(
            ticket, actor=user, priority=payload.priority, queue=queue
        )
    if payload.first_response:
        ticket = ticket_services.record_first_response(ticket, actor=user)
    if payload.status is not None:
        ticket = ticket_services.set_status(ticket, actor=user, status=payload.status)
    return _full_ticket(ticket)


class TicketMessageOut(Schema):
    id: int
    kind: Literal["customer", "reply", "note"] = Field(
        description="customer: the customer wrote; reply: sent to the customer; note: "
        "internal, never sent."
    )
    channel: str
    status: str = Field(description="queued, sent, suppressed (no consent: not sent), note…")
    author: UserRef | None
    subject: str
    body: str
    created_at: dt.datetime
    sent_at: dt.datetime | None

    @staticmethod
    def resolve_kind(obj: Any) -> str:
        if obj.direction == "inbound":
            return "customer"
        return "note" if obj.direction == "internal" else "reply"


class ReplyIn(InputSchema):
    body: str = Field(min_length=1, max_length=100_000)
    status: TicketStatus | None = Field(None, description="Move the ticket too (often pending).")


class NoteIn(InputSchema):
    body: str = Field(min_length=1, max_length=100_000)


@tickets_router.get(
    "/{ticket_id}/messages", response=list[TicketMessageOut], summary="A ticket's thread"
)
@require_scope(ApiScope.TICKETS_READ)
def ticket_messages(request: HttpRequest, ticket_id: int) -> Any:
    """The customer's messages, the replies and the internal notes, oldest first."""
    return ticket_selectors.thread(get_ticket_for(api_user(request), ticket_id))


@tickets_router.post(
    "/{ticket_id}/replies", response={201: TicketMessageOut}, summary="Reply to the customer"
)
@require_scope(ApiScope.TICKETS_WRITE)
def reply_on_ticket(request: HttpRequest, ticket_id: int, payload: ReplyIn) -> Any:
    """Sent on the ticket's channel in the customer's language and counted as the first
    response; kept with status `suppressed` and not sent when the customer withdrew
    service messages on that channel."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id, "change")
    message = ticket_services.reply_to_customer(
        ticket, actor=user, body=payload.body, status=payload.status or ""
    )
    return Status(201, message)


@tickets_router.post(
    "/{ticket_id}/notes", response={201: TicketMessageOut}, summary="Add an internal note"
)
@require_scope(ApiScope.TICKETS_WRITE)
def note_on_ticket(request: HttpRequest, ticket_id: int, payload: NoteIn) -> Any:
    """For colleagues only: never sent, never on the customer's timeline."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id, "change")
    return Status(201, ticket_services.add_internal_note(ticket, actor=user, body=payload.body))


# --- macros, merge, split, watchers ---------------------------------------------------------


class MacroOut(Schema):
    id: int
    title: str
    language: str
    body: str = Field(description="With `{{ placeholders }}`; filled when applied.")
    set_status: str = Field(description="Empty: leaves the status.")
    set_priority: int | None
    set_queue_id: int | None


class MacroAppliedOut(Schema):
    ticket: TicketOut
    text: str = Field(description="The macro's text filled for this ticket, to send as a reply.")


class MergeIn(InputSchema):
    into: int = Field(description="Id of the ticket that stays; this one is closed into it.")


class SplitIn(InputSchema):
    message: int = Field(description="Id of a customer message or reply of this ticket.")
    subject: str = Field("", max_length=255, description="Empty: the message's subject.")


class WatcherIn(InputSchema):
    user: int | None = Field(None, description="Empty: the caller.")


def _full_ticket(ticket: Ticket) -> Ticket:
    # Read without the caller's visibility: a ticket handed to another queue (by a change
    # or a macro) is still answered with what became of it.
    return Ticket.objects.select_related("customer", "queue", "assignee").get(pk=ticket.pk)


@tickets_router.get("/{ticket_id}/macros", response=list[MacroOut], summary="Macros for a ticket")
@require_scope(ApiScope.TICKETS_READ)
def ticket_macros(request: HttpRequest, ticket_id: int) -> Any:
    """The macros the caller may use on this ticket, in the customer's language."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id)
    return ticket_selectors.macros_for(
        user, language=ticket_services.customer_language(ticket.customer)
    )


@tickets_router.post(
    "/{ticket_id}/macros/{macro_id}/apply",
    response=MacroAppliedOut,
    summary="Apply a macro",
)
@require_scope(ApiScope.TICKETS_WRITE)
def apply_ticket_macro(request: HttpRequest, ticket_id: int, macro_id: int) -> Any:
    """Makes the macro's changes (status, priority, queue — the SLA follows) and returns
    its text for the reply; nothing is sent."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id, "change")
    macro = get_object_or_404(ticket_selectors.macros_for(user), pk=macro_id)
    ticket, text = macros.apply_macro(ticket, macro, actor=user)
    return {"ticket": _full_ticket(ticket), "text": text}


@tickets_router.post("/{ticket_id}/merge", response=TicketOut, summary="Merge into another")
@require_scope(ApiScope.TICKETS_WRITE)
def merge_ticket(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Any:
    """Closes this ticket into `into` (same customer), moving its thread there; replies to
    its email thread land on `into` from then on. Answers with the ticket that stays."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id, "change")
    into = get_ticket_for(user, payload.into, "change")
    return _full_ticket(ticket_services.merge_tickets(ticket, into=into, actor=user))


@tickets_router.post("/{ticket_id}/split", response={201: TicketOut}, summary="Split a message off")
@require_scope(ApiScope.TICKETS_WRITE)
def split_ticket(request: HttpRequest, ticket_id: int, payload: SplitIn) -> Any:
    """Opens a child ticket from one message of this ticket, with its own SLA clock."""
    user = api_user(request)
    ticket = get_ticket_for(user, ticket_id, "change")
    message = get_object_or_404(ticket_selectors.splittable(ticket), pk=payload.message)
    child = ticket_services.split_ticket(
        ticket, message=message, subject=payload.subject, actor=user
    )
    return Status(201, _full_ticket(child))


@tickets_router.get("/{ticket_id}/watchers", response=list[UserRef], summary="Watchers")
@require_scope(ApiScope.TICKETS_READ)
def ticket_watchers(request: HttpRequest, ticket_id: int) -> Any:
    return ticket_selectors.watchers(get_ticket_for(api_user(request), ticket_id))


def _watcher(request: HttpRequest, ticket: Ticket, user_id: int | None) -> Any:
    """The caller, or a colleague who may see the ticket (adding or removing others needs
    the right to change it)."""
    user = api_user(request)
    if user_id is None or user_id == user.pk:
        return user
    get_ticket_for(user, ticket.pk, "change")
    colleague = get_object_or_404(User, pk=user_id, is_active=True)
    if not ticket_selectors.tickets_visible_to(colleague).filter(pk=ticket.pk).exists():
        raise ValidationError(
            {"user": _("This colleague may not see the ticket, so cannot watch it.")}
        )
    return colleague


@tickets_router.post(
    "/{ticket_id}/watchers", response={201: list[UserRef]}, summary="Add a watcher"
)
@require_scope(ApiScope.TICKETS_WRITE)
def add_ticket_watcher(request: HttpRequest, ticket_id: int, payload: WatcherIn) -> Any:
    """Their desk gets each public reply and status change; answers with all watchers."""
    ticket = get_ticket_for(api_user(request), ticket_id)
    ticket_services.watch_ticket(ticket, user=_watcher(request, ticket, payload.user))
    return Status(201, ticket_selectors.watchers(ticket))


@tickets_router.delete(
    "/{ticket_id}/watchers/{user_id}", response={204: None}, summary="Remove a watcher"
)
@require_scope(ApiScope.TICKETS_WRITE)
def remove_ticket_watcher(request: HttpRequest, ticket_id: int, user_id: int) -> Any:
    ticket = get_ticket_for(api_user(request), ticket_id)
    ticket_services.unwatch_ticket(ticket, user=_watcher(request, ticket, user_id))
    return Status(204, None)
