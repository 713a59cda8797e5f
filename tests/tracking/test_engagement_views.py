"""The message-engagement screen: who may see it, the funnel chart, escaping, Persian."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from djmoney.money import Money

from peyvand.channels.inbox.models import Conversation, Message
from peyvand.sales.models import Order
from peyvand.tracking.models import MessageEvent
from peyvand.tracking.services import set_campaign_key
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('k')</script>"
URL = "/tracking/engagement/"


def _campaign(key: str, sent: int, opened: int) -> list[Message]:
    messages = []
    for n in range(sent):
        customer = CustomerFactory()
        conversation = Conversation.objects.create(customer=customer, channel="email")
        messages.append(
            Message.objects.create(
                conversation=conversation,
                channel="email",
                direction="outbound",
                status="sent",
                subject=key,
                message_id=f"{uuid.uuid4().hex}@test",
            )
        )
        if n < opened:
            MessageEvent.objects.create(
                message=messages[-1], customer=customer, kind="open", is_first=True
            )
    set_campaign_key([m.pk for m in messages], key)
    return messages


def test_sales_and_service_do_not_see_the_engagement_screen(
    client_for: Any, sales1: Any, sales2: Any, service1: Any
) -> None:
    _campaign("spring", 2, 1)
    for user in (sales1, sales2, service1):
        assert client_for(user).get(URL).status_code == 404


def test_marketing_and_managers_see_each_campaigns_funnel(
    client_for: Any, marketing1: Any, manager: Any
) -> None:
    spring = _campaign("spring", 4, 3)
    _campaign(HOSTILE, 2, 0)
    order = Order.objects.create(
        number="ORD-9", customer=spring[0].conversation.customer, total=Money(1_250_000, "IRR")
    )
    MessageEvent.objects.create(
        message=spring[0], kind="conversion", order=order, revenue=Money(1_250_000, "IRR")
    )
    for user in (marketing1, manager):
        page = client_for(user).get(URL).content.decode()
        assert "<svg" in page and "Message engagement by campaign" in page
        assert HOSTILE not in page and "&lt;script&gt;alert(&#x27;k&#x27;)&lt;/script&gt;" in page
        assert "1,250,000 IRR" in page


def test_the_screen_speaks_persian(client_for: Any, marketing1: Any) -> None:
    _campaign("yalda", 3, 2)
    speak_persian(marketing1)
    page = client_for(marketing1).get(URL).content.decode()
    assert "تعامل با پیام‌ها" in page and "کلیک" in page
    assert "۳" in page


def test_an_empty_screen_says_so(client_for: Any, manager: Any) -> None:
    page = client_for(manager).get(URL).content.decode()
    assert "No campaign has sent tracked messages yet." in page
