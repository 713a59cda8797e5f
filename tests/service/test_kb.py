"""Knowledge base: Persian/English search with letter variants and ZWNJ, the review
workflow and who may publish, versions and translations, sanitised bodies, the public and
staff API, and the staff screens in both languages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from peyvand.service.choices import ArticleStatus, ArticleVisibility
from peyvand.service.kb import selectors, services
from peyvand.service.models import Article, ArticleVersion
from tests.api.conftest import problem_of
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db(transaction=True)


def publish(author: Any, reviewer: Any, **values: Any) -> Article:
    values.setdefault("language", "fa")
    values.setdefault("visibility", ArticleVisibility.PUBLIC)
    article = services.save_article(None, actor=author, **values)
    services.transition(article, actor=author, action="submit")
    return services.transition(article, actor=reviewer, action="publish")


@pytest.fixture
def printer_article(service1: Any, manager: Any) -> Article:
    return publish(
        service1,
        manager,
        title="راهنمای نصب چاپگر کیهان",
        body="<p>اگر چاپگر کار نمی‌کند، کابل را بررسی کنید. ۳ بار امتحان کنید.</p>",
    )


@pytest.mark.parametrize(
    "query",
    [
        "چاپگر کیهان",  # as written (ی, ک)
        "چاپگر كيهان",  # Arabic keyboard: ي and ك
        "نمی‌کند",  # with ZWNJ
        "نمیکند",  # without
        "نمي‌كند",  # Arabic letters and ZWNJ together
        "کابل",
        "کاب",  # prefix of the last word
        "3 بار",  # Persian digits in the text, Latin in the query
    ],
)
def test_persian_search_finds_the_article_whatever_the_spelling(
    printer_article: Article, query: str
) -> None:
    assert [a.pk for a in selectors.search_public(query)] == [printer_article.pk]


def test_search_ranks_title_matches_first_and_needs_every_word(service1: Any, manager: Any) -> None:
    in_body = publish(
        service1, manager, language="en", title="Billing FAQ", body="<p>Reset a router.</p>"
    )
    in_title = publish(
        service1, manager, language="en", title="Router reset", body="<p>Hold the button.</p>"
    )
    assert [a.pk for a in selectors.search_public("router")] == [in_title.pk, in_body.pk]
    assert [a.pk for a in selectors.search_public("router billing")] == [in_body.pk]
    assert selectors.search_public("router", language="fa") == []
    assert selectors.search_public("") == [] and selectors.search_public("!!! ''") == []


def test_public_search_never_returns_internal_or_unpublished(service1: Any, manager: Any) -> None:
    internal = publish(
        service1,
        manager,
        title="Escalation phone tree",
        body="<p>Internal numbers</p>",
        language="en",
        visibility=ArticleVisibility.INTERNAL,
    )
    draft = services.save_article(
        None, actor=service1, title="Escalation draft", body="<p>x</p>", language="en",
        visibility=ArticleVisibility.PUBLIC,
    )  # fmt: skip
    assert selectors.search_public("escalation") == []
    staff = [a.pk for a in selectors.search_for_staff(service1, "escalation")]
    assert staff == [internal.pk]
    everything = selectors.search_for_staff(service1, "escalation", include_unpublished=True)
    assert {a.pk for a in everything} == {internal.pk, draft.pk}
    client = Client()
    assert client.get(f"/api/v1/public/kb/articles/{internal.pk}").status_code == 404
    assert client.get(f"/api/v1/public/kb/articles/{draft.pk}").status_code == 404
    found = client.get("/api/v1/public/kb/articles/search", {"q": "escalation"}).json()
    assert found == []


def test_review_workflow_and_who_may_publish(service1: Any, sales1: Any, manager: Any) -> None:
    article = services.save_article(
        None, actor=service1, title="Warranty", body="<p>Two years.</p>", language="en"
    )
    with pytest.raises(PermissionDenied):
        services.save_article(None, actor=sales1, title="x", body="<p>x</p>", language="en")
    services.transition(article, actor=service1, action="submit")
    with pytest.raises(PermissionDenied):  # no publish right
        services.transition(article, actor=service1, action="publish")
    with pytest.raises(ValidationError):  # already in review
        services.transition(article, actor=service1, action="submit")
    published = services.transition(article, actor=manager, action="publish")
    assert published.status == ArticleStatus.PUBLISHED and published.reviewed_by == manager
    assert published.published_at is not None


def test_versions_follow_content_and_bodies_are_sanitised(service1: Any) -> None:
    article = services.save_article(
        None,
        actor=service1,
        title="Reset <b>guide</b>",
        body='<p onclick="steal()">Hi<script>alert(1)</script> <a href="javascript:x()">x</a></p>',
        language="en",
    )
    assert "script" not in article.body and "onclick" not in article.body
    assert "javascript:" not in article.body
    services.save_article(article, actor=service1, visibility=ArticleVisibility.PUBLIC)
    article.refresh_from_db()
    assert article.version == 1  # visibility is not content
    services.save_article(article, actor=service1, body="<p>New text</p>")
    article.refresh_from_db()
    assert article.version == 2
    assert list(
        ArticleVersion.objects.filter(article=article).values_list("version", flat=True)
    ) == [2, 1]
    with pytest.raises(ValidationError) as exc:
        services.save_article(article, actor=service1, title="  ", body="<script></script>")
    assert set(exc.value.message_dict) == {"title", "body"}
    article.refresh_from_db()
    assert article.body == "<p>New text</p>"


def test_translations_are_linked_once_per_language(service1: Any) -> None:
    english = services.save_article(
        None, actor=service1, title="Returns", body="<p>30 days</p>", language="en"
    )
    persian = services.add_translation(
        english, actor=service1, title="مرجوعی", body="<p>۳۰ روز</p>", language="fa"
    )
    assert persian.translation_group == english.translation_group
    assert list(selectors.translations_of(english)) == [persian]
    with pytest.raises(ValidationError):
        services.add_translation(
            english, actor=service1, title="again", body="<p>x</p>", language="fa"
        )


def test_public_feedback_and_deflection_are_counted(printer_article: Article) -> None:
    client = Client()
    url = f"/api/v1/public/kb/articles/{printer_article.pk}"
    body = client.get(url).json()
    assert body["title"] == printer_article.title and body["translations"] == {}
    assert client.post(
        f"{url}/feedback", {"helpful": False, "comment": "<img src=x onerror=alert(1)>"},
        content_type="application/json",
    ).status_code == 204  # fmt: skip
    assert client.post(f"{url}/solved").status_code == 204
    printer_article.refresh_from_db()
    assert (printer_article.not_helpful_count, printer_article.deflection_count) == (1, 1)
    bad = client.post(f"{url}/feedback", {"helpful": "maybe"}, content_type="application/json")
    problem_of(bad, 422)


def test_staff_api_search_create_and_refusals(
    api_client: Any, service1: Any, sales1: Any, manager: Any, printer_article: Article
) -> None:
    agent = api_client(service1)
    hits = agent.get("/api/v1/kb/articles/search", {"q": "چاپگر"}).json()
    assert [h["id"] for h in hits] == [printer_article.pk]
    created = agent.post(
        "/api/v1/kb/articles",
        {"title": "Modem lights", "body": "<p>Green is fine</p>", "language": "en"},
        content_type="application/json",
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    refused = api_client(sales1).post(
        "/api/v1/kb/articles",
        {"title": "x", "body": "<p>x</p>", "language": "en"},
        content_type="application/json",
    )
    problem_of(refused, 404)
    own = agent.post(
        f"/api/v1/kb/articles/{created.json()['id']}/transition",
        {"action": "publish"},
        content_type="application/json",
    )
    assert own.status_code == 403
    empty = agent.post(
        "/api/v1/kb/articles", {"title": "", "body": "", "language": "en"},
        content_type="application/json",
    )  # fmt: skip
    assert problem_of(empty, 422)
    scoped = api_client(service1, scopes=["customers:read"])
    assert scoped.get("/api/v1/kb/articles/search", {"q": "x"}).status_code == 403


def test_screens_in_english_and_persian_escape_titles(
    client_for: Any, service1: Any, manager: Any
) -> None:
    publish(
        service1,
        manager,
        title='<script>alert("t")</script> چاپگر',
        body="<p>متن</p>",
    )
    client = client_for(service1)
    listing = client.get("/service/kb/")
    assert listing.status_code == 200
    assert b'<script>alert("t")' not in listing.content and b"&lt;script&gt;" in listing.content
    speak_persian(service1)
    found = client_for(service1).get("/service/kb/", {"q": "چاپگر"})
    assert "پایگاه دانش".encode() in found.content
    assert client_for(service1).get("/service/kb/new/").status_code == 200


def test_screens_are_hidden_from_staff_without_a_grant(
    client_for: Any, personas: dict[str, Any]
) -> None:
    from peyvand.access.models import Role

    role = Role.objects.get(code="sales_rep")
    role.permissions.pop("kb_article", None)
    role.save()
    client = client_for(personas["sales2"])
    assert client.get("/service/kb/").status_code == 404
