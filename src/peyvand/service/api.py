"""REST endpoints of the service app: the knowledge base for staff (mounted at /kb) and for
the public (mounted at /public/kb: published public articles only, no authentication)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from peyvand.access.choices import ApiScope
from peyvand.core.api.auth import api_user, require_scope
from peyvand.core.api.schemas import InputSchema
from peyvand.service.access import get_article_for, get_public_article, require_kb
from peyvand.service.choices import ArticleStatus, ArticleVisibility
from peyvand.service.kb import selectors, services
from peyvand.service.models import Article, ArticleCategory

router = Router(tags=["knowledge base"])
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
    translations: dict[str, int] = Field(description="Language → id of each translation.")
    helpful_count: int
    not_helpful_count: int
    deflection_count: int
    published_at: dt.datetime | None


class PublicArticleOut(Schema):
    id: int
    language: str
    title: str
    summary: str
    body: str = Field(description="Sanitised HTML.")
    translations: dict[str, int]


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


def _article_out(article: Article) -> dict[str, Any]:
    return {
        **{f: getattr(article, f) for f in ArticleOut.model_fields if hasattr(article, f)},
        "translations": _translations(article),
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


@public_router.get("/articles/search", response=list[ArticleSummaryOut], summary="Search help")
def public_search(request: HttpRequest, params: Query[SearchParams]) -> Any:
    """Published public articles only; internal ones are never returned here."""
    return selectors.search_public(params.q, language=params.language, limit=params.limit)


@public_router.get("/articles/{article_id}", response=PublicArticleOut, summary="Read help")
def public_article(request: HttpRequest, article_id: int) -> Any:
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
    }


@public_router.post("/articles/{article_id}/feedback", response={204: None}, summary="Rate help")
def public_feedback(request: HttpRequest, article_id: int, payload: FeedbackIn) -> Any:
    services.record_feedback(
        get_public_article(article_id), helpful=payload.helpful, comment=payload.comment
    )
    return Status(204, None)


@public_router.post(
    "/articles/{article_id}/solved", response={204: None}, summary="This solved my problem"
)
def public_solved(request: HttpRequest, article_id: int) -> Any:
    """Counted as a ticket avoided (deflection)."""
    services.record_deflection(get_public_article(article_id))
    return Status(204, None)
