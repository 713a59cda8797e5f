"""Staff screens of the community: the moderation queue and hidden posts, every thread
with its posts (answer with the staff badge, accept an answer, approve, hide, restore),
and the ideas by product, most votes first, where product managers set the status."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.access.scopes import can
from peyvand.portal.community import selectors, services
from peyvand.portal.community.forms import (
    IdeaFilterForm,
    IdeaStatusForm,
    QueueFilterForm,
    ReplyForm,
    ThreadFilterForm,
)
from peyvand.portal.community.views import add_errors, posted_id
from peyvand.portal.models import ForumPost, ForumThread, Idea
from peyvand.portal.models.community import FORUM_OBJECT_TYPE, IDEA_OBJECT_TYPE

PAGE_SIZE = 25


def _require(user: Any, object_type: str, action: str = "view") -> None:
    if not can(user, object_type, action):
        raise Http404


def _filter_query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    _require(request.user, FORUM_OBJECT_TYPE, "moderate")
    form = QueueFilterForm(request.GET or None)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    hidden = request.GET.get("show") == "hidden"
    qs = (
        selectors.hidden_posts(request.user)
        if hidden
        else selectors.moderation_queue(request.user, reason=reason)
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/community/staff/queue.html",
        {"form": form, "page": page, "hidden": hidden, "query": _filter_query(request)},
    )


@login_required
@require_GET
def thread_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, FORUM_OBJECT_TYPE)
    form = ThreadFilterForm(request.GET or None)
    product = form.cleaned_data.get("product") if form.is_valid() else None
    qs = selectors.staff_threads(request.user, product_id=product.pk if product else None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/community/staff/thread_list.html",
        {"form": form, "page": page, "query": _filter_query(request)},
    )


def _thread_page(
    request: HttpRequest, thread: ForumThread, form: ReplyForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    page = Paginator(selectors.staff_posts(user, thread), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    may_answer = can(user, FORUM_OBJECT_TYPE, "add")
    return render(
        request,
        "portal/community/staff/thread.html",
        {
            "thread": thread,
            "page": page,
            "form": form or (ReplyForm() if may_answer else None),
            "may_moderate": can(user, FORUM_OBJECT_TYPE, "moderate"),
        },
        status=status,
    )


def _thread(user: Any, pk: int) -> ForumThread:
    _require(user, FORUM_OBJECT_TYPE)
    return get_object_or_404(ForumThread.objects.select_related("product", "customer"), pk=pk)


@login_required
@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, _thread(request.user, pk))


@login_required
@require_POST
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request.user, pk)
    _require(request.user, FORUM_OBJECT_TYPE, "add")
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.reply(thread, body=form.cleaned_data["body"], staff=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Posted."))
            return redirect("community:thread", pk=thread.pk)
    return _thread_page(request, thread, form, status=400)


@login_required
@require_POST
def thread_accept(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request.user, pk)
    _require(request.user, FORUM_OBJECT_TYPE, "moderate")
    post_id = posted_id(request, "post")
    post = get_object_or_404(ForumPost, pk=post_id, thread=thread) if post_id is not None else None
    try:
        services.accept_answer(thread, post, staff=request.user)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Answer accepted.") if post else _("Answer cleared."))
    return redirect("community:thread", pk=thread.pk)


@login_required
@require_POST
def post_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request.user, FORUM_OBJECT_TYPE, "moderate")
    post = get_object_or_404(ForumPost, pk=pk)
    try:
        services.moderate(post, actor=request.user, action=request.POST.get("action", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    nxt = request.POST.get("next")
    if nxt == "queue":
        return redirect("community:queue")
    return redirect("community:thread", pk=post.thread_id)


@login_required
@require_GET
def idea_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, IDEA_OBJECT_TYPE)
    form = IdeaFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    product = data.get("product")
    qs = selectors.staff_ideas(
        request.user, product_id=product.pk if product else None, status=data.get("status") or ""
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/community/staff/idea_list.html",
        {"form": form, "page": page, "query": _filter_query(request)},
    )


def _idea_page(
    request: HttpRequest, idea: Idea, form: IdeaStatusForm | None = None, status: int = 200
) -> HttpResponse:
    may_change = can(request.user, IDEA_OBJECT_TYPE, "change")
    voters = Paginator(
        idea.votes.select_related("customer").order_by("-created_at", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/community/staff/idea.html",
        {
            "idea": idea,
            "voters": voters,
            "form": form
            or (
                IdeaStatusForm(initial={"status": idea.status, "note": idea.status_note})
                if may_change
                else None
            ),
        },
        status=status,
    )


def _idea(user: Any, pk: int) -> Idea:
    _require(user, IDEA_OBJECT_TYPE)
    return get_object_or_404(
        Idea.objects.select_related("product", "customer", "status_changed_by"), pk=pk
    )


@login_required
@require_GET
def idea_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _idea_page(request, _idea(request.user, pk))


@login_required
@require_POST
def idea_status(request: HttpRequest, pk: int) -> HttpResponse:
    idea = _idea(request.user, pk)
    _require(request.user, IDEA_OBJECT_TYPE, "change")
    form = IdeaStatusForm(request.POST)
    if form.is_valid():
        try:
            services.set_idea_status(idea, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("community:idea", pk=idea.pk)
    return _idea_page(request, idea, form, status=400)
