"""A new email from the inbox, against a real SMTP server (aiosmtpd): find the customer,
pick their address, write, attach, queue; consent, bad input and other people's customers."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from peyvand.channels.email.models import EmailTemplate
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from peyvand.channels.models import Interaction
from tests.channels.conftest import PNG
from tests.channels.email.sink import SinkHandler
from tests.conftest import speak_persian
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/interactions/inbox/compose/"


def _customer(owner: Any, address: str = "", **fields: Any) -> Any:
    customer = CustomerFactory(owner=owner, **fields)
    ContactPointFactory(customer=customer, value=address or f"c{customer.pk}@example.com")
    return customer


def _post(client: Any, customer: Any, **fields: Any) -> Any:
    data = {
        "to": customer.contact_points.get().pk,
        "identity": fields.pop("identity").pk,
        "purpose": "service",
        "subject": "Your order",
        "body": "Hello,\n\nit ships today.",
        **fields,
    }
    return client.post(f"{URL}?customer={customer.pk}", data)


def test_staff_find_the_customer_write_attach_and_it_arrives(
    sink: SinkHandler, identity: Any, client_for: Any, sales1: Any, sales2: Any
) -> None:
    customer = _customer(sales1, "ali@example.com", display_name="Ali <b>Rezaei</b>")
    _customer(sales2, "ali.other@example.com")
    client = client_for(sales1)

    found = client.get(URL, {"q": "ali@example.com"}).content.decode()
    assert f"?customer={customer.pk}" in found
    assert "Ali &lt;b&gt;Rezaei&lt;/b&gt;" in found and "<b>Rezaei" not in found
    form = client.get(URL, {"customer": customer.pk}).content.decode()
    assert "ali@example.com" in form and 'enctype="multipart/form-data"' in form

    photo = SimpleUploadedFile("photo <1>.png", PNG, content_type="image/png")
    response = _post(client, customer, identity=identity, attachments=[photo])
    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/interactions/inbox/{message.conversation_id}/"
    assert message.status == MessageStatus.SENT and message.recipient == "ali@example.com"
    (arrived,) = sink.messages()
    assert arrived["Subject"] == "Your order" and arrived["To"] == "ali@example.com"
    assert str(arrived["Message-ID"]).strip("<>") == message.message_id
    (attachment,) = list(arrived.iter_attachments())
    assert attachment.get_content() == PNG
    assert Interaction.objects.filter(customer=customer, subject="Your order").exists()
    page = client.get(response["Location"]).content.decode()
    assert "The email is queued for sending." in page


def test_marketing_without_consent_is_suppressed_and_the_page_says_why(
    sink: SinkHandler, identity: Any, client_for: Any, sales1: Any
) -> None:
    customer = _customer(sales1)
    client = client_for(sales1)
    response = _post(client, customer, identity=identity, purpose="marketing")
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.status == MessageStatus.SUPPRESSED and sink.count == 0
    page = client.get(response["Location"]).content.decode()
    assert "Not sent: The customer has not consented to this on email." in page


def test_bad_input_shows_the_error_in_the_users_language_and_queues_nothing(
    sink: SinkHandler, identity: Any, client_for: Any, sales1: Any
) -> None:
    customer = _customer(sales1)
    client = client_for(sales1)
    response = _post(client, customer, identity=identity, body="  ")
    assert response.status_code == 400
    assert "Write the message or choose a template." in response.content.decode()
    speak_persian(sales1)
    response = _post(client, customer, identity=identity, subject="", body="")
    assert response.status_code == 400
    page = response.content.decode()
    assert 'dir="rtl"' in page and "پیام را بنویسید یا یک قالب انتخاب کنید." in page
    too_big = SimpleUploadedFile("big.bin", b"x" * 2048, content_type="application/octet-stream")
    with pytest.MonkeyPatch.context() as patch:
        from django.conf import settings

        patch.setattr(settings, "PEYVAND_EMAIL_MAX_ATTACHMENTS_BYTES", 1024)
        response = _post(client, customer, identity=identity, attachments=[too_big])
    assert response.status_code == 400
    assert not Message.objects.exists() and sink.count == 0


def test_a_template_fills_subject_and_body_in_the_customers_language(
    sink: SinkHandler, identity: Any, client_for: Any, sales1: Any
) -> None:
    template = EmailTemplate.objects.create(
        name="Shipped",
        subject_en="Shipped, {{ first_name | friend }}",
        body_en="Your order left today.",
        subject_fa="ارسال شد",
        body_fa="سفارش شما امروز ارسال شد.",
    )
    customer = _customer(sales1, preferred_language="en", first_name="Sara")
    response = _post(
        client_for(sales1), customer, identity=identity, template=template.pk, subject="", body=""
    )
    assert response.status_code == 302
    (arrived,) = sink.messages()
    assert arrived["Subject"] == "Shipped, Sara"


def test_other_peoples_customers_and_addresses_answer_404_or_an_error(
    sink: SinkHandler, identity: Any, client_for: Any, sales1: Any, sales2: Any
) -> None:
    mine = _customer(sales1)
    theirs = _customer(sales2, "theirs@example.com")
    client = client_for(sales1)
    search = client.get(URL, {"q": "theirs@example.com"}).content.decode()
    assert f"?customer={theirs.pk}" not in search and "No customer matches" in search
    assert client.get(URL, {"customer": theirs.pk}).status_code == 404
    assert _post(client, theirs, identity=identity).status_code == 404
    assert client.get(URL, {"customer": 999_999}).status_code == 404
    # Someone else's address under my customer is not a choice of the form.
    response = client.post(
        f"{URL}?customer={mine.pk}",
        {
            "to": theirs.contact_points.get().pk,
            "identity": identity.pk,
            "purpose": "service",
            "subject": "Hi",
            "body": "Hi",
        },
    )
    assert response.status_code == 400
    assert not Message.objects.exists() and sink.count == 0


def test_search_has_an_empty_state_and_a_customer_without_email_says_so(
    client_for: Any, sales1: Any
) -> None:
    client = client_for(sales1)
    assert "No customer matches that search." in client.get(URL, {"q": "nobody"}).content.decode()
    bare = CustomerFactory(owner=sales1)
    page = client.get(URL, {"customer": bare.pk}).content.decode()
    assert "This customer has no email address." in page
    assert client_for(sales1).get("/interactions/inbox/").content.decode().count(URL) == 1
