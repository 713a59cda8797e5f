"""Engagement of outbound messages: tracked links in a real email sent to a real SMTP
server and in an SMS sent to a real HTTP gateway, the redirect (never an open redirect),
UTM tags, the open pixel, bots, conversions within the attribution window, the visit
joined to the click-stream, the timeline and the per-campaign funnel."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.timeline import customer_timeline
from peyvand.channels.email.models import EmailTemplate
from peyvand.channels.email.services import send_email
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.sms.models import SmsGateway
from peyvand.channels.sms.services import send_sms
from peyvand.customers.services import set_consent
from peyvand.sales.models import Order
from peyvand.tracking.choices import MessageEventKind
from peyvand.tracking.links import (
    click_token,
    open_token,
    parse_click_token,
    with_utm,
)
from peyvand.tracking.models import Event, IdentityLink, MessageEvent, TrackedMessage
from peyvand.tracking.selectors import campaign_engagement, message_engagement
from peyvand.tracking.services import record_conversions, set_campaign_key
from peyvand.tracking.tasks import sweep_conversions
from tests.channels.email.conftest import customer_with_email
from tests.channels.email.sink import SinkHandler
from tests.channels.gateway_receiver import running_receiver
from tests.factories import ContactPointFactory, CustomerFactory
from tests.tracking.conftest import BROWSER, anonymous_id, collect_url

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+989123456789"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
BODY = (
    "Hello {{ first_name | friend }},\n\n"
    "Our sale: https://shop.example/sale?color=red&utm_campaign=own.\n"
    "Docs at http://docs.example/guide#part-2, not javascript:alert(1) nor //evil.com/x."
)


def _consents(customer: Any, channel: str, actor: Any) -> None:
    set_consent(
        customer, actor=actor, channel=channel, purpose="marketing", status="granted", source="test"
    )


def _send(customer: Any, identity: Any, actor: Any, body: str = BODY) -> Message:
    template = EmailTemplate.objects.create(
        name=f"Sale {EmailTemplate.objects.count()}",
        subject_en="Spring sale!",
        body_en=body,
        subject_fa="x",
        body_fa="x",
    )
    _consents(customer, "email", actor)
    message = send_email(
        customer, actor=actor, template=template, identity=identity, purpose="marketing"
    )
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    return message


def _html(sink: SinkHandler) -> str:
    return str(sink.messages()[-1].get_body(preferencelist=("html",)).get_content())


def _text(sink: SinkHandler) -> str:
    return str(sink.messages()[-1].get_body(preferencelist=("plain",)).get_content())


def _path(url: str) -> str:
    assert url.startswith(settings.PEYVAND_PUBLIC_URL)
    return url[len(settings.PEYVAND_PUBLIC_URL) :]


def _click(client: Client, url: str, agent: str = BROWSER, **extra: Any) -> Any:
    return client.get(_path(url), HTTP_USER_AGENT=agent, **extra)


def test_links_of_a_sent_email_go_through_the_redirect_with_utm_tags(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email(first_name="Sara", preferred_language="en")
    message = _send(customer, identity, manager)
    html = _html(sink)
    anchors = re.findall(r'<a href="([^"]+)">([^<]+)</a>', html)
    # Each http(s) link is an anchor showing the original URL; nothing else became one.
    assert [text for _href, text in anchors] == [
        "https://shop.example/sale?color=red&amp;utm_campaign=own",
        "http://docs.example/guide#part-2",
    ]
    assert "javascript:alert(1) nor //evil.com/x." in html
    hrefs = [href for href, _text in anchors]
    assert all("/t/c/" in href for href in hrefs)
    # The text part carries the same tracked links, and the sentence's full stop stays out.
    text = _text(sink)
    assert f"{hrefs[0]}.\n" in text and "https://shop.example" not in text
    stored = TrackedMessage.objects.get(pk=message.pk).links
    assert stored == [
        "https://shop.example/sale?color=red&utm_campaign=own&utm_source=peyvand&utm_medium=email",
        "http://docs.example/guide?utm_source=peyvand&utm_medium=email"
        "&utm_campaign=spring-sale#part-2",
    ]

    client = Client()
    first = _click(client, hrefs[1])
    assert first.status_code == 302 and first["Location"] == stored[1]
    assert "no-cache" in first["Cache-Control"]
    again = _click(client, hrefs[1])
    assert again["Location"] == stored[1]
    clicks = MessageEvent.objects.filter(message=message, kind=MessageEventKind.CLICK)
    assert [
        (e.link_position, e.is_first, e.customer_id, e.is_bot) for e in clicks.order_by("pk")
    ] == [
        (1, True, customer.pk, False),
        (1, False, customer.pk, False),
    ]
    assert clicks.first().device == "desktop"  # type: ignore[union-attr]


def test_forged_altered_and_foreign_tokens_are_refused(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email(preferred_language="en")
    message = _send(customer, identity, manager)
    href = re.findall(r'<a href="([^"]+)">', _html(sink))[0]
    token = _path(href).removeprefix("/t/c/")
    client = Client()
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_message = click_token(message.pk + 1, 0).split(":")[0] + ":" + token.split(":")[1]
    refused = [
        f"/t/c/{altered}",
        f"/t/c/{other_message}",  # another message's payload with this one's signature
        f"/t/c/{click_token(message.pk, 7)}",  # signed, but the message has no 8th link
        f"/t/c/{open_token(message.pk)}",  # the pixel's token is no click token
        "/t/c/%2F%2Fevil.com",
        "/t/c/javascript:alert(1)",
        "/t/o/forged:AAAAAAAAAAAAAAAA.gif",
    ]
    for path in refused:
        assert client.get(path, HTTP_USER_AGENT=BROWSER).status_code == 404, path
    # What the query string says about the destination is never read.
    response = client.get(f"/t/c/{token}?url=//evil.com&next=https://evil.com")
    assert response["Location"].startswith("https://shop.example/sale?")
    assert not MessageEvent.objects.exclude(link_position=0).exists()
    assert parse_click_token(altered) is None


def test_utm_tags_keep_the_query_and_are_never_added_twice() -> None:
    assert with_utm("https://a.example/p?q=1#f", medium="sms", campaign="x y") == (
        "https://a.example/p?q=1&utm_source=peyvand&utm_medium=sms&utm_campaign=x%20y#f"
    )
    once = with_utm("https://a.example/", medium="email", campaign="c")
    assert with_utm(once, medium="email", campaign="c") == once
    assert with_utm(
        "https://a.example/?utm_source=news&utm_medium=web&utm_campaign=own",
        medium="email",
        campaign="c",
    ) == ("https://a.example/?utm_source=news&utm_medium=web&utm_campaign=own")


def test_the_campaign_key_names_the_campaign_in_links_and_reports(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email(preferred_language="fa")
    template = EmailTemplate.objects.create(
        name="T",
        subject_en="x",
        body_en="x",
        subject_fa="حراج بهاره",
        body_fa="ببینید https://shop.example/",
    )
    _consents(customer, "email", manager)
    with transaction.atomic():
        message = send_email(
            customer, actor=manager, template=template, identity=identity, purpose="marketing"
        )
        set_campaign_key([message.pk], "spring-2026")
    assert TrackedMessage.objects.get(pk=message.pk).links == [
        "https://shop.example/?utm_source=peyvand&utm_medium=email&utm_campaign=spring-2026"
    ]
    # Without a key the Persian subject is the slug.
    other = customer_with_email(preferred_language="fa")
    _consents(other, "email", manager)
    plain = send_email(
        other, actor=manager, template=template, identity=identity, purpose="marketing"
    )
    link = TrackedMessage.objects.get(pk=plain.pk).links[0]
    # A service message to the same customer keeps its links as written.
    service = send_email(other, actor=manager, template=template, identity=identity)
    assert not TrackedMessage.objects.filter(pk=service.pk).exists()
    assert parse_qs(urlsplit(link).query)["utm_campaign"] == ["حراج-بهاره"]
    assert TrackedMessage.objects.get(pk=plain.pk).campaign_key is None


def test_the_open_pixel_records_opens_and_bots_are_not_counted(
    sink: SinkHandler, identity: Any, manager: Any
) -> None:
    customer = customer_with_email(preferred_language="en")
    message = _send(customer, identity, manager, body="No links here.")
    assert not TrackedMessage.objects.filter(pk=message.pk).exists()
    pixel = re.search(r'<img src="([^"]+/t/o/[^"]+\.gif)" width="1" height="1"', _html(sink))
    assert pixel is not None
    client = Client()
    scanner = client.get(_path(pixel.group(1)), HTTP_USER_AGENT=BOT)
    assert scanner.status_code == 200 and scanner["Content-Type"] == "image/gif"
    assert message_engagement([message.pk])[message.pk].opened == 0
    person = client.get(_path(pixel.group(1)), HTTP_USER_AGENT=BROWSER)
    assert person.content[:6] == b"GIF89a" and len(person.content) == 42
    assert "no-store" in person["Cache-Control"] and "max-age=0" in person["Cache-Control"]
    opens = list(MessageEvent.objects.filter(message=message).order_by("pk"))
    assert [(e.kind, e.is_bot, e.is_first) for e in opens] == [
        ("open", True, False),
        ("open", False, True),
    ]
    funnel = message_engagement([message.pk])[message.pk]
    assert (funnel.sent, funnel.opened, funnel.clicked) == (1, 1, 0)
    # The first open by a person is on the customer's timeline, once.
    client.get(_path(pixel.group(1)), HTTP_USER_AGENT=BROWSER)
    entries = [e for e in customer_timeline(customer, user=manager) if e.kind == "engagement"]
    assert [e.title for e in entries] == [f"Opened “{message.subject}”"]


def test_a_bot_following_a_link_is_redirected_but_not_counted_or_stitched(
    sink: SinkHandler, identity: Any, manager: Any, site: Any
) -> None:
    customer = customer_with_email(preferred_language="en")
    message = _send(customer, identity, manager)
    href = re.findall(r'<a href="([^"]+)">', _html(sink))[0]
    response = _click(Client(), href, agent=BOT)
    assert response.status_code == 302 and "pv_id" not in response["Location"]
    assert message_engagement([message.pk])[message.pk].clicked == 0
    assert all(e.kind != "engagement" for e in customer_timeline(customer, user=manager))


def test_a_click_joins_the_visit_to_the_customers_click_stream(
    sink: SinkHandler, identity: Any, manager: Any, site: Any
) -> None:
    customer = customer_with_email(preferred_language="en")
    _send(customer, identity, manager)
    href = re.findall(r'<a href="([^"]+)">', _html(sink))[0]
    # A cookie no snippet could have set is ignored (the click still goes through).
    odd = Client()
    odd.cookies["peyvand_aid"] = "x" * 200
    assert _click(odd, href).status_code == 302
    assert not IdentityLink.objects.exists()
    # A browser whose id the CRM sees (a site on the CRM's own host) is linked at once.
    known = anonymous_id()
    client = Client()
    client.cookies["peyvand_aid"] = known
    response = _click(client, href)
    assert IdentityLink.objects.get(site=site, anonymous_id=known).customer == customer
    # Another domain's browser gets an identify token on the landing URL, which the
    # snippet hands back.
    landing = urlsplit(response["Location"])
    query = parse_qs(landing.query)
    assert query["utm_source"] == ["peyvand"] and query["color"] == ["red"]
    (token,) = query["pv_id"]
    browser = anonymous_id()
    batch = {
        "anonymous_id": browser,
        "events": [
            {"type": "identify", "token": token},
            {"type": "page_view", "url": "https://shop.example/sale?color=red"},
        ],
    }
    collected = Client().post(
        collect_url(site),
        batch,
        content_type="application/json",
        HTTP_USER_AGENT=BROWSER,
        HTTP_ORIGIN="https://shop.example",
    )
    assert collected.status_code in (200, 202), collected.content
    assert set(Event.objects.filter(anonymous_id=browser).values_list("customer", flat=True)) == {
        customer.pk
    }


def _click_at(message: Message, at: dt.datetime) -> MessageEvent:
    return MessageEvent.objects.create(
        message=message,
        customer_id=message.conversation.customer_id,
        kind=MessageEventKind.CLICK,
        link_position=0,
        at=at,
    )


def _order(customer: Any, number: str, at: dt.datetime, total: int, currency: str = "IRR") -> Order:
    return Order.objects.create(
        number=number, customer=customer, ordered_at=at, total=Money(total, currency)
    )


def test_orders_within_the_window_after_a_click_are_conversions(
    sink: SinkHandler, identity: Any, manager: Any, settings: Any
) -> None:
    settings.PEYVAND_ATTRIBUTION_WINDOW_DAYS = 7
    buyer = customer_with_email(preferred_language="en")
    late = customer_with_email(preferred_language="en")
    first = _send(buyer, identity, manager)
    second = _send(buyer, identity, manager)
    other = _send(late, identity, manager)
    now = timezone.now()
    _click_at(first, now - dt.timedelta(days=5))
    _click_at(second, now - dt.timedelta(days=3))  # the last click before the order wins
    _click_at(other, now - dt.timedelta(days=9))
    # Placed (signal → task on commit): inside the window, outside it, before any click.
    inside = _order(buyer, "ORD-1", now - dt.timedelta(days=1), 2_500_000)
    outside = _order(late, "ORD-2", now - dt.timedelta(hours=1), 100)
    before = _order(buyer, "ORD-0", now - dt.timedelta(days=6), 300)
    conversions = MessageEvent.objects.filter(kind=MessageEventKind.CONVERSION)
    assert [(c.order_id, c.message_id, c.revenue) for c in conversions] == [
        (inside.pk, second.pk, Money(2_500_000, "IRR"))
    ]
    assert outside.pk and before.pk
    # The sweep finds nothing new; an order that arrived without the signal is found.
    assert sweep_conversions.call() == 0
    Order.objects.bulk_create(
        [Order(number="ORD-3", customer=buyer, ordered_at=now, total=Money(40, "EUR"))]
    )
    assert record_conversions(since=now - dt.timedelta(days=7)) == 1
    assert record_conversions(since=now - dt.timedelta(days=7)) == 0
    funnel = message_engagement([first.pk, second.pk, other.pk])
    assert funnel[second.pk].converted == 1 and funnel[first.pk].converted == 0
    assert sorted(funnel[second.pk].revenue, key=str) == sorted(
        [Money(2_500_000, "IRR"), Money(40, "EUR")], key=str
    )


def test_campaign_funnel_counts_each_step(sink: SinkHandler, identity: Any, manager: Any) -> None:
    people = [customer_with_email(preferred_language="en") for _ in range(3)]
    messages = [_send(p, identity, manager) for p in people]
    set_campaign_key([m.pk for m in messages], "winter")
    Message.objects.filter(pk=messages[0].pk).update(status=MessageStatus.DELIVERED)
    now = timezone.now()
    MessageEvent.objects.create(message=messages[0], kind="open", is_first=True)
    MessageEvent.objects.create(message=messages[1], kind="open", is_bot=True)
    _click_at(messages[2], now - dt.timedelta(hours=2))
    _order(people[2], "ORD-W", now, 900)
    (winter,) = campaign_engagement()
    assert (winter.key, winter.sent, winter.delivered, winter.opened, winter.clicked) == (
        "winter",
        3,
        1,
        2,
        1,
    )
    assert winter.converted == 1 and winter.revenue == [Money(900, "IRR")]


def test_an_sms_carries_a_short_tracked_link_to_the_gateway(manager: Any, settings: Any) -> None:
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, kind="phone", value="09123456789", normalized=NUMBER)
    with running_receiver() as receiver:
        SmsGateway.objects.create(name="Loopback", url=receiver.url, is_default=True)
        _consents(customer, "sms", manager)
        message = send_sms(
            customer,
            actor=manager,
            body="Your order: https://shop.example/orders/42?lang=fa",
            purpose="marketing",
        )
        (text,) = receiver.form()["text"]
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    (link,) = re.findall(r"https?://\S+", text)
    assert text == f"Your order: {link}"
    assert len(link) <= len(settings.PEYVAND_PUBLIC_URL) + 30
    response = Client().get(_path(link), HTTP_USER_AGENT=BROWSER)
    assert response["Location"] == (
        "https://shop.example/orders/42?lang=fa&utm_source=peyvand&utm_medium=sms&utm_campaign=sms"
    )
