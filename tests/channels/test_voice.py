"""Phone: the call log form, tel: links, click-to-call through a real PBX endpoint, and the
signed telephony webhook: screen pop over a WebSocket when a call rings, an interaction
logged once per call id when it ends."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from peyvand.channels.models import Interaction
from peyvand.channels.sms.signing import signed_headers
from peyvand.channels.voice.consumers import VoiceConsumer
from peyvand.channels.voice.models import Call
from peyvand.config.asgi import application
from tests.channels.gateway_receiver import running_receiver
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+989121234567"
SECRET = "pbx-secret"


@pytest.fixture(autouse=True)
def _pbx_secret(settings: Any) -> None:
    settings.PEYVAND_VOICE_WEBHOOK_SECRET = SECRET


@pytest.fixture
def customer(sales1: Any) -> Any:
    customer = CustomerFactory(owner=sales1, display_name="<b>Reza</b> Karimi")
    ContactPointFactory(customer=customer, kind="phone", value="09121234567", normalized=NUMBER)
    return customer


def post_event(payload: dict[str, Any], *, secret: str = SECRET, at: int | None = None) -> Any:
    body = json.dumps(payload).encode()
    return Client().post(
        reverse("interactions:telephony_hook"),
        data=body,
        content_type="application/json",
        headers=signed_headers(secret, body, at),
    )


def test_call_log_form_logs_a_phone_interaction(
    client_for: Any, sales1: Any, sales2: Any, customer: Any
) -> None:
    url = reverse("interactions:call_log", args=[customer.pk])
    assert client_for(sales2).get(url).status_code == 404
    client = client_for(sales1)
    bad = client.post(url, {"direction": "outbound", "outcome": "answered", "duration": "4:75"})
    assert bad.status_code == 400
    assert "Write the duration as 4:30 or as seconds." in bad.content.decode()
    assert not Interaction.objects.exists()
    ok = client.post(
        url, {"direction": "outbound", "outcome": "busy", "duration": "۴:۳۰", "notes": "later"}
    )
    assert ok.status_code == 302
    interaction = Interaction.objects.get()
    assert interaction.channel == "phone" and interaction.direction == "outbound"
    assert interaction.duration_seconds == 270
    assert interaction.subject == "Outgoing call: Busy"
    assert interaction.agent == sales1


def test_tel_filter_links_numbers_in_the_readers_digits() -> None:
    template = Template("{% load phone %}{{ number|tel }}")
    html = template.render(Context({"number": "0912 123 4567"}))
    assert html == (
        '<a class="ltr tel" href="tel:+989121234567" dir="ltr" '
        'data-number="+989121234567">+989121234567</a>'
    )
    with translation.override("fa"):
        assert "+۹۸۹۱۲۱۲۳۴۵۶۷</a>" in template.render(Context({"number": "09121234567"}))
    assert template.render(Context({"number": "<script>"})) == "&lt;script&gt;"


def test_customer_page_has_tel_links_and_call_actions(
    client_for: Any, sales1: Any, customer: Any
) -> None:
    html = client_for(sales1).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'href="tel:+989121234567"' in html
    assert reverse("interactions:call_log", args=[customer.pk]) in html
    assert reverse("interactions:sms_compose", args=[customer.pk]) in html
    assert "Call via PBX" not in html  # no PBX configured


def test_click_to_call_posts_to_the_pbx(
    client_for: Any, sales1: Any, customer: Any, settings: Any
) -> None:
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with running_receiver() as pbx:
        settings.PEYVAND_VOICE_CLICK_TO_CALL_URL = pbx.url
        client = client_for(sales1)
        detail = reverse("customers:detail", args=[customer.pk])
        assert "Call via PBX" in client.get(detail).content.decode()
        response = client.post(
            reverse("interactions:call_via_pbx"), {"number": "09121234567", "next": detail}
        )
        assert response.status_code == 302 and response["Location"] == detail
        assert len(pbx.hits) == 1
        assert pbx.json() == {"agent": "sales1", "extension": sales1.phone, "number": NUMBER}
        assert pbx.hits[0]["headers"]["X-Peyvand-Signature"].startswith("v1=")
        pbx.status = 500
        response = client.post(
            reverse("interactions:call_via_pbx"), {"number": "09121234567", "next": detail}
        )
        page = client.get(detail).content.decode()
        assert "The PBX did not take the call" in page


def _pop_scenario(user: Any, post: Any) -> dict[str, Any]:
    async def scenario() -> dict[str, Any]:
        communicator = WebsocketCommunicator(VoiceConsumer.as_asgi(), "/ws/voice/")
        communicator.scope["user"] = user
        connected, _ = await communicator.connect()
        assert connected
        response = await sync_to_async(post)()
        assert response.status_code == 200, response.content
        pop = await communicator.receive_json_from(timeout=10)
        await communicator.disconnect()
        return pop

    return async_to_sync(scenario)()


def test_ringing_call_pops_the_customer_on_the_agents_socket(sales1: Any, customer: Any) -> None:
    pop = _pop_scenario(
        sales1,
        lambda: post_event({"event": "ringing", "call_id": "c-1", "from": "09121234567"}),
    )
    assert pop["type"] == "call" and pop["call_id"] == "c-1"
    assert pop["name"] == "<b>Reza</b> Karimi"  # text, escaped by the page's script
    assert pop["url"] == reverse("customers:detail", args=[customer.pk])
    assert pop["number"] == NUMBER and pop["title"] == "Incoming call"


def test_an_agent_who_may_not_see_the_customer_gets_the_number_only(
    sales2: Any, customer: Any
) -> None:
    pop = _pop_scenario(
        sales2,
        lambda: post_event({"event": "ringing", "call_id": "c-2", "from": NUMBER}),
    )
    assert pop["name"] == "Unknown caller"
    assert "Reza" not in json.dumps(pop)


def test_a_pop_for_one_agent_goes_to_that_agent_in_their_language(
    sales1: Any, customer: Any
) -> None:
    sales1.language = "fa"
    sales1.save(update_fields=["language"])
    pop = _pop_scenario(
        sales1,
        lambda: post_event(
            {"event": "ringing", "call_id": "c-3", "from": NUMBER, "agent": "sales1"}
        ),
    )
    assert pop["title"] == "تماس ورودی" and pop["number"] == "+۹۸۹۱۲۱۲۳۴۵۶۷"


def test_anonymous_sockets_are_refused() -> None:
    async def scenario() -> Any:
        communicator = WebsocketCommunicator(
            application, "/ws/voice/", headers=[(b"origin", b"http://testserver")]
        )
        connected, code = await communicator.connect()
        return connected, code

    connected, code = async_to_sync(scenario)()
    assert not connected and code == 4401


def test_call_end_logs_one_interaction_with_duration_and_outcome(
    customer: Any, sales1: Any
) -> None:
    assert post_event({"event": "ringing", "call_id": "c-9", "from": NUMBER}).status_code == 200
    post_event({"event": "answered", "call_id": "c-9", "agent": "sales1"})
    ended = {"event": "ended", "call_id": "c-9", "duration": 125}
    first = post_event(ended)
    assert first.status_code == 200
    again = post_event(ended)
    assert again.json() == first.json()
    call = Call.objects.get()
    assert call.state == "ended" and call.outcome == "answered" and call.agent == sales1
    interaction = Interaction.objects.get()
    assert interaction.customer == customer and interaction.channel == "phone"
    assert interaction.duration_seconds == 125
    assert interaction.subject == "Incoming call: Answered"
    assert interaction.external_id == "call:c-9"


def test_a_missed_call_without_ringing_event_is_still_logged(customer: Any) -> None:
    post_event({"event": "ended", "call_id": "c-10", "from": NUMBER, "outcome": "no_answer"})
    interaction = Interaction.objects.get()
    assert interaction.subject == "Incoming call: No answer"
    assert interaction.duration_seconds == 0


def test_telephony_webhook_signature(customer: Any) -> None:
    payload = {"event": "ringing", "call_id": "c-5", "from": NUMBER}
    assert post_event(payload, secret="wrong").status_code == 401
    stale = post_event(payload, at=int(time.time()) - 3600)
    assert stale.status_code == 401 and stale["Content-Type"] == "application/problem+json"
    assert not Call.objects.exists()
    bad = post_event({"event": "exploded", "call_id": "c-5"})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"event"}
