"""Knowledge-base attachments: the size limit, a hostile file name shown escaped and
served only as a download with nosniff, staff-only for internal articles, and the public
endpoint serving files of published public articles only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from peyvand.audit.models import ChangeLog
from peyvand.service.choices import ArticleVisibility
from peyvand.service.kb import services
from peyvand.service.models import Article, ArticleAttachment
from tests.api.conftest import problem_of

pytestmark = pytest.mark.django_db

HOSTILE = '<img src=x onerror=alert(1)>"evil".html'


def published(author: Any, reviewer: Any, visibility: str) -> Article:
    article = services.save_article(
        None,
        actor=author,
        title=f"Router reset ({visibility})",
        body="<p>Hold the button for ten seconds.</p>",
        language="en",
        visibility=visibility,
    )
    services.transition(article, actor=author, action="submit")
    return services.transition(article, actor=reviewer, action="publish")


@pytest.fixture
def public(service1: Any, manager: Any) -> Article:
    return published(service1, manager, ArticleVisibility.PUBLIC)


@pytest.fixture
def internal(service1: Any, manager: Any) -> Article:
    return published(service1, manager, ArticleVisibility.INTERNAL)


def attach(
    article: Article, actor: Any, name: str = "guide.pdf", data: bytes = b"%PDF-1.4 x"
) -> ArticleAttachment:
    return services.add_attachment(article, SimpleUploadedFile(name, data), actor=actor)


def test_size_limit_and_who_may_attach(
    public: Article, service1: Any, sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(ValidationError, match="larger than the limit"):
        attach(public, service1, data=b"x" * 11)
    with pytest.raises(ValidationError, match="empty"):
        attach(public, service1, data=b"")
    assert not ArticleAttachment.objects.exists()
    with pytest.raises(Exception, match="may not"):
        attach(public, sales1, data=b"small")  # sales may read the knowledge base, not write it
    stored = attach(public, service1, name="../../etc/passwd", data=b"small")
    assert stored.filename == "passwd" and not stored.file.name.endswith("passwd")
    assert ChangeLog.objects.filter(object_id=str(stored.pk)).exists()


def test_hostile_name_is_escaped_and_served_as_a_download(
    public: Article, service1: Any, client_for: Any
) -> None:
    stored = attach(public, service1, name=HOSTILE, data=b"<html><script>alert(1)</script></html>")
    page = client_for(service1).get(f"/service/kb/{public.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page
    download = client_for(service1).get(f"/service/kb/{public.pk}/attachments/{stored.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] in ("application/octet-stream", "text/plain")
    assert b"".join(download.streaming_content) == b"<html><script>alert(1)</script></html>"


def test_internal_files_never_reach_public_endpoints(
    public: Article,
    internal: Article,
    service1: Any,
    sales1: Any,
    manager: Any,
    client_for: Any,
    api_client: Any,
) -> None:
    open_file = attach(public, service1)
    staff_file = attach(internal, service1, name="internal-prices.pdf")
    anonymous = Client()
    ok = anonymous.get(f"/api/v1/public/kb/articles/{public.pk}/attachments/{open_file.pk}")
    assert ok.status_code == 200 and ok["Content-Disposition"].startswith("attachment;")
    assert ok["X-Content-Type-Options"] == "nosniff"
    listed = anonymous.get(f"/api/v1/public/kb/articles/{public.pk}").json()["attachments"]
    assert [a["id"] for a in listed] == [open_file.pk]
    problem_of(
        anonymous.get(f"/api/v1/public/kb/articles/{internal.pk}/attachments/{staff_file.pk}"), 404
    )
    # Another article's file id under the public article: not found either.
    problem_of(
        anonymous.get(f"/api/v1/public/kb/articles/{public.pk}/attachments/{staff_file.pk}"), 404
    )
    # Staff who may read the knowledge base see internal files; signed-out visitors do not.
    assert (
        client_for(sales1)
        .get(f"/service/kb/{internal.pk}/attachments/{staff_file.pk}/")
        .status_code
        == 200
    )
    staff_api = api_client(service1).get(f"/api/v1/kb/articles/{internal.pk}").json()
    assert [a["filename"] for a in staff_api["attachments"]] == ["internal-prices.pdf"]
    assert (
        anonymous.get(f"/service/kb/{internal.pk}/attachments/{staff_file.pk}/").status_code == 302
    )
    # A file id under another article is not found, even for staff.
    assert (
        client_for(sales1).get(f"/service/kb/{public.pk}/attachments/{staff_file.pk}/").status_code
        == 404
    )
    # Archived: the public article's file disappears from the public side too.
    services.transition(public, actor=manager, action="archive")
    problem_of(
        anonymous.get(f"/api/v1/public/kb/articles/{public.pk}/attachments/{open_file.pk}"), 404
    )


def test_upload_and_remove_through_the_screen(
    public: Article, service1: Any, sales1: Any, client_for: Any
) -> None:
    agent = client_for(service1)
    posted = agent.post(
        f"/service/kb/{public.pk}/attachments/",
        {"file": SimpleUploadedFile("steps.txt", b"1. unplug\n2. wait")},
    )
    assert posted.status_code == 302
    stored = ArticleAttachment.objects.get()
    assert stored.filename == "steps.txt"
    refused = client_for(sales1).post(
        f"/service/kb/{public.pk}/attachments/", {"file": SimpleUploadedFile("x.txt", b"x")}
    )
    assert refused.status_code == 404 and ArticleAttachment.objects.count() == 1
    assert (
        client_for(sales1)
        .post(f"/service/kb/{public.pk}/attachments/{stored.pk}/delete/")
        .status_code
        == 404
    )
    agent.post(f"/service/kb/{public.pk}/attachments/{stored.pk}/delete/")
    assert not ArticleAttachment.objects.exists()
