"""A campaign end to end, to a real SMTP server and a real SMS gateway on loopback: exactly
once to each consenting member, on their channel and in their language; nobody without
consent, suppressed, outside the segment or over the frequency cap; and the one-click
unsubscribe read from a received email's own header."""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.sms.models import SmsGateway
from peyvand.customers.models import Consent
from peyvand.marketing.campaigns.services import run_campaign, schedule_campaign
from peyvand.marketing.choices import CampaignStatus
from peyvand.marketing.models import Campaign, CampaignMessage, Suppression
from tests.channels.gateway_receiver import GatewayReceiver, running_receiver
from tests.marketing.campaigns.conftest import make_campaign, member

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings: Any) -> Iterator[GatewayReceiver]:
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with running_receiver() as server:
        yield server


@pytest.fixture
def gateway(receiver: GatewayReceiver) -> SmsGateway:
    return SmsGateway.objects.create(
        name="Loopback", url=receiver.url, sender_id="3000123", is_default=True
    )


def by_recipient(sink: Any) -> dict[str, list[Any]]:
    received: dict[str, list[Any]] = collections.defaultdict(list)
    for mail in sink.messages():
        received[str(mail["To"])].append(mail)
    return received


def test_each_consenting_member_gets_it_once_on_their_channel_in_their_language(
    sink: Any, identity: Any, segment: Any, marketing1: Any, gateway: Any, receiver: Any
) -> None:
    english = member(
        segment,
        email="ann@example.com",
        consent=("email",),
        first_name="Ann",
        preferred_language="en",
    )
    persian = member(
        segment,
        email="sara@example.com",
        consent=("email",),
        first_name="سارا",
        preferred_language="fa",
    )
    nameless = member(
        segment, email="anon@example.com", consent=("email",), preferred_language="en"
    )
    texter = member(
        segment,
        email="t@example.com",
        phone="+989121111111",
        consent=("sms",),
        preferred_channel="sms",
        preferred_language="fa",
        first_name="تینا",
    )
    both = member(
        segment,
        email="both@example.com",
        phone="+989122222222",
        consent=("email", "sms"),
        preferred_channel="sms",
        preferred_language="en",
    )
    member(segment, email="none@example.com")
    member(segment, email="gone@example.com", withdrawn=("email",))
    member(segment, email="blocked@example.com", consent=("email",))
    member(None, email="outsider@example.com", consent=("email",))
    member(
        segment,
        email="evil@example.com",
        consent=("email",),
        preferred_language="en",
        first_name="<script>alert(1)</script>",
    )
    Suppression.objects.create(channel="email", address="blocked@example.com", reason="hard_bounce")
    campaign = make_campaign(segment, identity, marketing1, channel="preferred")

    schedule_campaign(campaign.pk, actor=marketing1)

    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE
    received = by_recipient(sink)
    assert set(received) == {
        "ann@example.com",
        "sara@example.com",
        "anon@example.com",
        "evil@example.com",
    }
    assert all(len(mails) == 1 for mails in received.values())
    ann = received["ann@example.com"][0]
    assert ann["Subject"] == "Hello Ann (A)"
    assert "Dear Ann, spring is here." in ann.get_body(("plain",)).get_content()
    sara = received["sara@example.com"][0]
    assert sara["Subject"] == "سلام سارا (A)"
    assert 'dir="rtl"' in sara.get_body(("html",)).get_content()
    assert received["anon@example.com"][0]["Subject"] == "Hello friend (A)"
    evil_html = received["evil@example.com"][0].get_body(("html",)).get_content()
    assert "<script>" not in evil_html and "&lt;script&gt;" in evil_html
    # SMS to the ones who prefer it and consented to it; `both` prefers SMS.
    texts = sorted((hit["body"].decode()) for hit in receiver.hits)
    assert len(texts) == 2
    assert any("%2B989121111111" in t or "+989121111111" in t for t in texts)
    rows = CampaignMessage.objects.filter(campaign=campaign)
    assert {(r.customer_id, r.channel, r.language) for r in rows} == {
        (english.pk, "email", "en"),
        (persian.pk, "email", "fa"),
        (nameless.pk, "email", "en"),
        (texter.pk, "sms", "fa"),
        (both.pk, "sms", "en"),
        (rows.get(customer__first_name__startswith="<").customer_id, "email", "en"),
    }
    assert set(
        Message.objects.filter(campaign_message__campaign=campaign).values_list("status", flat=True)
    ) == {MessageStatus.SENT}

    # Run again (a retried task, a second worker): nobody gets it twice.
    assert run_campaign(campaign.pk).queued == 0
    assert sum(len(m) for m in by_recipient(sink).values()) == 4


def test_one_click_unsubscribe_from_the_received_header_holds_for_the_next_campaign(
    sink: Any, identity: Any, segment: Any, marketing1: Any
) -> None:
    leaver = member(
        segment, email="leaver@example.com", consent=("email",), preferred_language="en"
    )
    member(segment, email="stayer@example.com", consent=("email",), preferred_language="en")
    first = make_campaign(segment, identity, marketing1, name="First")
    schedule_campaign(first.pk, actor=marketing1)
    mail = by_recipient(sink)["leaver@example.com"][0]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.fullmatch(r"<(https?://[^>]+)>", str(mail["List-Unsubscribe"])).group(1)  # type: ignore[union-attr]
    path = url.split("://", 1)[1].split("/", 1)[1]
    token = path.removeprefix("u/")
    client = Client(enforce_csrf_checks=True)

    # A forged or altered token changes nothing.
    assert client.post(f"/u/{token[:-2]}xx", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert client.post("/u/garbage", {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert Consent.objects.get(customer=leaver, channel="email").status == "granted"
    # GET only asks (link scanners fetch every URL).
    page = client.get(f"/{path}")
    assert page.status_code == 200 and b"<form" in page.content
    assert Consent.objects.get(customer=leaver, channel="email").status == "granted"

    answer = client.post(f"/{path}", {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    consent = Consent.objects.get(customer=leaver, channel="email")
    assert (consent.status, consent.source) == ("withdrawn", "one-click unsubscribe")

    second = make_campaign(segment, identity, marketing1, name="Second")
    schedule_campaign(second.pk, actor=marketing1)
    assert [str(m["To"]) for m in sink.messages()].count("leaver@example.com") == 1
    assert [str(m["To"]) for m in sink.messages()].count("stayer@example.com") == 2


def test_an_unsubscribe_after_queueing_is_honoured_at_delivery(
    sink: Any, identity: Any, segment: Any, marketing1: Any, settings: Any
) -> None:
    """Queued for later (local send time), then unsubscribed: the outbox withholds it."""
    import datetime as dt

    from django.utils import timezone

    from peyvand.channels.inbox.delivery import deliver_batch
    from peyvand.marketing.campaigns.services import (
        one_click_unsubscribe,
        recipient_for_token,
        unsubscribe_token,
    )

    leaver = member(segment, email="late@example.com", consent=("email",))
    campaign = make_campaign(
        segment,
        identity,
        marketing1,
        name="Later",
        send_after=timezone.now() + dt.timedelta(days=1),
    )
    schedule_campaign(campaign.pk, actor=marketing1)
    assert sink.count == 0
    row = recipient_for_token(unsubscribe_token(campaign.pk, leaver.pk))
    assert row is not None
    one_click_unsubscribe(row)
    Message.objects.filter(pk=row.message_id).update(next_attempt_at=timezone.now())
    deliver_batch("email")
    assert sink.count == 0
    message = Message.objects.get(pk=row.message_id)
    assert message.status == MessageStatus.SUPPRESSED
    assert "withdrawn" in message.last_error


def test_frequency_cap_across_campaigns(
    sink: Any, identity: Any, segment: Any, marketing1: Any
) -> None:
    member(segment, email="busy@example.com", consent=("email",))
    for n in range(3):
        campaign = make_campaign(
            segment, identity, marketing1, name=f"Wave {n}", cap_messages=2, cap_days=7
        )
        schedule_campaign(campaign.pk, actor=marketing1)
    assert sink.count == 2
    assert Campaign.objects.get(name="Wave 2").queued_count == 0
