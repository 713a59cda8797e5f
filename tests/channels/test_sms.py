"""SMS end to end: sends through a real HTTP gateway on loopback, caps against SMS pumping,
consent, signed delivery reports and inbound messages (bad and stale signatures refused),
opt-out keywords in Persian, and the managers' gateway screen."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from peyvand.audit.models import ChangeLog
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.models import Interaction
from peyvand.channels.sms.models import SmsGateway
from peyvand.channels.sms.services import opt_out_keyword, send_sms
from peyvand.channels.sms.signing import signed_headers
from peyvand.customers.models import Consent
from peyvand.customers.services import set_consent
from tests.channels.gateway_receiver import GatewayReceiver, running_receiver
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

NUMBER = "+989123456789"
SECRET = "shared-secret-of-the-gateway"


@pytest.fixture
def receiver(settings: Any) -> Iterator[GatewayReceiver]:
    # The gateway runs on loopback, which only this allowance lets the sender reach.
    settings.PEYVAND_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    with running_receiver() as server:
        yield server


@pytest.fixture
def gateway(receiver: GatewayReceiver) -> SmsGateway:
    return SmsGateway.objects.create(
        name="Loopback",
        url=receiver.url,
        auth_header="Authorization",
        auth_value="Bearer sekret-token",
        sender_id="3000123",
        response_id_path="data.messages.0.id",
        webhook_secret=SECRET,
        is_default=True,
    )


@pytest.fixture
def customer(sales1: Any) -> Any:
    customer = CustomerFactory(owner=sales1, display_name="مریم رضایی")
    ContactPointFactory(customer=customer, kind="phone", value="0912 345 6789", normalized=NUMBER)
    return customer


def test_a_persian_sms_goes_to_the_gateway_with_its_segments(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    text = "سلام، سفارش شما آماده است. " * 4
    message = send_sms(customer, actor=sales1, body=text)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_id == "prov-1"
    assert message.recipient == NUMBER
    assert message.meta["sms"]["encoding"] == "ucs2"
    assert message.meta["sms"]["segments"] == 2
    assert len(receiver.hits) == 1
    hit = receiver.hits[0]
    assert hit["path"] == "/send" and hit["query"] == {"account": ["7"]}
    assert hit["headers"]["Authorization"] == "Bearer sekret-token"
    form = receiver.form()
    assert form["to"] == [NUMBER] and form["from"] == ["3000123"]
    assert form["text"] == [text.strip()]
    assert message.interaction is not None
    assert message.interaction.channel == "sms"


def test_json_template_gateway_keeps_quotes_inside_their_strings(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    gateway.json_template = json.dumps(
        {"messages": [{"destination": "{to}", "content": {"body": "{text}"}, "ref": "{reference}"}]}
    )
    gateway.save()
    text = 'He said "hi" \\ {to} }'
    message = send_sms(customer, actor=sales1, body=text)
    body = receiver.json()
    assert receiver.hits[0]["headers"]["Content-Type"] == "application/json"
    assert body["messages"][0]["destination"] == NUMBER
    # The text is put in after the template is parsed: no injection, no placeholder expansion.
    assert body["messages"][0]["content"]["body"] == text
    assert body["messages"][0]["ref"] == message.message_id


def test_the_settings_gateway_is_used_when_none_is_stored(
    receiver: GatewayReceiver, customer: Any, sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_SMS_GATEWAY = {
        "url": receiver.url,
        "method": "GET",
        "to_param": "receptor",
        "text_param": "message",
        "from_param": "",
        "response_id_path": "data.messages.0.id",
    }
    message = send_sms(customer, actor=sales1, body="Your code is 1234")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.meta["gateway"] == "default"
    hit = receiver.hits[0]
    assert hit["method"] == "GET"
    assert hit["query"]["receptor"] == [NUMBER]
    assert hit["query"]["message"] == ["Your code is 1234"]


def test_no_gateway_is_a_clear_error(customer: Any, sales1: Any) -> None:
    with pytest.raises(ValidationError) as info:
        send_sms(customer, actor=sales1, body="hello")
    assert "No SMS gateway is configured." in info.value.message_dict["gateway"]
    assert not Message.objects.exists()


def test_bad_number_and_empty_text_are_refused(
    gateway: SmsGateway, customer: Any, sales1: Any
) -> None:
    with pytest.raises(ValidationError) as info:
        send_sms(customer, actor=sales1, body="  ", to="12")
    assert set(info.value.message_dict) == {"to", "body"}
    assert not Message.objects.exists()


def test_provider_errors_retry_or_give_up(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    receiver.status = 503
    message = send_sms(customer, actor=sales1, body="hello")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.next_attempt_at is not None
    assert "HTTP 503" in message.last_error
    receiver.status = 400
    message = send_sms(customer, actor=sales1, body="hello again")
    message.refresh_from_db()
    assert message.status == MessageStatus.DEAD


def test_a_refused_connection_is_not_handed_over(
    gateway: SmsGateway, customer: Any, sales1: Any
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gateway.url = f"http://127.0.0.1:{port}/send"
    gateway.save()
    message = send_sms(customer, actor=sales1, body="hello")
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.sent_at is None and "ConnectionRefused" in message.last_error


def test_per_number_cap_refuses_and_keeps_the_message(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_SMS_MAX_PER_NUMBER_PER_HOUR = 2
    sent = [send_sms(customer, actor=sales1, body=f"code {n}") for n in range(3)]
    statuses = [Message.objects.get(pk=m.pk).status for m in sent]
    assert statuses == [MessageStatus.SENT, MessageStatus.SENT, MessageStatus.DEAD]
    refused = Message.objects.get(pk=sent[2].pk)
    assert refused.last_error.startswith("Refused: 2 SMS to +989123456789")
    assert refused.meta["refused"] == "cap" and refused.meta["sms"]["segments"] == 1
    assert len(receiver.hits) == 2
    # Another number is still served.
    other = send_sms(customer, actor=sales1, body="hi", to="09351112233")
    assert Message.objects.get(pk=other.pk).status == MessageStatus.SENT


def test_overall_hourly_cap(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_SMS_MAX_PER_HOUR = 2
    numbers = ["09121110001", "09121110002", "09121110003"]
    sent = [send_sms(customer, actor=sales1, body="x", to=n) for n in numbers]
    last = Message.objects.get(pk=sent[2].pk)
    assert last.status == MessageStatus.DEAD
    assert "overall limit" in last.last_error
    assert len(receiver.hits) == 2


def test_marketing_without_consent_is_suppressed(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    message = send_sms(customer, actor=sales1, body="50% off!", purpose="marketing")
    assert message.status == MessageStatus.SUPPRESSED
    assert receiver.hits == []


# --- webhooks ------------------------------------------------------------------


def post_signed(
    client: Client,
    url: str,
    payload: dict[str, Any],
    *,
    secret: str = SECRET,
    at: int | None = None,
) -> Any:
    body = json.dumps(payload).encode()
    headers = signed_headers(secret, body, at)
    return client.post(
        url,
        data=body,
        content_type="application/json",
        headers={k: v for k, v in headers.items()},
    )


def status_url(gateway: SmsGateway) -> str:
    return reverse("interactions:sms_hook_status", args=[gateway.pk])


def inbound_url(gateway: SmsGateway) -> str:
    return reverse("interactions:sms_hook_inbound", args=[gateway.pk])


def test_delivery_report_marks_the_message_delivered(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    message = send_sms(customer, actor=sales1, body="hello")
    client = Client()
    response = post_signed(client, status_url(gateway), {"id": "prov-1", "status": "DELIVRD"})
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED
    # A late failure report does not undo a delivery.
    post_signed(client, status_url(gateway), {"id": "prov-1", "status": "failed"})
    message.refresh_from_db()
    assert message.status == MessageStatus.DELIVERED


def test_failure_report_is_not_retried_by_the_outbox(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    from peyvand.channels.inbox.delivery import due_messages

    message = send_sms(customer, actor=sales1, body="hello")
    response = post_signed(
        Client(), status_url(gateway), {"id": "prov-1", "status": "undelivered", "error": "absent"}
    )
    assert response.status_code == 200
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "undelivered" in message.last_error and "absent" in message.last_error
    assert message.pk not in due_messages()


def test_bad_signature_and_stale_timestamp_are_refused(
    gateway: SmsGateway, receiver: GatewayReceiver, customer: Any, sales1: Any
) -> None:
    message = send_sms(customer, actor=sales1, body="hello")
    client = Client()
    payload = {"id": "prov-1", "status": "delivered"}
    wrong = post_signed(client, status_url(gateway), payload, secret="not-the-secret")
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong.json()["detail"] == "The signature does not match."
    # A request captured ten minutes ago, replayed now, with its genuine signature.
    stale = post_signed(client, status_url(gateway), payload, at=int(time.time()) - 600)
    assert stale.status_code == 401
    assert "too old" in stale.json()["detail"]
    unsigned = client.post(status_url(gateway), data=payload, content_type="application/json")
    assert unsigned.status_code == 401
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_unknown_message_and_gateway_answer_404(gateway: SmsGateway) -> None:
    client = Client()
    response = post_signed(client, status_url(gateway), {"id": "nope", "status": "delivered"})
    assert response.status_code == 404
    response = post_signed(
        client,
        reverse("interactions:sms_hook_status", args=["999"]),
        {"id": "nope", "status": "delivered"},
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_inbound_sms_lands_on_the_customers_conversation_once(
    gateway: SmsGateway, customer: Any
) -> None:
    client = Client()
    payload = {"id": "in-77", "from": "۰۹۱۲۳۴۵۶۷۸۹", "to": "3000123", "text": "سلام، کی می‌رسد؟"}
    first = post_signed(client, inbound_url(gateway), payload)
    assert first.status_code == 201, first.content
    again = post_signed(client, inbound_url(gateway), payload)
    assert again.status_code == 200 and again.json()["created"] is False
    message = Message.objects.get()
    assert message.conversation.customer == customer
    assert message.conversation.channel == "sms"
    assert message.sender == NUMBER and message.status == MessageStatus.RECEIVED
    assert Interaction.objects.filter(customer=customer, channel="sms").count() == 1


def test_inbound_from_an_unknown_number_is_kept(gateway: SmsGateway) -> None:
    response = post_signed(
        Client(), inbound_url(gateway), {"id": "in-1", "from": "+989351234567", "text": "hi"}
    )
    assert response.status_code == 201
    conversation = Conversation.objects.get()
    assert conversation.customer is None and conversation.external_key == "+989351234567"


def test_inbound_with_a_bad_sender_is_a_problem(gateway: SmsGateway) -> None:
    response = post_signed(
        Client(), inbound_url(gateway), {"id": "in-1", "from": "x", "text": "hi"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "from"
    assert not Message.objects.exists()


def test_persian_opt_out_withdraws_marketing_consent(
    gateway: SmsGateway, customer: Any, manager: Any
) -> None:
    set_consent(
        customer, actor=manager, channel="sms", purpose="marketing", status="granted", source="form"
    )
    response = post_signed(
        Client(), inbound_url(gateway), {"id": "in-9", "from": NUMBER, "text": " لغو ۱۱ "}
    )
    assert response.status_code == 201 and response.json()["opt_out"] is True
    consent = Consent.objects.get(customer=customer, channel="sms", purpose="marketing")
    assert consent.status == "withdrawn"
    assert consent.source == "SMS keyword لغو from +989123456789"
    # The next marketing SMS is withheld.
    message = send_sms(customer, actor=manager, body="sale", purpose="marketing")
    assert message.status == MessageStatus.SUPPRESSED


def test_opt_out_keywords_are_normalised(settings: Any) -> None:
    assert opt_out_keyword("STOP") == "stop"
    assert opt_out_keyword("stop!") == "stop"
    assert opt_out_keyword("Unsubscribe please") == "unsubscribe"
    assert opt_out_keyword("توقف") == "توقف"
    assert opt_out_keyword("انصراف.") == "انصراف"
    assert opt_out_keyword("لطفا سفارش را لغو نکنید") == ""
    assert opt_out_keyword("hello") == ""
    # Typed on an Arabic keyboard (ك, ي) or with Arabic-Indic digits: the same keyword.
    settings.PEYVAND_SMS_OPT_OUT_KEYWORDS = ["کنسل", "لغو۱۱"]
    assert opt_out_keyword("كنسل") == "کنسل"
    assert opt_out_keyword("لغو١١") == "لغو11"


# --- screens -------------------------------------------------------------------


def test_managers_configure_gateways_and_the_secret_stays_out_of_the_audit_log(
    client_for: Any, manager: Any, sales1: Any
) -> None:
    url = reverse("interactions:sms_gateways")
    assert client_for(sales1).get(url).status_code == 404
    client = client_for(manager)
    data = {
        "name": "Kavenegar",
        "is_active": "on",
        "is_default": "on",
        "url": "https://api.example.com/v1/sms/send.json",
        "method": "POST",
        "body_format": "form",
        "auth_header": "Authorization",
        "auth_value": "Bearer top-secret-value",
        "to_param": "receptor",
        "text_param": "message",
        "from_param": "sender",
        "json_template": "",
        "response_id_path": "entries.0.messageid",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    gateway = SmsGateway.objects.get()
    assert gateway.auth_value == "Bearer top-secret-value"
    page = client.get(reverse("interactions:sms_gateway", args=[gateway.pk])).content.decode()
    assert "top-secret-value" not in page
    # Saving without retyping the secret keeps it.
    client.post(reverse("interactions:sms_gateway", args=[gateway.pk]), {**data, "auth_value": ""})
    gateway.refresh_from_db()
    assert gateway.auth_value == "Bearer top-secret-value"
    logged = json.dumps(list(ChangeLog.objects.values("before", "after")))
    assert "top-secret-value" not in logged and gateway.webhook_secret not in logged
    bad = client.post(url, {**data, "name": "Bad", "json_template": '{"to": "{to}"'})
    assert bad.status_code == 400
    assert "This is not valid JSON" in bad.content.decode()


def test_compose_box_sends_and_shows_segments(
    client_for: Any, sales1: Any, sales2: Any, customer: Any, gateway: SmsGateway
) -> None:
    url = reverse("interactions:sms_compose", args=[customer.pk])
    assert client_for(sales2).get(url).status_code == 404
    client = client_for(sales1)
    page = client.get(url).content.decode()
    assert NUMBER in page and "sms.js" in page
    bad = client.post(url, {"to": "123", "body": "س" * 71, "purpose": "service"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Enter a valid mobile number." in html
    assert "71 characters · 2 SMS · 63 left in this part · ucs2" in html
    assert not Message.objects.exists()
    ok = client.post(url, {"to": "", "body": "سلام", "purpose": "service"})
    assert ok.status_code == 302
    assert Message.objects.get().recipient == NUMBER


def test_compose_box_in_persian(
    client_for: Any, sales1: Any, customer: Any, gateway: SmsGateway
) -> None:
    from tests.conftest import speak_persian

    speak_persian(sales1)
    page = client_for(sales1).get(reverse("interactions:sms_compose", args=[customer.pk]))
    html = page.content.decode()
    assert 'dir="rtl"' in html
    assert "ارسال پیامک" in html
