"""Read side of the knowledge base: search for agents and for the public, suggestions for a
ticket's text, an article's translations and history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from peyvand.access.scopes import can
from peyvand.service.choices import ArticleStatus, ArticleVisibility
from peyvand.service.kb.search import matching_ids
from peyvand.service.models import Article
from peyvand.service.models.kb import OBJECT_TYPE

PUBLIC = [ArticleVisibility.PUBLIC.value]
EVERYONE = [ArticleVisibility.PUBLIC.value, ArticleVisibility.INTERNAL.value]
PUBLISHED = [ArticleStatus.PUBLISHED.value]


def _in_order(ids: list[int]) -> list[Article]:
    found = Article.objects.select_related("category").in_bulk(ids)
    return [found[i] for i in ids if i in found]


def search_public(query: str, *, language: str | None = None, limit: int = 10) -> list[Article]:
    """Published public articles only: what customers and anonymous visitors may read."""
    return _in_order(
        matching_ids(query, statuses=PUBLISHED, visibilities=PUBLIC, language=language, limit=limit)
    )


def search_for_staff(
    user: Any,
    query: str,
    *,
    language: str | None = None,
    include_unpublished: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> list[Article]:
    if not can(user, OBJECT_TYPE, "view"):
        return []
    statuses = list(ArticleStatus.values) if include_unpublished else PUBLISHED
    return _in_order(
        matching_ids(
            query,
            statuses=statuses,
            visibilities=EVERYONE,
            language=language,
            limit=limit,
            offset=offset,
        )
    )


def _suggest(text: str, search: Callable[[str], list[Article]]) -> list[Article]:
    # The best matches for the longest words of the text: every word of a whole message
    # rarely appears in one article.
    words = sorted({w for w in text.split() if len(w) > 3}, key=len, reverse=True)[:3]
    seen: dict[int, Article] = {}
    for word in words:
        for article in search(word):
            seen.setdefault(article.pk, article)
    return list(seen.values())[:5]


def suggest_for_text(user: Any, text: str, *, language: str | None = None) -> list[Article]:
    """Articles an agent might insert into a reply to the ticket's text."""
    return _suggest(text, lambda word: search_for_staff(user, word, language=language, limit=5))


def suggest_public(text: str, *, language: str | None = None) -> list[Article]:
    """Published public articles for what a customer is about to ask (portal deflection)."""
    return _suggest(text, lambda word: search_public(word, language=language, limit=5))


def translations_of(article: Article) -> QuerySet[Article]:
    return Article.objects.filter(translation_group=article.translation_group).exclude(
        pk=article.pk
    )


def articles_for_list(
    user: Any, *, status: str = "", language: str = "", category_id: int | None = None
) -> QuerySet[Article]:
    if not can(user, OBJECT_TYPE, "view"):
        return Article.objects.none()
    qs = Article.objects.select_related("category", "author").defer("body", "search_text")
    if status:
        qs = qs.filter(status=status)
    if language:
        qs = qs.filter(language=language)
    if category_id:
        qs = qs.filter(category_id=category_id)
    return qs
