"""portal 0006: sign-in codes sent before codes became secrets leave the ordinary threads
and the timeline: moved to the customer's hidden thread with their text cleared; other
messages stay as they were."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import open_conversation, queue_message
from peyvand.channels.models import Interaction
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("peyvand.portal.migrations.0006_forget_old_sign_in_codes")


def test_old_codes_leave_the_threads_and_the_timeline(client_for: Any, manager: Any) -> None:
    customer = CustomerFactory()
    # As the portal sent them before: each code in a thread of its own, on the timeline.
    email_thread = open_conversation(channel="email", customer=customer, subject="")
    code_email = queue_message(
        email_thread,
        actor=None,
        recipient="c@example.com",
        subject="Your sign-in code: 481516",
        body="Your code to sign in to the customer portal is 481516.\n\nOr open this link: "
        "http://x/portal/sign-in/link/SECRETLINK/",
    )
    sms_thread = open_conversation(channel="sms", customer=customer, subject="")
    code_sms = queue_message(
        sms_thread,
        actor=None,
        recipient="+989121111111",
        body="کد ورود شما به درگاه: 234200 (معتبر تا 10 دقیقه)",
    )
    kept_thread = open_conversation(channel="email", customer=customer, subject="Invoice")
    kept = queue_message(
        kept_thread,
        actor=None,
        recipient="c@example.com",
        subject="Your sign-in code: is it 481516?",
        body="A customer asking about a code is not a code we sent.",
    )
    page = client_for(manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "481516" in page  # the leak this migration closes

    migration.forget_old_codes(apps, None)

    for message in (code_email, code_sms):
        message.refresh_from_db()
        assert message.conversation.sensitive and message.conversation.customer == customer
        assert (message.subject, message.body, message.body_html) == ("", "", "")
        assert message.meta["forgotten"] is True and message.interaction_id is None
    assert not Conversation.objects.filter(pk__in=[email_thread.pk, sms_thread.pk]).exists()
    kept.refresh_from_db()
    assert kept.conversation == kept_thread and kept.body.startswith("A customer asking")
    assert Interaction.objects.filter(customer=customer).count() == 1
    page = client_for(manager).get(f"/customers/{customer.pk}/").content.decode()
    assert "SECRETLINK" not in page and "234200" not in page
    assert not Message.objects.filter(body__contains="481516.").exists()
    # Run again (a re-applied migration): nothing left to move.
    migration.forget_old_codes(apps, None)
    assert Conversation.objects.filter(customer=customer, sensitive=True).count() == 2
