"""An idea's new status reaches its author, its voters and its followers by email through
the outbox, each in their own language, once per change, never to those who said stop;
customers choose on the board."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.customers.choices import ConsentStatus
from peyvand.customers.services import set_consent
from peyvand.portal.community import services
from peyvand.portal.models import IdeaFollow
from tests.channels.email.conftest import customer_with_email

pytestmark = pytest.mark.django_db


def _emails(address: str) -> Any:
    return Message.objects.filter(channel="email", direction="outbound", recipient=address)


# Real commits: the outbox delivers to the SMTP sink after each one.
@pytest.mark.django_db(transaction=True)
def test_status_change_reaches_author_voters_and_followers_once(
    product: Any,
    marketing1: Any,
    service1: Any,
    client_for: Any,
    portal_client: Any,
    identity: Any,
    sink: Any,
) -> None:
    author = customer_with_email("author@example.com", preferred_language="fa")
    voter = customer_with_email("voter@example.com", preferred_language="en")
    quiet = customer_with_email("quiet@example.com", preferred_language="en")
    follower = customer_with_email("follower@example.com", preferred_language="en")
    bystander = customer_with_email("bystander@example.com", preferred_language="en")
    idea = services.propose_idea(
        customer=author, product=product, title="Dark <b>mode</b>", description="Please"
    )
    services.vote_idea(idea, customer=voter)
    services.vote_idea(idea, customer=quiet)
    # From the board: one voter says stop, a customer who did not vote follows.
    assert (
        portal_client(quiet)
        .post(reverse("portal:community:idea_follow", args=[idea.pk]), {"follow": "0"})
        .status_code
        == 302
    )
    portal_client(follower).post(
        reverse("portal:community:idea_follow", args=[idea.pk]), {"follow": "1"}
    )
    assert IdeaFollow.objects.filter(idea=idea).count() == 2

    url = reverse("community:idea_status", args=[idea.pk])
    assert client_for(service1).post(url, {"status": "planned"}).status_code == 404
    assert not Message.objects.filter(channel="email").exists()
    staff = client_for(marketing1)
    assert staff.post(url, {"status": "planned", "note": "Next release"}).status_code == 302

    (to_author,) = _emails("author@example.com")
    (to_voter,) = _emails("voter@example.com")
    assert _emails("follower@example.com").count() == 1
    assert not _emails("quiet@example.com").exists()
    assert not _emails("bystander@example.com").exists()
    assert "برنامه" in to_author.subject and "Dark <b>mode</b>" in to_author.subject
    assert to_voter.subject == "Your idea news: “Dark <b>mode</b>” is now Planned"
    assert "Next release" in to_voter.body and f"#idea-{idea.pk}" in to_voter.body
    delivered = {m["To"].addresses[0].addr_spec for m in sink.messages()}
    assert delivered == {"author@example.com", "voter@example.com", "follower@example.com"}

    # Only the note changes: no new status, no new email.
    staff.post(url, {"status": "planned", "note": "Next release, in spring"})
    assert Message.objects.filter(channel="email").count() == 3
    # The board shows each their choice.
    assert (
        "Follow updates" in portal_client(bystander).get(idea.get_absolute_url()).content.decode()
    )
    assert "Stop updates" in portal_client(voter).get(idea.get_absolute_url()).content.decode()
    assert "Follow updates" in portal_client(quiet).get(idea.get_absolute_url()).content.decode()


@pytest.mark.django_db(transaction=True)
def test_withdrawn_service_email_is_kept_unsent_and_removed_customers_are_skipped(
    product: Any, marketing1: Any, identity: Any, sink: Any
) -> None:
    author = customer_with_email("a@example.com", preferred_language="en")
    voter = customer_with_email("v@example.com", preferred_language="en")
    gone = customer_with_email("gone@example.com", preferred_language="en")
    idea = services.propose_idea(customer=author, product=product, title="IPv6", description="")
    services.vote_idea(idea, customer=voter)
    services.vote_idea(idea, customer=gone)
    set_consent(
        voter,
        actor=marketing1,
        channel="email",
        purpose="service",
        status=ConsentStatus.WITHDRAWN,
        source="test",
    )
    type(gone).objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    services.set_idea_status(idea, actor=marketing1, status="done")
    assert _emails("a@example.com").get().status == MessageStatus.SENT
    assert _emails("v@example.com").get().status == MessageStatus.SUPPRESSED
    assert not _emails("gone@example.com").exists()
    assert [m["To"].addresses[0].addr_spec for m in sink.messages()] == ["a@example.com"]


def test_following_needs_a_portal_session(product: Any, client: Any) -> None:
    author = customer_with_email("x@example.com")
    idea = services.propose_idea(customer=author, product=product, title="Maps", description="")
    response = client.post(reverse("portal:community:idea_follow", args=[idea.pk]), {"follow": "1"})
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]
    assert not IdeaFollow.objects.exists()
