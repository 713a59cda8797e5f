"""Inbound email over IMAP against a real dovecot server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.inbound.imap import sync_mailbox
from peyvand.channels.email.inbound.models import Mailbox, MailboxUid, RawInboundEmail
from peyvand.channels.email.inbound.tasks import poll_mailboxes
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import open_conversation, queue_message
from peyvand.channels.models import Interaction, InteractionAttachment
from tests.channels.email.inbound.conftest import make_email
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db

BROKEN_MIME = (
    b"From: Broken Sender <broken@customer.example>\r\n"
    b"To: support@example.com\r\n"
    b"Subject: broken structure\r\n"
    b"Message-ID: <broken-1@customer.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="never-appears"\r\n'
    b"\r\n"
    b"This body has no boundary line at all, so its parts cannot be found.\r\n"
)


def _reload(mailbox: Mailbox) -> Mailbox:
    mailbox.refresh_from_db()
    return mailbox


def test_reply_to_outgoing_message_threads_onto_its_conversation(
    mailbox: Mailbox, imap_account: Any
) -> None:
    customer = CustomerFactory(display_name="Ali")
    ContactPointFactory(customer=customer, value="Ali@Customer.example")
    conversation = open_conversation(channel=InteractionChannel.EMAIL, customer=customer)
    outgoing_id = f"{uuid.uuid4().hex}@example.com"
    queue_message(
        conversation,
        actor=None,
        body="Your order has shipped.",
        recipient="ali@customer.example",
        subject="Your order",
        channel=InteractionChannel.EMAIL,
        message_id=outgoing_id,
    )
    imap_account.append(
        make_email(
            subject="Re: Your order",
            body="Thanks!",
            message_id="reply-1@customer.example",
            In_Reply_To=f"<{outgoing_id}>",
            References=f"<{outgoing_id}>",
        )
    )
    # A reply whose client dropped the threading headers still finds it by the reply token.
    imap_account.append(
        make_email(
            to=f"Support <support+{conversation.reply_token}@example.com>",
            subject="one more thing",
            body="And another question.",
            message_id="reply-2@customer.example",
        )
    )

    result = sync_mailbox(mailbox.pk)

    assert (result.imported, result.error) == (2, "")
    replies = Message.objects.filter(message_id__startswith="reply-").order_by("message_id")
    assert [m.conversation_id for m in replies] == [conversation.pk, conversation.pk]
    first = replies[0]
    assert first.in_reply_to == outgoing_id
    assert first.sender == "ali@customer.example"
    assert first.interaction is not None and first.interaction.customer_id == customer.pk
    assert Conversation.objects.count() == 1
    mailbox = _reload(mailbox)
    assert mailbox.messages_imported == 2
    assert mailbox.last_uid == 2
    assert mailbox.last_success_at is not None and mailbox.last_error == ""


def test_unknown_sender_opens_a_conversation_without_customer(
    mailbox: Mailbox, imap_account: Any
) -> None:
    imap_account.append(make_email(sender="stranger@nowhere.example", message_id="s-1@nowhere"))
    assert sync_mailbox(mailbox.pk).imported == 1
    message = Message.objects.get(message_id="s-1@nowhere")
    assert message.conversation.customer is None
    assert message.interaction is None
    assert message.conversation.external_key == f"mailbox:{mailbox.pk}"


def test_persian_subject_and_body(mailbox: Mailbox, imap_account: Any) -> None:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="ali@customer.example")
    raw = make_email(
        subject="سفارش شمارهٔ ۱۲۳ هنوز نرسیده",
        body="سلام، بسته هنوز به دستم نرسیده است.",
        message_id="fa-1@customer.example",
    ).as_bytes()
    assert b"=?utf-8?" in raw  # the subject travels RFC 2047-encoded
    imap_account.append(raw)

    sync_mailbox(mailbox.pk)

    message = Message.objects.get(message_id="fa-1@customer.example")
    assert message.subject == "سفارش شمارهٔ ۱۲۳ هنوز نرسیده"
    assert message.body == "سلام، بسته هنوز به دستم نرسیده است."
    assert message.conversation.subject == message.subject
    assert Interaction.objects.get(pk=message.interaction_id).subject == message.subject


def test_html_body_with_script_is_sanitised(mailbox: Mailbox, imap_account: Any) -> None:
    email = make_email(message_id="html-1@customer.example", body="plain part")
    email.add_alternative(
        "<html><head><style>body{display:none}</style><script>steal()</script></head>"
        '<body><p onclick="steal()">Hello <b>world</b></p>'
        '<a href="javascript:steal()">click</a><img src="x" onerror="steal()">'
        '<a href="https://example.org/">ok</a></body></html>',
        subtype="html",
    )
    imap_account.append(email)

    sync_mailbox(mailbox.pk)

    html = Message.objects.get(message_id="html-1@customer.example").body_html
    assert "<b>world</b>" in html
    assert 'href="https://example.org/"' in html
    for forbidden in ("<script", "steal()", "onclick", "onerror", "javascript:", "<style"):
        assert forbidden not in html


def test_20_mb_attachment_is_stored_and_served_as_a_download(
    mailbox: Mailbox, imap_account: Any, client_for: Any, manager: Any
) -> None:
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="ali@customer.example")
    payload = b"%PDF-1.7\n" + bytes(range(256)) * (20 * 1024 * 1024 // 256)
    email = make_email(message_id="big-1@customer.example", body="The contract is attached.")
    # Claimed as HTML: the stored type is sniffed from the bytes, never taken from the sender.
    email.add_attachment(payload, maintype="text", subtype="html", filename="contract.html")
    imap_account.append(email)

    result = sync_mailbox(mailbox.pk)

    assert result.imported == 1, result
    message = Message.objects.get(message_id="big-1@customer.example")
    attachment = InteractionAttachment.objects.get(interaction=message.interaction)
    assert attachment.size == len(payload)
    assert attachment.content_type == "application/pdf"
    assert message.meta["attachments"][0]["size"] == len(payload)
    response = client_for(manager).get(f"/interactions/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == payload


def test_attachment_over_the_limit_is_refused_but_the_message_imported(
    mailbox: Mailbox, imap_account: Any, settings: Any
) -> None:
    settings.PEYVAND_MAX_ATTACHMENT_BYTES = 1024 * 1024
    customer = CustomerFactory()
    ContactPointFactory(customer=customer, value="ali@customer.example")
    email = make_email(message_id="big-2@customer.example", body="See attached.")
    email.add_attachment(
        b"\x00" * (2 * 1024 * 1024), maintype="application", subtype="zip", filename="big.zip"
    )
    email.add_attachment(b"small text", maintype="text", subtype="plain", filename="note.txt")
    imap_account.append(email)

    assert sync_mailbox(mailbox.pk).imported == 1

    message = Message.objects.get(message_id="big-2@customer.example")
    assert message.body == "See attached."
    assert [
        a.filename for a in InteractionAttachment.objects.filter(interaction=message.interaction)
    ] == ["note.txt"]
    refused = message.meta["refused_attachments"]
    assert refused[0]["filename"] == "big.zip" and "limit" in refused[0]["reason"]


def test_broken_mime_is_kept_raw_listed_and_not_skipped(
    mailbox: Mailbox, imap_account: Any, client_for: Any, manager: Any
) -> None:
    imap_account.append(BROKEN_MIME)
    imap_account.append(make_email(message_id="after-broken@customer.example"))

    result = sync_mailbox(mailbox.pk)

    assert (result.kept_raw, result.imported) == (1, 1)
    kept = RawInboundEmail.objects.get()
    assert bytes(kept.raw) == BROKEN_MIME.replace(b"\r\n", b"\r\n")
    assert kept.uid == 1 and kept.mailbox_id == mailbox.pk
    assert "Boundary" in kept.error
    assert not Message.objects.filter(message_id="broken-1@customer.example").exists()
    assert _reload(mailbox).last_uid == 2
    page = client_for(manager).get("/interactions/mailboxes/unparsed/")
    assert "broken structure" in page.content.decode()
    download = client_for(manager).get(f"/interactions/mailboxes/unparsed/{kept.pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content == bytes(kept.raw)
    # A second sync does not keep it again.
    assert sync_mailbox(mailbox.pk).kept_raw == 0
    assert RawInboundEmail.objects.count() == 1


def test_duplicate_delivery_is_imported_once(mailbox: Mailbox, imap_account: Any) -> None:
    email = make_email(message_id="dup-1@customer.example")
    imap_account.append(email)
    imap_account.append(email)

    first = sync_mailbox(mailbox.pk)
    again = sync_mailbox(mailbox.pk)

    assert (first.imported, first.duplicates) == (1, 1)
    assert (again.imported, again.duplicates) == (0, 0)
    assert Message.objects.filter(message_id="dup-1@customer.example").count() == 1
    assert MailboxUid.objects.filter(mailbox=mailbox).count() == 2
    assert _reload(mailbox).messages_imported == 1


def test_uidvalidity_change_rescans_without_importing_twice(
    mailbox: Mailbox, imap_account: Any
) -> None:
    mailbox.folder = "Support"
    mailbox.save()
    old = [make_email(message_id=f"old-{i}@customer.example") for i in range(2)]
    for email in old:
        imap_account.append(email, folder="Support")
    assert sync_mailbox(mailbox.pk).imported == 2
    first_validity = _reload(mailbox).uidvalidity
    with imap_account.client() as client:
        client.delete_folder("Support")
        client.create_folder("Support")
    for email in [*old, make_email(message_id="new-1@customer.example")]:
        imap_account.append(email, folder="Support")

    result = sync_mailbox(mailbox.pk)

    mailbox = _reload(mailbox)
    assert mailbox.uidvalidity != first_validity
    assert (result.imported, result.duplicates) == (1, 2)
    assert mailbox.last_uid == 3
    assert Message.objects.filter(message_id__endswith="@customer.example").count() == 3


def test_fax_gateway_logs_a_fax_interaction_with_its_document(
    mailbox: Mailbox, imap_account: Any
) -> None:
    mailbox.is_fax_gateway = True
    mailbox.save()
    customer = CustomerFactory()
    ContactPointFactory(
        customer=customer, kind="phone", value="+989123456789", normalized="+989123456789"
    )
    email = make_email(
        sender="Fax Gateway <fax@gateway.example>",
        subject="Fax from 0912 345 6789 (2 pages)",
        body="You have received a fax.",
        message_id="fax-1@gateway.example",
    )
    document = b"%PDF-1.4\n" + b"fax page" * 100
    email.add_attachment(document, maintype="application", subtype="pdf", filename="fax-0001.pdf")
    imap_account.append(email)

    sync_mailbox(mailbox.pk)

    message = Message.objects.get(message_id="fax-1@gateway.example")
    assert message.channel == InteractionChannel.FAX
    assert message.conversation.channel == InteractionChannel.FAX
    interaction = message.interaction
    assert interaction is not None
    assert (interaction.channel, interaction.customer_id) == (InteractionChannel.FAX, customer.pk)
    attachment = interaction.attachments.get()
    assert (attachment.filename, attachment.content_type) == ("fax-0001.pdf", "application/pdf")
    assert attachment.file.read() == document


def test_login_failure_is_shown_on_the_mailbox(mailbox: Mailbox) -> None:
    mailbox.username = "nobody-here"
    mailbox.save()
    result = sync_mailbox(mailbox.pk)
    mailbox = _reload(mailbox)
    assert "LoginError" in result.error
    assert "LoginError" in mailbox.last_error
    assert mailbox.last_success_at is None and mailbox.last_attempt_at is not None


def test_periodic_poll_syncs_active_imap_mailboxes(mailbox: Mailbox, imap_account: Any) -> None:
    Mailbox.objects.create(name="Webhook only", address="hook@example.com")
    Mailbox.objects.create(
        name="Paused", address="p@example.com", host="127.0.0.1", username="x", is_active=False
    )
    imap_account.append(make_email(message_id="poll-1@customer.example"))
    # The test task backend runs enqueued tasks at once.
    assert poll_mailboxes.call() == 1
    assert Message.objects.filter(message_id="poll-1@customer.example").exists()


def test_message_without_message_id_is_still_imported_once(
    mailbox: Mailbox, imap_account: Any
) -> None:
    raw = make_email(body="no id here").as_bytes()
    imap_account.append(raw)
    imap_account.append(raw)
    result = sync_mailbox(mailbox.pk)
    assert (result.imported, result.duplicates) == (1, 1)
    assert Message.objects.get().message_id.endswith("@no-message-id.invalid")
