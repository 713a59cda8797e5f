"""Community services: posting and screening into the moderation queue, one vote per
customer per post and idea, accepted-answer rules, abuse reports, audited moderation, the
posting rate limit, idea status by product managers, and ideas on the customer timeline."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.audit.timeline import customer_timeline
from peyvand.portal.community import selectors, services
from peyvand.portal.models import ForumPost, ForumThread, ForumVote, Idea, IdeaVote
from peyvand.portal.models.community import IdeaStatus, ModerationReason, PostStatus

pytestmark = pytest.mark.django_db


def opening(thread: ForumThread) -> ForumPost:
    return thread.posts.get(is_opening=True)


def test_a_new_customers_first_post_waits_for_a_moderator(alice: Any, product: Any) -> None:
    thread = services.start_thread(customer=alice, product=product, title="Hi", body="First!")
    post = opening(thread)
    assert (post.status, post.moderation_reason) == (
        PostStatus.PENDING,
        ModerationReason.NEW_AUTHOR,
    )
    assert not selectors.public_threads(product).filter(pk=thread.pk).exists()
    # The author still finds their own waiting question.
    assert selectors.thread_for_reader(thread.pk, alice) == thread
    assert selectors.thread_for_reader(thread.pk, None) is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("See https://example.com/deal", ModerationReason.LINK),
        ("go to www.cheap-things.example", ModerationReason.LINK),
        ("best prices at cheapstuff.xyz", ModerationReason.LINK),
        ("Play CASINO games", ModerationReason.SPAM_WORD),
        ("بهترین كازينو آنلاین", ModerationReason.SPAM_WORD),  # Arabic ك and ي
    ],
)
def test_links_and_spam_words_wait_even_for_trusted_customers(
    question: ForumThread, bob: Any, trusted: Any, service1: Any, body: str, reason: str
) -> None:
    trusted(bob)
    post = services.reply(question, body=body, customer=bob)
    assert (post.status, post.moderation_reason) == (PostStatus.PENDING, reason)
    assert list(selectors.moderation_queue(service1, reason=reason)) == [post]


def test_the_spam_list_is_a_setting(
    question: ForumThread, bob: Any, trusted: Any, settings: Any
) -> None:
    trusted(bob)
    settings.COMMUNITY_SPAM_WORDS = ["miracle pill"]
    assert services.reply(question, body="Play casino", customer=bob).status == PostStatus.PUBLISHED
    assert (
        services.reply(question, body="A Miracle  Pill", customer=bob).status == PostStatus.PENDING
    )


def test_a_trusted_reply_is_public_and_counted(
    question: ForumThread, bob: Any, trusted: Any
) -> None:
    trusted(bob)
    post = services.reply(question, body="Update the firmware.", customer=bob)
    assert post.status == PostStatus.PUBLISHED
    question.refresh_from_db()
    assert question.reply_count == 1
    assert question.last_post_at == post.created_at


def test_bad_input_changes_nothing(alice: Any, product: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        services.start_thread(customer=alice, product=product, title="  ", body="x" * 10_001)
    assert set(exc.value.message_dict) == {"title", "body"}
    assert not ForumThread.objects.exists() and not ForumPost.objects.exists()


def test_votes_are_one_per_customer_per_post(question: ForumThread, bob: Any, carol: Any) -> None:
    post = opening(question)
    services.vote_post(post, customer=bob)
    with pytest.raises(ValidationError, match="already voted"):
        services.vote_post(post, customer=bob)
    services.vote_post(post, customer=carol)
    post.refresh_from_db()
    assert post.vote_count == 2 == ForumVote.objects.filter(post=post).count()
    # The database refuses a second row even when a caller skips the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        ForumVote.objects.create(post=post, customer=bob)


def test_nobody_votes_for_their_own_post_or_a_hidden_one(
    question: ForumThread, alice: Any, bob: Any, service1: Any
) -> None:
    post = opening(question)
    with pytest.raises(ValidationError, match="own post"):
        services.vote_post(post, customer=alice)
    services.moderate(post, actor=service1, action="hide")
    post.refresh_from_db()
    with pytest.raises(ValidationError, match="not public"):
        services.vote_post(post, customer=bob)


def test_the_author_or_a_moderator_accepts_an_answer(
    question: ForumThread, alice: Any, bob: Any, carol: Any, trusted: Any, service1: Any,
    marketing1: Any,
) -> None:  # fmt: skip
    trusted(bob)
    answer = services.reply(question, body="Reset it.", customer=bob)
    with pytest.raises(PermissionDenied):
        services.accept_answer(question, answer, customer=carol)
    with pytest.raises(PermissionDenied):
        services.accept_answer(question, answer, staff=marketing1)
    with pytest.raises(ValidationError, match="published reply"):
        services.accept_answer(question, opening(question), customer=alice)
    assert services.accept_answer(question, answer, customer=alice).accepted_post == answer
    assert services.accept_answer(question, None, staff=service1).accepted_post is None
    services.accept_answer(question, answer, staff=service1)
    # Hiding the accepted answer takes the mark away with it.
    services.moderate(answer, actor=service1, action="hide")
    question.refresh_from_db()
    assert question.accepted_post is None and question.reply_count == 0


def test_a_waiting_reply_or_one_of_another_thread_cannot_be_the_answer(
    question: ForumThread, alice: Any, bob: Any, product: Any, trusted: Any
) -> None:
    waiting = services.reply(question, body="Hi, I'm new", customer=bob)
    assert waiting.status == PostStatus.PENDING
    with pytest.raises(ValidationError):
        services.accept_answer(question, waiting, customer=alice)
    trusted(bob)
    other = services.start_thread(customer=bob, product=product, title="Other", body="?")
    elsewhere = services.reply(other, body="Answer", customer=alice)
    with pytest.raises(ValidationError):
        services.accept_answer(question, elsewhere, customer=alice)


def test_reports_send_a_post_back_to_the_queue(question: ForumThread, bob: Any, carol: Any) -> None:
    post = opening(question)
    dave = type(bob).objects.create(display_name="Dave")
    services.report_post(post, customer=bob, reason="Rude")
    with pytest.raises(ValidationError, match="already reported"):
        services.report_post(post, customer=bob)
    services.report_post(post, customer=carol)
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED and post.report_count == 2
    services.report_post(post, customer=dave)
    post.refresh_from_db()
    assert (post.status, post.moderation_reason) == (PostStatus.PENDING, ModerationReason.REPORTED)
    assert not selectors.public_threads().filter(pk=question.pk).exists()


def test_moderation_is_audited_and_only_for_moderators(
    question: ForumThread, service1: Any, sales1: Any, marketing1: Any
) -> None:
    post = opening(question)
    for refused in (sales1, marketing1):
        with pytest.raises(PermissionDenied):
            services.moderate(post, actor=refused, action="hide")
    services.moderate(post, actor=service1, action="hide")
    with pytest.raises(ValidationError):
        services.moderate(post, actor=service1, action="approve")
    restored = services.moderate(post, actor=service1, action="restore")
    assert restored.status == PostStatus.PUBLISHED and restored.moderated_by == service1
    rows = ChangeLog.objects.filter(object_id=str(post.pk), actor=service1).order_by("seq")
    assert [(r.before["status"], r.after["status"]) for r in rows] == [
        ("published", "hidden"),
        ("hidden", "published"),
    ]
    assert all(r.customer_id == post.customer_id for r in rows)
    assert verify_chain().ok


def test_staff_answers_are_public_at_once_with_the_badge(
    question: ForumThread, service1: Any, sales1: Any
) -> None:
    post = services.reply(question, body="We ship a fix on Monday.", staff=service1)
    assert post.status == PostStatus.PUBLISHED and post.is_staff_post
    with pytest.raises(PermissionDenied):
        services.reply(question, body="Me too", staff=sales1)


def test_only_the_author_edits_and_links_send_an_edit_back_to_the_queue(
    question: ForumThread, alice: Any, bob: Any
) -> None:
    post = opening(question)
    with pytest.raises(PermissionDenied):
        services.edit_post(post, customer=bob, body="vandalised", title="x")
    edited = services.edit_post(post, customer=alice, body="Every night at 3.", title="Drops")
    assert edited.status == PostStatus.PUBLISHED and edited.edited_at is not None
    question.refresh_from_db()
    assert question.title == "Drops"
    linked = services.edit_post(post, customer=alice, body="see http://x.example", title="Drops")
    assert linked.status == PostStatus.PENDING


def test_posting_is_rate_limited(question: ForumThread, bob: Any, trusted: Any) -> None:
    trusted(bob)
    for n in range(services.WRITES_PER_WINDOW):
        services.reply(question, body=f"reply {n}", customer=bob)
    with pytest.raises(services.TooFast) as exc:
        services.reply(question, body="one more", customer=bob)
    assert exc.value.retry_after > 0 and exc.value.status == 429
    assert question.posts.filter(customer=bob).count() == services.WRITES_PER_WINDOW


def test_ideas_votes_and_status(
    alice: Any, bob: Any, carol: Any, product: Any, marketing1: Any, service1: Any, sales1: Any
) -> None:
    idea = services.propose_idea(
        customer=alice, product=product, title="Dark mode", description="Please"
    )
    services.vote_idea(idea, customer=bob)
    services.vote_idea(idea, customer=carol)
    with pytest.raises(ValidationError, match="already voted"):
        services.vote_idea(idea, customer=bob)
    other = services.propose_idea(customer=bob, product=product, title="IPv6", description="")
    services.vote_idea(other, customer=alice)
    assert [i.title for i in selectors.ideas_for_board(product)] == ["Dark mode", "IPv6"]
    assert (
        Idea.objects.get(pk=idea.pk).vote_count == 2 == IdeaVote.objects.filter(idea=idea).count()
    )

    for refused in (service1, sales1):
        with pytest.raises(PermissionDenied):
            services.set_idea_status(idea, actor=refused, status=IdeaStatus.PLANNED)
    with pytest.raises(ValidationError):
        services.set_idea_status(idea, actor=marketing1, status="someday")
    planned = services.set_idea_status(
        idea, actor=marketing1, status=IdeaStatus.DECLINED, note="Not this year."
    )
    assert (planned.status, planned.status_note, planned.status_changed_by) == (
        IdeaStatus.DECLINED, "Not this year.", marketing1,
    )  # fmt: skip
    dave = type(bob).objects.create(display_name="Dave")
    with pytest.raises(ValidationError, match="closed"):
        services.vote_idea(planned, customer=dave)
    row = ChangeLog.objects.filter(object_id=str(idea.pk), actor=marketing1).get()
    assert row.customer_id == alice.pk and row.after["status"] == "declined"


def test_ideas_and_votes_are_on_the_customers_timeline(
    alice: Any, bob: Any, product: Any, manager: Any, sales1: Any, marketing1: Any
) -> None:
    idea = services.propose_idea(customer=alice, product=product, title="Dark mode", description="")
    services.vote_idea(idea, customer=bob)
    services.set_idea_status(idea, actor=marketing1, status=IdeaStatus.PLANNED, note="Q3")

    alice_entries = customer_timeline(alice, user=manager)
    titles = [(e.kind, e.title) for e in alice_entries]
    assert ("idea", "Proposed: Dark mode") in titles
    # The idea's creation is told once (as the idea); the later status change as a change.
    assert sum(1 for e in alice_entries if "Dark mode" in e.title) == 1
    assert any(e.kind == "change" and "status" in e.title for e in alice_entries)
    assert alice_entries[[t for _k, t in titles].index("Proposed: Dark mode")].url

    bob_entries = customer_timeline(bob, user=manager)
    assert [e.title for e in bob_entries if e.kind == "idea"] == ["Voted for: Dark mode"]
    # A sales rep who may not see the customer sees none of it.
    assert customer_timeline(alice, user=sales1) == []


def test_the_demo_community_loads_once(
    product: Any, service1: Any, marketing1: Any, manager: Any
) -> None:
    from peyvand.portal.community.demo import load_demo_community
    from tests.factories import CustomerFactory

    CustomerFactory.create_batch(5)
    load_demo_community()
    load_demo_community()
    thread = ForumThread.objects.get()
    assert thread.accepted_post is not None and thread.accepted_post.is_staff_post
    assert selectors.moderation_queue(service1).count() == 1
    assert [(i.vote_count, i.status) for i in selectors.ideas_for_board(product)] == [
        (3, IdeaStatus.NEW),
        (2, IdeaStatus.PLANNED),
    ]
