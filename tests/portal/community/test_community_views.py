"""Community screens: anyone reads, only a signed-in customer posts; stored XSS in titles,
posts and ideas is escaped on every page that shows them (portal, staff, customer 360);
another customer's post answers 404; staff without community rights get 404; lists page."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.portal.community import services
from peyvand.portal.models import ForumPost, ForumThread, Idea
from peyvand.portal.models.community import PostStatus
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db

XSS_TITLE = '<script>alert("title")</script>'
XSS_BODY = '<img src=x onerror="alert(1)"><b>bold</b>'


@pytest.fixture
def unlimited(monkeypatch: Any) -> None:
    """For tests that build many posts as one customer: the posting limit is tested apart."""
    monkeypatch.setattr(services, "WRITES_PER_WINDOW", 10_000)


def test_anyone_reads_the_forum_and_the_thread(
    question: ForumThread, product: Any, client: Any
) -> None:
    forum = client.get(reverse("portal:community:forum", args=[product.pk]))
    assert forum.status_code == 200
    assert "Router drops Wi-Fi" in forum.content.decode()
    assert "Sign in to the portal to ask a question" in forum.content.decode()
    thread = client.get(reverse("portal:community:thread", args=[question.pk]))
    assert "Every night at 2." in thread.content.decode()
    index = client.get(reverse("portal:community:index"))
    assert "Keyhan router" in index.content.decode()


def test_a_waiting_question_is_only_its_authors(
    alice: Any, bob: Any, product: Any, client: Any, portal_client: Any
) -> None:
    thread = services.start_thread(customer=alice, product=product, title="New here", body="Hi")
    url = reverse("portal:community:thread", args=[thread.pk])
    assert client.get(url).status_code == 404
    assert portal_client(bob).get(url).status_code == 404
    page = portal_client(alice).get(url).content.decode()
    assert "Awaiting moderation" in page


def test_posting_needs_a_signed_in_customer(
    question: ForumThread, product: Any, client: Any
) -> None:
    before = ForumPost.objects.count()
    for url, data in (
        (reverse("portal:community:thread_new", args=[product.pk]), {"title": "t", "body": "b"}),
        (reverse("portal:community:thread_reply", args=[question.pk]), {"body": "b"}),
        (reverse("portal:community:idea_new", args=[product.pk]), {"title": "t"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:sign_in"))
    assert ForumPost.objects.count() == before and not Idea.objects.exists()


def test_a_customer_asks_replies_and_votes_through_the_portal(
    question: ForumThread, product: Any, bob: Any, trusted: Any, portal_client: Any
) -> None:
    trusted(bob)
    client = portal_client(bob)
    response = client.post(
        reverse("portal:community:thread_new", args=[product.pk]),
        {"title": "Camera pairing", "body": "How?"},
    )
    thread = ForumThread.objects.get(title="Camera pairing")
    assert response["Location"] == reverse("portal:community:thread", args=[thread.pk])
    client.post(reverse("portal:community:thread_reply", args=[question.pk]), {"body": "Same here"})
    assert question.posts.filter(customer=bob, status=PostStatus.PUBLISHED).exists()
    opening = question.posts.get(is_opening=True)
    vote_url = reverse("portal:community:post_vote", args=[opening.pk])
    client.post(vote_url)
    again = client.post(vote_url, follow=True)
    assert "already voted" in again.content.decode()
    opening.refresh_from_db()
    assert opening.vote_count == 1


def test_bad_input_is_answered_in_persian_and_changes_nothing(
    product: Any, alice: Any, portal_client: Any
) -> None:
    client = portal_client(alice)
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    response = client.post(
        reverse("portal:community:thread_new", args=[product.pk]), {"title": "", "body": ""}
    )
    assert response.status_code == 400
    assert "پر کردن این فیلد الزامی است" in response.content.decode()
    assert not ForumThread.objects.exists()


def test_posting_too_fast_says_when_to_come_back(
    question: ForumThread, bob: Any, trusted: Any, portal_client: Any, monkeypatch: Any
) -> None:
    trusted(bob)
    monkeypatch.setattr(services, "WRITES_PER_WINDOW", 1)
    client = portal_client(bob)
    url = reverse("portal:community:thread_reply", args=[question.pk])
    assert client.post(url, {"body": "one"}).status_code == 302
    response = client.post(url, {"body": "two"})
    assert response.status_code == 429
    assert "posting too fast" in response.content.decode()
    assert not question.posts.filter(body="two").exists()


def test_a_customer_cannot_edit_another_customers_post(
    question: ForumThread, alice: Any, bob: Any, portal_client: Any
) -> None:
    post = question.posts.get(is_opening=True)
    url = reverse("portal:community:post_edit", args=[post.pk])
    assert portal_client(bob).get(url).status_code == 404
    assert portal_client(bob).post(url, {"title": "x", "body": "pwned"}).status_code == 404
    post.refresh_from_db()
    assert post.body == "Every night at 2."
    response = portal_client(alice).post(url, {"title": "Router drops Wi-Fi", "body": "Fixed?"})
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.body == "Fixed?"


def test_the_author_accepts_an_answer_in_the_portal(
    question: ForumThread, alice: Any, bob: Any, trusted: Any, portal_client: Any
) -> None:
    trusted(bob)
    answer = services.reply(question, body="Reset it", customer=bob)
    url = reverse("portal:community:thread_accept", args=[question.pk])
    portal_client(bob).post(url, {"post": answer.pk})
    question.refresh_from_db()
    assert question.accepted_post is None
    assert portal_client(alice).post(url, {"post": "1 OR 1=1"}).status_code == 404
    portal_client(alice).post(url, {"post": answer.pk})
    question.refresh_from_db()
    assert question.accepted_post == answer
    page = portal_client(alice).get(reverse("portal:community:thread", args=[question.pk]))
    assert "Accepted answer" in page.content.decode()


def test_stored_xss_is_escaped_everywhere_it_is_shown(
    alice: Any, bob: Any, product: Any, trusted: Any, client: Any, client_for: Any,
    manager: Any, service1: Any,
) -> None:  # fmt: skip
    trusted(alice)
    thread = services.start_thread(customer=alice, product=product, title=XSS_TITLE, body=XSS_BODY)
    services.reply(thread, body=XSS_BODY, customer=bob)  # new author: in the queue
    idea = services.propose_idea(
        customer=alice, product=product, title=XSS_TITLE, description=XSS_BODY
    )
    services.vote_idea(idea, customer=bob)
    staff = client_for(manager)
    pages = [
        client.get(reverse("portal:community:forum", args=[product.pk])),
        client.get(reverse("portal:community:thread", args=[thread.pk])),
        client.get(reverse("portal:community:ideas", args=[product.pk])),
        staff.get(reverse("community:queue")),
        staff.get(reverse("community:thread_list")),
        staff.get(reverse("community:thread", args=[thread.pk])),
        staff.get(reverse("community:idea_list")),
        staff.get(reverse("community:idea", args=[idea.pk])),
        staff.get(reverse("customers:timeline", args=[alice.pk])),
        staff.get(reverse("customers:timeline", args=[bob.pk])),
    ]
    for response in pages:
        html = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html, response.request[
            "PATH_INFO"
        ]
        assert "&lt;script&gt;" in html or "&lt;img" in html, response.request["PATH_INFO"]


@pytest.mark.parametrize(
    "name",
    ["community:queue", "community:thread_list", "community:idea_list"],
)
def test_staff_without_community_rights_get_404(name: str, client_for: Any, sales1: Any) -> None:
    assert client_for(sales1).get(reverse(name)).status_code == 404


def test_each_staff_screen_refuses_who_must_be_refused(
    question: ForumThread, alice: Any, product: Any, client_for: Any, sales1: Any,
    marketing1: Any, service1: Any,
) -> None:  # fmt: skip
    post = question.posts.get(is_opening=True)
    idea = services.propose_idea(customer=alice, product=product, title="Dark mode", description="")
    sales = client_for(sales1)
    for url in (
        reverse("community:thread", args=[question.pk]),
        reverse("community:idea", args=[idea.pk]),
    ):
        assert sales.get(url).status_code == 404
    assert (
        sales.post(
            reverse("community:post_moderate", args=[post.pk]), {"action": "hide"}
        ).status_code
        == 404
    )
    assert (
        sales.post(reverse("community:thread_reply", args=[question.pk]), {"body": "x"}).status_code
        == 404
    )
    # Marketing decides on ideas but does not moderate; service moderates but does not decide.
    marketing = client_for(marketing1)
    assert marketing.get(reverse("community:queue")).status_code == 404
    assert (
        marketing.post(
            reverse("community:post_moderate", args=[post.pk]), {"action": "hide"}
        ).status_code
        == 404
    )
    status_url = reverse("community:idea_status", args=[idea.pk])
    assert client_for(service1).post(status_url, {"status": "planned"}).status_code == 404
    assert marketing.post(status_url, {"status": "planned", "note": "Soon"}).status_code == 302
    post.refresh_from_db()
    idea.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and idea.status == "planned"


def test_staff_moderate_answer_and_accept_from_the_staff_screens(
    question: ForumThread, bob: Any, client_for: Any, service1: Any
) -> None:
    waiting = services.reply(question, body="first post", customer=bob)
    staff = client_for(service1)
    queue = staff.get(reverse("community:queue")).content.decode()
    assert "first post" in queue and "First post of a new customer" in queue
    staff.post(
        reverse("community:post_moderate", args=[waiting.pk]),
        {"action": "approve", "next": "queue"},
    )
    waiting.refresh_from_db()
    assert waiting.status == PostStatus.PUBLISHED
    staff.post(
        reverse("community:thread_reply", args=[question.pk]), {"body": "Official fix: update."}
    )
    answer = question.posts.get(staff_author=service1)
    staff.post(reverse("community:thread_accept", args=[question.pk]), {"post": answer.pk})
    question.refresh_from_db()
    assert question.accepted_post == answer
    public = client_for(service1).get(reverse("portal:community:thread", args=[question.pk]))
    assert 'class="badge staff"' in public.content.decode()
    staff.post(reverse("community:post_moderate", args=[waiting.pk]), {"action": "hide"})
    hidden = staff.get(reverse("community:queue"), {"show": "hidden"}).content.decode()
    assert "first post" in hidden


def test_lists_paginate_and_show_empty_states(
    unlimited: None,
    product: Any,
    alice: Any,
    trusted: Any,
    client: Any,
    client_for: Any,
    manager: Any,
) -> None:
    assert (
        "No discussions yet"
        in client.get(reverse("portal:community:forum", args=[product.pk])).content.decode()
    )
    assert (
        "No ideas yet"
        in client.get(reverse("portal:community:ideas", args=[product.pk])).content.decode()
    )
    assert "Nothing waits" in client_for(manager).get(reverse("community:queue")).content.decode()
    trusted(alice)  # one public thread already
    for n in range(26):
        services.propose_idea(customer=alice, product=product, title=f"Idea {n}", description="")
    first = client.get(reverse("portal:community:ideas", args=[product.pk]))
    assert first.context["page"].paginator.num_pages == 2
    assert len(first.context["page"].object_list) == 20
    second = client_for(manager).get(reverse("community:idea_list"), {"page": 2})
    assert [i.title for i in second.context["page"].object_list] == ["Idea 0"]


def test_forum_page_query_count_is_pinned(
    unlimited: None,
    product: Any,
    alice: Any,
    trusted: Any,
    client: Any,
    django_assert_num_queries: Any,
) -> None:
    trusted(alice)
    for n in range(30):
        services.start_thread(customer=alice, product=product, title=f"Q{n}", body="?")
    url = reverse("portal:community:forum", args=[product.pk])
    client.get(url)
    # The product, the thread count, the page of threads: whatever the number of threads.
    with django_assert_num_queries(3):
        response = client.get(url, {"page": 2})
    assert len(response.context["page"].object_list) == 11


def test_persian_pages_are_rtl(
    question: ForumThread, product: Any, client: Any, client_for: Any, manager: Any
) -> None:
    client.post(reverse("set_language"), {"language": "fa", "next": "/"})
    html = client.get(reverse("portal:community:forum", args=[product.pk])).content.decode()
    assert 'dir="rtl"' in html and "روتر کیهان" in html and "پرسش" in html
    speak_persian(manager)
    staff = client_for(manager).get(reverse("community:idea_list")).content.decode()
    assert 'dir="rtl"' in staff and "ایده" in staff
