"""The email API: identities and templates (managers change them), sending to a customer
or on a conversation, with problem+json answers for bad input and others' records."""

from __future__ import annotations

import json
from typing import Any

import pytest

from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from tests.api.conftest import ApiClientFactory, problem_of
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=json.dumps(body), content_type=JSON)


def _patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, data=json.dumps(body), content_type=JSON)


def test_managers_create_and_change_identities_and_templates(
    api_client: ApiClientFactory, manager: Any
) -> None:
    client = api_client(manager)
    created = _post(
        client,
        "/api/v1/email/identities",
        {
            "name": "Sales",
            "from_name_en": "Sales",
            "from_name_fa": "فروش",
            "address": "Sales@Shop.Example",
        },
    )
    assert created.status_code == 201, created.content
    identity = created.json()
    assert identity["address"] == "sales@shop.example"
    changed = _patch(
        client, f"/api/v1/email/identities/{identity['id']}", {"reply_domain": "reply.shop.example"}
    )
    assert changed.status_code == 200 and changed.json()["reply_domain"] == "reply.shop.example"
    template = _post(
        client,
        "/api/v1/email/templates",
        {
            "name": "Hi",
            "identity": identity["id"],
            "subject_fa": "سلام",
            "body_fa": "سلام {{ first_name | دوست }}",
        },
    )
    assert template.status_code == 201, template.content
    assert template.json()["identity"] == identity["id"]
    bad = _patch(
        client, f"/api/v1/email/templates/{template.json()['id']}", {"body_fa": "{{ secret }}"}
    )
    body = problem_of(bad, 422)
    assert "secret" in json.dumps(body, ensure_ascii=False)
    assert EmailTemplate.objects.get().body_fa == "سلام {{ first_name | دوست }}"
    listed = client.get("/api/v1/email/templates").json()
    assert [t["name"] for t in listed] == ["Hi"]


def test_others_may_read_active_settings_but_not_change_them(
    api_client: ApiClientFactory, sales1: Any
) -> None:
    SendingIdentity.objects.create(name="On", from_name_en="On", address="on@a.example")
    SendingIdentity.objects.create(
        name="Off", from_name_en="Off", address="off@a.example", is_active=False
    )
    client = api_client(sales1)
    assert [i["name"] for i in client.get("/api/v1/email/identities").json()] == ["On"]
    problem_of(
        _post(
            client,
            "/api/v1/email/identities",
            {"name": "X", "from_name_en": "X", "address": "x@a.example"},
        ),
        403,
    )
    assert SendingIdentity.objects.count() == 2


def test_sending_queues_the_email_in_the_customers_language(
    api_client: ApiClientFactory, sales1: Any
) -> None:
    identity = SendingIdentity.objects.create(name="S", from_name_en="S", address="s@shop.example")
    template = EmailTemplate.objects.create(
        name="T",
        subject_en="Hello {{ first_name }}",
        body_en="Hi",
        subject_fa="سلام",
        body_fa="درود",
    )
    customer = CustomerFactory(owner=sales1, first_name="Ali", preferred_language="en")
    ContactPointFactory(customer=customer, value="ali@example.com")
    response = _post(
        api_client(sales1),
        "/api/v1/email/messages",
        {"customer": customer.pk, "template": template.pk, "identity": identity.pk},
    )
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["subject"] == "Hello Ali" and sent["language"] == "en"
    assert sent["recipient"] == "ali@example.com"
    assert sent["status"] == MessageStatus.QUEUED
    assert sent["message_id"].endswith("@shop.example")


def test_sending_to_someone_elses_customer_is_a_404_and_bad_input_a_422(
    api_client: ApiClientFactory, sales1: Any, sales2: Any
) -> None:
    SendingIdentity.objects.create(name="S", from_name_en="S", address="s@shop.example")
    theirs = CustomerFactory(owner=sales2)
    ContactPointFactory(customer=theirs)
    mine = CustomerFactory(owner=sales1)
    client = api_client(sales1)
    problem_of(
        _post(
            client, "/api/v1/email/messages", {"customer": theirs.pk, "subject": "x", "body": "y"}
        ),
        404,
    )
    no_address = problem_of(
        _post(client, "/api/v1/email/messages", {"customer": mine.pk, "subject": "x", "body": "y"}),
        422,
    )
    assert "to" in json.dumps(no_address)
    problem_of(_post(client, "/api/v1/email/messages", {"subject": "x", "body": "y"}), 422)
    assert Message.objects.count() == 0
