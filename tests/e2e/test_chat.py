"""Web chat end to end, in two browsers against daphne (HTTP + WebSockets): a visitor opens
the widget on the test page, an agent answers from the inbox, both see every line live;
then the inbox screens in English and Persian."""

from __future__ import annotations

import re
from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.chat.services import save_widget
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.service.models import Macro
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in

# Served from another thread: the data must be committed for daphne's threads to see it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def widget(manager: Any) -> ChatWidget:
    return save_widget(
        ChatWidget(name="Shop <b>chat</b>", department=Department.objects.get(code="service")),
        origins=[],
        actor=manager,
    )


def test_visitor_and_agent_chat_live(asgi_context: Any, widget: ChatWidget, service1: Any) -> None:
    Macro.objects.create(title="Welcome", body="Welcome to the shop!", language="en")
    agent = asgi_context()
    problems: list[str] = []
    agent.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in(agent, "service1", PASSWORD)
    agent.goto("/interactions/inbox/")
    agent.get_by_text("No conversations here.").wait_for()

    visitor = asgi_context()
    visitor.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in(visitor, "manager", PASSWORD)  # the test page is a manager's screen
    visitor.goto(f"/interactions/inbox/chat-widgets/{widget.pk}/test-page/")
    visitor.get_by_role("button", name="Chat with us").click()
    box = visitor.get_by_role("textbox", name="Write a message…")
    box.fill("Hello <b>there</b>, is my order on its way?")
    box.press("Enter")

    # The agent's list refreshes itself with the new conversation.
    agent.get_by_role("link", name="Shop <b>chat</b>").click()
    agent.get_by_text("Hello <b>there</b>, is my order on its way?").wait_for()
    conversation = Conversation.objects.get()
    assert conversation.channel == "chat" and conversation.department.code == "service"

    agent.get_by_label("Canned response").select_option(label="Welcome")
    reply = agent.get_by_label("Reply")
    reply.press("End")
    reply.type(" It left today.")
    agent.get_by_role("button", name="Send reply").click()
    visitor.get_by_text("Welcome to the shop! It left today.").wait_for()
    assert agent.locator("#thread li", has_text="It left today.").count() == 1

    box.fill("Thank you!")
    box.press("Enter")
    agent.locator("#thread").get_by_text("Thank you!").wait_for()
    messages = list(Message.objects.order_by("pk").values_list("direction", "status", "body"))
    assert messages == [
        ("inbound", "received", "Hello <b>there</b>, is my order on its way?"),
        ("outbound", "sent", "Welcome to the shop! It left today."),
        ("inbound", "received", "Thank you!"),
    ]
    screenshot(visitor, "chat-visitor-en")
    screenshot(agent, "chat-agent-en")

    # A second agent opening the same conversation: both get the collision warning.
    colleague = asgi_context()
    sign_in(colleague, "manager", PASSWORD)
    colleague.goto(f"/interactions/inbox/{conversation.pk}/")
    colleague.get_by_text(re.compile("Also looking at this conversation: Reza Hosseini")).wait_for()
    agent.get_by_text(re.compile("Also looking at this conversation: Maryam Karimi")).wait_for()
    assert problems == []


def shot_dir(language: str) -> str:
    return "rtl" if language == "fa" else "ltr"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_inbox_screens_in_both_languages(
    asgi_context: Any, widget: ChatWidget, manager: Any, language: str
) -> None:
    from peyvand.channels.inbox.services import add_note, open_conversation, receive_message
    from tests.factories import CustomerFactory

    if language == "fa":
        speak_persian(manager)
    page = asgi_context()  # signs in on the English form; then the user's language applies
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in(page, "manager", PASSWORD)
    customer = CustomerFactory(display_name="پریسا <i>تهرانی</i>", owner=manager)
    conversation = open_conversation(channel="email", customer=customer, subject="سفارش <b>۱۲</b>")
    receive_message(conversation, message_id="fa@x", body="سلام، سفارش من کجاست؟", sender="p@x.ir")
    add_note(conversation, actor=manager, body="Check the courier")
    for name, path in (
        ("list", "/interactions/inbox/"),
        ("conversation", f"/interactions/inbox/{conversation.pk}/"),
        ("canned", "/interactions/inbox/canned/"),
        ("dead-letters", "/interactions/inbox/undeliverable/"),
        ("widgets", "/interactions/inbox/chat-widgets/"),
        ("test-page", f"/interactions/inbox/chat-widgets/{widget.pk}/test-page/"),
        ("desk", "/"),
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if name == "test-page":
            page.locator(".pv-toggle").click()
            page.locator(".pv-panel").wait_for()
            assert page.locator(".pv-chat").get_attribute("dir") == shot_dir(language)
            expected = "گفتگو با ما" if language == "fa" else "Chat with us"
            assert page.locator(".pv-toggle").inner_text() == expected
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == shot_dir(language), name
        assert not shot["wide"], name
        screenshot(page, f"inbox-{name}-{language}")
    assert problems == []
