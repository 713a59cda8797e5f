"""Staff screens of the knowledge base: search and list, read (with translations, versions
and feedback), write and translate, and the review workflow."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can
from peyvand.channels.downloads import attachment_response
from peyvand.core.problems import add_form_errors
from peyvand.service.access import get_article_for, require_kb
from peyvand.service.forms import ArticleForm, CategoryForm, SearchForm
from peyvand.service.kb import selectors, services
from peyvand.service.models import Article
from peyvand.service.models.kb import OBJECT_TYPE

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def article_list(request: HttpRequest) -> HttpResponse:
    require_kb(request.user)
    user = request.user
    category_form = (
        CategoryForm(request.POST or None) if can(user, OBJECT_TYPE, "publish") else None
    )
    if request.method == "POST":
        if category_form is None:
            raise PermissionDenied
        if category_form.is_valid():
            services.add_category(actor=user, **category_form.cleaned_data)
            messages.success(request, _("Category added."))
            return redirect("service:kb_list")
    form = SearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    query = data.get("q") or ""
    category = data.get("category")
    if query:
        # Search results are ranked, not paged by the list's order: one page of the best.
        results = selectors.search_for_staff(
            user, query, language=data.get("language") or None, include_unpublished=True, limit=50
        )
        page = None
    else:
        qs = selectors.articles_for_list(
            user,
            status=data.get("status") or "",
            language=data.get("language") or "",
            category_id=category.pk if category else None,
        )
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        results = list(page.object_list)
    return render(
        request,
        "service/kb/article_list.html",
        {
            "form": form,
            "query": query,
            "articles": results,
            "page": page,
            "may_add": can(user, OBJECT_TYPE, "add"),
            "category_form": category_form,
        },
    )


@login_required
@require_GET
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for(request.user, pk)
    user = request.user
    return render(
        request,
        "service/kb/article_detail.html",
        {
            "article": article,
            "translations": list(selectors.translations_of(article)),
            "versions": list(article.versions.select_related("author")[:20]),
            "feedback": list(article.feedback.all()[:20]),
            "attachments": list(article.attachments.all()),
            "max_attachment_bytes": settings.PEYVAND_MAX_ATTACHMENT_BYTES,
            "may_change": can(user, OBJECT_TYPE, "change"),
            "may_publish": can(user, OBJECT_TYPE, "publish"),
            "actions": [
                a for a, (sources, _t) in services.WORKFLOW.items() if article.status in sources
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def article_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    article = get_article_for(user, pk, "change") if pk else None
    original: Article | None = None
    if article is None and request.GET.get("translation_of"):
        original = get_article_for(user, request.GET["translation_of"])
    require_kb(user, "change" if article else "add")
    initial: dict[str, Any] = {}
    if article is not None:
        initial = {
            f: getattr(article, f)
            for f in ("title", "summary", "body", "language", "visibility", "category")
        }
    elif original is not None:
        initial = {
            "language": "en" if original.language == "fa" else "fa",
            "visibility": original.visibility,
            "category": original.category,
        }
    form = ArticleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if original is not None:
                saved = services.add_translation(original, actor=user, **form.values())
            else:
                saved = services.save_article(article, actor=user, **form.values())
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("service:kb_detail", pk=saved.pk)
    return render(
        request,
        "service/kb/article_form.html",
        {"form": form, "article": article, "original": original},
    )


@login_required
@require_POST
def article_transition(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for(request.user, pk)
    try:
        services.transition(article, actor=request.user, action=request.POST.get("action", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this in the knowledge base."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("service:kb_detail", pk=article.pk)


@login_required
@require_POST
def attachment_upload(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_article_for(request.user, pk, "change")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to attach."))
        return redirect("service:kb_detail", pk=article.pk)
    try:
        services.add_attachment(article, upload, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("File attached."))
    return redirect("service:kb_detail", pk=article.pk)


@login_required
@require_GET
def attachment_download(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    article = get_article_for(request.user, pk)
    attachment = get_object_or_404(article.attachments, pk=attachment_id)
    return attachment_response(
        attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )


@login_required
@require_POST
def attachment_delete(request: HttpRequest, pk: int, attachment_id: int) -> HttpResponse:
    article = get_article_for(request.user, pk, "change")
    attachment = get_object_or_404(article.attachments, pk=attachment_id)
    try:
        services.remove_attachment(attachment, actor=request.user)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("File removed."))
    return redirect("service:kb_detail", pk=article.pk)
