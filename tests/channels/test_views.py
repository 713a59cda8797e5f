from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from peyvand.audit.models import ChangeLog
from peyvand.channels.models import Interaction
from peyvand.channels.services import log_interaction
from tests.channels.conftest import HOSTILE_HTML, PNG
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script>'
HTMX = {"HTTP_HX_REQUEST": "true"}


def _new_url(customer: Any) -> str:
    return f"{reverse('interactions:new')}?customer={customer.pk}"


def test_anonymous_is_sent_to_sign_in(client: Any, personas: Any, customer_of_sales1: Any) -> None:
    response = client.get(_new_url(customer_of_sales1))
    assert response.status_code == 302
    assert "/accounts/" in response["Location"]


def test_owner_gets_the_form_fragment(
    client_for: Any, sales1: Any, customer_of_sales1: Any
) -> None:
    response = client_for(sales1).get(_new_url(customer_of_sales1), **HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body
    assert 'name="channel"' in body and 'hx-post="' in body


@pytest.mark.parametrize("persona", ["sales2", "marketing1", "service1"])
def test_others_get_404_on_the_form(
    client_for: Any, personas: Any, customer_of_sales1: Any, persona: str
) -> None:
    client = client_for(personas[persona])
    assert client.get(_new_url(customer_of_sales1)).status_code == 404
    response = client.post(
        _new_url(customer_of_sales1),
        {"channel": "phone", "direction": "outbound", "subject": "sneaky"},
    )
    assert response.status_code == 404
    assert not Interaction.objects.exists()


def test_missing_or_junk_customer_is_404(client_for: Any, sales1: Any) -> None:
    client = client_for(sales1)
    assert client.get(reverse("interactions:new")).status_code == 404
    assert client.get(f"{reverse('interactions:new')}?customer=abc").status_code == 404
    assert client.get(f"{reverse('interactions:new')}?customer=999999").status_code == 404


def test_post_logs_the_interaction_and_redirects(
    client_for: Any, sales1: Any, customer_of_sales1: Any
) -> None:
    response = client_for(sales1).post(
        _new_url(customer_of_sales1),
        {
            "channel": "phone",
            "direction": "outbound",
            "subject": "Follow-up",
            "body": "Called back",
            "occurred_at": "۱۴۰۳/۰۵/۱۲ ۱۴:۳۰",
            "duration_minutes": "5",
            "attachments": [SimpleUploadedFile("note.txt", "سلام".encode())],
        },
    )
    interaction = Interaction.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("interactions:detail", args=[interaction.pk])
    assert interaction.customer == customer_of_sales1
    assert interaction.agent == sales1
    assert interaction.duration_seconds == 300
    assert interaction.occurred_at.date().isoformat() == "2024-08-02"
    assert interaction.attachments.get().content_type == "text/plain"


def test_htmx_post_answers_with_a_fresh_form_and_an_event(
    client_for: Any, sales1: Any, customer_of_sales1: Any
) -> None:
    response = client_for(sales1).post(
        _new_url(customer_of_sales1),
        {"channel": "sms", "direction": "inbound", "subject": "Hi"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "interactionLogged"
    assert Interaction.objects.filter(subject="Hi").exists()


@pytest.mark.parametrize(
    "data",
    [
        {"channel": "pigeon", "direction": "inbound", "subject": "x"},
        {"channel": "phone", "direction": "inbound", "subject": "", "body": ""},
        {"channel": "phone", "direction": "inbound", "subject": "x", "occurred_at": "1403/13/40"},
        {"channel": "phone", "direction": "inbound", "subject": "x", "duration_minutes": "-3"},
    ],
)
def test_bad_input_shows_errors_and_changes_nothing(
    client_for: Any, sales1: Any, customer_of_sales1: Any, data: dict[str, str]
) -> None:
    response = client_for(sales1).post(_new_url(customer_of_sales1), data, **HTMX)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Interaction.objects.exists()
    assert not ChangeLog.objects.exists()


def test_upload_above_the_limit_is_refused_in_the_form(
    client_for: Any, sales1: Any, customer_of_sales1: Any, settings: Any
) -> None:
    settings.PEYVAND_MAX_ATTACHMENT_BYTES = 100
    response = client_for(sales1).post(
        _new_url(customer_of_sales1),
        {
            "channel": "email",
            "direction": "inbound",
            "subject": "big",
            "attachments": [SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 200)],
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert "big.pdf" in response.content.decode()
    assert not Interaction.objects.exists()


def test_detail_is_served_to_the_owner_escaped_and_404_to_others(
    client_for: Any, personas: Any, customer_of_sales1: Any
) -> None:
    interaction = InteractionFactory(customer=customer_of_sales1, subject=XSS, body=XSS)
    url = reverse("interactions:detail", args=[interaction.pk])
    response = client_for(personas["sales1"]).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert client_for(personas["manager"]).get(url).status_code == 200
    for persona in ("sales2", "marketing1"):
        assert client_for(personas[persona]).get(url).status_code == 404


def test_deleted_interaction_is_404(client_for: Any, manager: Any, customer_of_sales1: Any) -> None:
    interaction = InteractionFactory(customer=customer_of_sales1)
    Interaction.objects.filter(pk=interaction.pk).update(deleted_at=interaction.occurred_at)
    url = reverse("interactions:detail", args=[interaction.pk])
    assert client_for(manager).get(url).status_code == 404


@pytest.fixture
def hostile_attachment(sales1: Any, customer_of_sales1: Any) -> Any:
    interaction = log_interaction(
        actor=sales1,
        customer=customer_of_sales1,
        channel="email",
        direction="inbound",
        subject="with files",
        attachments=[("invoice<b>.html", HOSTILE_HTML), ("logo.png", PNG)],
    )
    return interaction.attachments.order_by("pk")


def test_attachment_is_always_a_download_with_nosniff(
    client_for: Any, sales1: Any, hostile_attachment: Any
) -> None:
    html_file, png_file = hostile_attachment
    client = client_for(sales1)
    response = client.get(reverse("interactions:attachment", args=[html_file.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "html" not in response["Content-Type"]
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == HOSTILE_HTML

    response = client.get(reverse("interactions:attachment", args=[png_file.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")


def test_attachment_link_on_detail_page_is_escaped(
    client_for: Any, sales1: Any, hostile_attachment: Any
) -> None:
    interaction = hostile_attachment[0].interaction
    html = client_for(sales1).get(reverse("interactions:detail", args=[interaction.pk])).content
    assert b"invoice&lt;b&gt;.html" in html
    assert b"invoice<b>" not in html


@pytest.mark.parametrize("persona", ["sales2", "marketing1"])
def test_attachment_is_404_outside_the_customer_scope(
    client_for: Any, personas: Any, hostile_attachment: Any, persona: str
) -> None:
    url = reverse("interactions:attachment", args=[hostile_attachment[0].pk])
    assert client_for(personas[persona]).get(url).status_code == 404


def test_attachment_of_a_deleted_interaction_is_404(
    client_for: Any, manager: Any, hostile_attachment: Any
) -> None:
    interaction = hostile_attachment[0].interaction
    Interaction.objects.filter(pk=interaction.pk).update(deleted_at=interaction.occurred_at)
    url = reverse("interactions:attachment", args=[hostile_attachment[0].pk])
    assert client_for(manager).get(url).status_code == 404
