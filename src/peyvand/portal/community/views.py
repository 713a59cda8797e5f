"""The community in the portal: anyone reads the forums and the ideas board; a signed-in
customer (`request.portal_customer`) starts threads, replies, votes, reports abuse,
accepts an answer to their own question and proposes ideas."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.catalog.models import Product
from peyvand.portal.community import selectors, services
from peyvand.portal.community.forms import EditPostForm, IdeaForm, ReplyForm, ReportForm, ThreadForm
from peyvand.portal.models import ForumPost, ForumThread, Idea
from peyvand.portal.models.community import PostStatus
from peyvand.portal.session import current_customer, portal_login_required

THREADS_PER_PAGE = 20
POSTS_PER_PAGE = 20
IDEAS_PER_PAGE = 20
PRODUCTS_PER_PAGE = 30


def _product(product_id: int) -> Product:
    return get_object_or_404(Product.objects.sellable(), pk=product_id)


def posted_id(request: HttpRequest, name: str) -> int | None:
    """An id from the form, None when left out; anything but a number is a missing record."""
    raw = request.POST.get(name, "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return int(raw)


def add_errors(form: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _refused(request: HttpRequest, exc: Exception, to: str) -> HttpResponse:
    """A vote, report or acceptance the rules refuse: say why on the page it came from."""
    if isinstance(exc, ValidationError):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc))
    return redirect(to)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.community_products(), PRODUCTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "portal/community/index.html", {"page": page})


def _forum_page(
    request: HttpRequest, product: Product, form: ThreadForm | None, status: int = 200
) -> HttpResponse:
    page = Paginator(selectors.public_threads(product), THREADS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    customer = current_customer(request)
    return render(
        request,
        "portal/community/forum.html",
        {
            "product": product,
            "page": page,
            "customer": customer,
            "form": form or (ThreadForm() if customer else None),
        },
        status=status,
    )


@require_GET
def forum(request: HttpRequest, product_id: int) -> HttpResponse:
    return _forum_page(request, _product(product_id), None)


@require_POST
@portal_login_required
def thread_new(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product(product_id)
    form = ThreadForm(request.POST)
    if form.is_valid():
        try:
            thread = services.start_thread(
                customer=request.portal_customer,  # type: ignore[attr-defined]
                product=product,
                **form.cleaned_data,
            )
        except services.TooFast as exc:
            form.add_error(None, exc.message)
            return _forum_page(request, product, form, status=429)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            _say_if_waiting(request, thread.posts.get(is_opening=True))
            return redirect("portal:community:thread", pk=thread.pk)
    return _forum_page(request, product, form, status=400)


def _say_if_waiting(request: HttpRequest, post: ForumPost) -> None:
    if post.status == PostStatus.PENDING:
        messages.info(
            request, _("Thank you. A moderator will check your post before others see it.")
        )
    else:
        messages.success(request, _("Posted."))


def _thread_page(
    request: HttpRequest, thread: ForumThread, form: ReplyForm | None, status: int = 200
) -> HttpResponse:
    customer = current_customer(request)
    page = Paginator(selectors.visible_posts(thread, customer), POSTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/community/thread.html",
        {
            "thread": thread,
            "page": page,
            "customer": customer,
            "may_accept": services.may_accept(thread, customer=customer),
            "form": form or (ReplyForm() if customer else None),
            "report_form": ReportForm() if customer else None,
        },
        status=status,
    )


def _thread(request: HttpRequest, pk: int) -> ForumThread:
    thread = selectors.thread_for_reader(pk, current_customer(request))
    if thread is None:
        raise Http404
    return thread


@require_GET
def thread_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _thread_page(request, _thread(request, pk), None)


@require_POST
@portal_login_required
def thread_reply(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            post = services.reply(
                thread,
                body=form.cleaned_data["body"],
                customer=request.portal_customer,  # type: ignore[attr-defined]
            )
        except services.TooFast as exc:
            form.add_error(None, exc.message)
            return _thread_page(request, thread, form, status=429)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            _say_if_waiting(request, post)
            return redirect("portal:community:thread", pk=thread.pk)
    return _thread_page(request, thread, form, status=400)


@require_POST
@portal_login_required
def thread_accept(request: HttpRequest, pk: int) -> HttpResponse:
    thread = _thread(request, pk)
    post_id = posted_id(request, "post")
    post = selectors.public_post(post_id) if post_id is not None else None
    if post_id is not None and post is None:
        raise Http404
    try:
        services.accept_answer(thread, post, customer=request.portal_customer)  # type: ignore[attr-defined]
    except (ValidationError, PermissionDenied) as exc:
        return _refused(request, exc, thread.get_absolute_url())
    messages.success(request, _("Answer accepted.") if post else _("Answer cleared."))
    return redirect("portal:community:thread", pk=thread.pk)


@require_http_methods(["GET", "POST"])
@portal_login_required
def post_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    post = selectors.own_post(customer, pk)
    if post is None:
        raise Http404
    form = EditPostForm(
        request.POST or None, initial={"title": post.thread.title, "body": post.body}
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                saved = services.edit_post(post, customer=customer, **form.cleaned_data)
            except services.TooFast as exc:
                form.add_error(None, exc.message)
                status = 429
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                _say_if_waiting(request, saved)
                return redirect("portal:community:thread", pk=post.thread_id)
    return render(
        request, "portal/community/post_edit.html", {"post": post, "form": form}, status=status
    )


def _public_post_or_404(pk: int) -> ForumPost:
    post = selectors.public_post(pk)
    if post is None or selectors.thread_for_reader(post.thread_id) is None:
        raise Http404
    return post


@require_POST
@portal_login_required
def post_vote(request: HttpRequest, pk: int) -> HttpResponse:
    post = _public_post_or_404(pk)
    try:
        services.vote_post(post, customer=request.portal_customer)  # type: ignore[attr-defined]
    except (ValidationError, services.TooFast) as exc:
        return _refused(request, exc, post.thread.get_absolute_url())
    messages.success(request, _("Thank you for your vote."))
    return redirect(post.thread.get_absolute_url())


@require_POST
@portal_login_required
def post_report(request: HttpRequest, pk: int) -> HttpResponse:
    post = _public_post_or_404(pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(post.thread.get_absolute_url())
    try:
        services.report_post(
            post,
            customer=request.portal_customer,  # type: ignore[attr-defined]
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, services.TooFast) as exc:
        return _refused(request, exc, post.thread.get_absolute_url())
    messages.success(request, _("Thank you. A moderator will look at this post."))
    return redirect(post.thread.get_absolute_url())


def _ideas_page(
    request: HttpRequest, product: Product, form: IdeaForm | None, status: int = 200
) -> HttpResponse:
    customer = current_customer(request)
    page = Paginator(selectors.ideas_for_board(product, customer), IDEAS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "portal/community/ideas.html",
        {
            "product": product,
            "page": page,
            "customer": customer,
            "form": form or (IdeaForm() if customer else None),
        },
        status=status,
    )


@require_GET
def ideas(request: HttpRequest, product_id: int) -> HttpResponse:
    return _ideas_page(request, _product(product_id), None)


@require_POST
@portal_login_required
def idea_new(request: HttpRequest, product_id: int) -> HttpResponse:
    product = _product(product_id)
    form = IdeaForm(request.POST)
    if form.is_valid():
        try:
            services.propose_idea(
                customer=request.portal_customer,  # type: ignore[attr-defined]
                product=product,
                **form.cleaned_data,
            )
        except services.TooFast as exc:
            form.add_error(None, exc.message)
            return _ideas_page(request, product, form, status=429)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your idea."))
            return redirect("portal:community:ideas", product_id=product.pk)
    return _ideas_page(request, product, form, status=400)


@require_POST
@portal_login_required
def idea_vote(request: HttpRequest, pk: int) -> HttpResponse:
    idea = get_object_or_404(Idea.objects.filter(product__in=Product.objects.sellable()), pk=pk)
    to = f"{idea.get_absolute_url()}#idea-{idea.pk}"
    try:
        services.vote_idea(idea, customer=request.portal_customer)  # type: ignore[attr-defined]
    except (ValidationError, services.TooFast) as exc:
        return _refused(request, exc, to)
    messages.success(request, _("Thank you for your vote."))
    return redirect(to)


@require_POST
@portal_login_required
def idea_follow(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for an idea's status news (`follow=1`) or stop them."""
    idea = get_object_or_404(Idea.objects.filter(product__in=Product.objects.sellable()), pk=pk)
    following = request.POST.get("follow") == "1"
    services.follow_idea(
        idea,
        customer=request.portal_customer,  # type: ignore[attr-defined]
        following=following,
    )
    if following:
        messages.success(request, _("You will hear when this idea's status changes."))
    else:
        messages.success(request, _("You will no longer hear about this idea."))
    return redirect(f"{idea.get_absolute_url()}#idea-{idea.pk}")
