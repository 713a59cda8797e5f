"""Community API for staff: threads (list, detail with every post), the moderation queue and
moderation, with the token's scope and the user's rights both required."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.portal.community import services
from peyvand.portal.models import ForumPost, ForumThread
from peyvand.portal.models.community import PostStatus
from tests.api.conftest import problem_of

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def test_list_and_read_threads(
    api_client: Any, service1: Any, question: ForumThread, other_product: Any, bob: Any
) -> None:
    waiting = services.start_thread(customer=bob, product=other_product, title=XSS, body=XSS)
    client = api_client(service1, scopes=["community:read"])
    listed = client.get("/api/v1/community/threads")
    assert listed.status_code == 200
    body = listed.json()
    # Newest activity first (the oldest is the thread that made Alice a trusted author).
    assert [t["id"] for t in body["items"]][:2] == [waiting.pk, question.pk]
    assert body["items"][0]["title"] == XSS  # plain text in JSON; pages escape it
    only = client.get("/api/v1/community/threads", {"product": other_product.pk}).json()
    assert [t["id"] for t in only["items"]] == [waiting.pk]
    paged = client.get("/api/v1/community/threads", {"limit": 1}).json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = client.get(
        "/api/v1/community/threads", {"limit": 1, "cursor": paged["next_cursor"]}
    ).json()
    assert [t["id"] for t in rest["items"]] == [question.pk]
    assert len(body["items"]) == 3

    detail = client.get(f"/api/v1/community/threads/{waiting.pk}").json()
    assert detail["product"]["sku"] == "KEY-CAM"
    assert [(p["is_opening"], p["status"]) for p in detail["posts"]] == [(True, "pending")]
    problem_of(client.get("/api/v1/community/threads/999999"), 404)


def test_queue_and_moderation(
    api_client: Any, service1: Any, question: ForumThread, bob: Any
) -> None:
    waiting = services.reply(question, body="hello https://spam.example", customer=bob)
    reader = api_client(service1, scopes=["community:read"])
    queue = reader.get("/api/v1/community/moderation", {"reason": "link"}).json()
    assert [p["id"] for p in queue["items"]] == [waiting.pk]
    assert queue["items"][0]["moderation_reason"] == "link"
    problem_of(
        reader.post(
            f"/api/v1/community/posts/{waiting.pk}/moderate",
            {"action": "approve"},
            content_type="application/json",
        ),
        403,
    )

    writer = api_client(service1, scopes=["community:write"])
    url = f"/api/v1/community/posts/{waiting.pk}/moderate"
    approved = writer.post(url, {"action": "approve"}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["status"] == "published"
    again = writer.post(url, {"action": "approve"}, content_type="application/json")
    assert "cannot be moved" in problem_of(again, 422)["errors"][0]["message"]
    problem_of(writer.post(url, {"action": "delete"}, content_type="application/json"), 422)
    assert (
        writer.post(url, {"action": "hide"}, content_type="application/json").json()["status"]
        == "hidden"
    )
    assert ForumPost.objects.get(pk=waiting.pk).status == PostStatus.HIDDEN


def test_staff_without_community_rights_get_404(
    api_client: Any, sales1: Any, marketing1: Any, question: ForumThread
) -> None:
    post = question.posts.get(is_opening=True)
    sales = api_client(sales1)
    problem_of(sales.get("/api/v1/community/threads"), 404)
    problem_of(sales.get(f"/api/v1/community/threads/{question.pk}"), 404)
    problem_of(sales.get("/api/v1/community/moderation"), 404)
    # Marketing reads the forums but does not moderate them.
    marketing = api_client(marketing1)
    assert marketing.get("/api/v1/community/threads").status_code == 200
    problem_of(marketing.get("/api/v1/community/moderation"), 404)
    problem_of(
        marketing.post(
            f"/api/v1/community/posts/{post.pk}/moderate", {"action": "hide"},
            content_type="application/json",
        ),
        404,
    )  # fmt: skip
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED
