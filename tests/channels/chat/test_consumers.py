"""The chat consumers over a real channel layer (in-memory, or Redis with REDIS_URL): a
visitor's line reaches the agent's socket and the database, an agent's reply reaches the
visitor, origins outside the widget's allow-list are refused, and agents only hear about
conversations they may see."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection

from peyvand.access.models import Department
from peyvand.channels.chat import presence, services
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.models import Interaction
from peyvand.config.asgi import application
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

VISITOR = "v" * 20


def run(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test body on an event loop (the suite has no asyncio plugin)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        async_to_sync(test)(*args, **kwargs)

    return wrapper


@pytest.fixture
def widget(manager: Any) -> ChatWidget:
    return services.save_widget(
        ChatWidget(name="Shop chat", department=Department.objects.get(code="service")),
        origins=["https://shop.example"],
        actor=manager,
    )


def visitor_socket(
    widget: ChatWidget, origin: str = "https://shop.example", visitor: str = VISITOR
) -> WebsocketCommunicator:
    return WebsocketCommunicator(
        application,
        f"/ws/chat/{widget.key}/?visitor={visitor}&lang=en",
        headers=[(b"origin", origin.encode()), (b"host", b"crm.example")],
    )


def agent_socket(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[(b"origin", b"http://testserver"), (b"host", b"testserver")],
    )
    communicator.scope["user"] = user
    return communicator


@run
async def test_visitor_line_reaches_agent_and_reply_reaches_visitor(
    widget: ChatWidget, service1: Any
) -> None:
    agent = agent_socket(service1)
    assert (await agent.connect())[0]
    visitor = visitor_socket(widget)
    assert (await visitor.connect())[0]
    hello = await visitor.receive_json_from()
    assert hello == {"type": "hello", "online": True, "messages": []}

    await visitor.send_json_to({"type": "message", "id": "m1", "body": "Hello <b>there</b>"})
    ack = await visitor.receive_json_from()
    assert ack["type"] == "ack" and ack["client"] == "m1"
    activity = await agent.receive_json_from(timeout=5)
    assert activity["type"] == "activity"
    assert activity["message"]["body"] == "Hello <b>there</b>"
    conversation = await sync_to_async(Conversation.objects.select_related("department").get)()
    assert conversation.channel == "chat" and conversation.department.code == "service"
    assert activity["conversation"] == conversation.pk

    # The same line again (a resend after a dropped socket) is stored once, and announced
    # again under the same id (the pages show an id once) in case the first telling died.
    await visitor.send_json_to({"type": "message", "id": "m1", "body": "Hello <b>there</b>"})
    again = await visitor.receive_json_from()
    assert again["type"] == "ack" and again["id"] == ack["id"]
    echo = await visitor.receive_json_from()
    assert echo["type"] == "message" and echo["id"] == ack["id"]
    assert (await agent.receive_json_from(timeout=5))["message"]["id"] == ack["id"]
    assert await sync_to_async(Message.objects.count)() == 1

    await agent.send_json_to({"type": "watch", "conversation": conversation.pk})
    presence = await agent.receive_json_from()
    assert presence["type"] == "presence"
    assert [v["id"] for v in presence["viewers"]] == [service1.pk]
    await agent.send_json_to({"type": "typing", "conversation": conversation.pk})
    assert await visitor.receive_json_from() == {"type": "typing"}

    await sync_to_async(services.send_reply)(conversation, actor=service1, body="How can I help?")
    reply = await visitor.receive_json_from(timeout=5)
    assert reply["type"] == "message" and reply["direction"] == "out"
    assert reply["body"] == "How can I help?" and reply["author"] == "Reza Hosseini"
    stored = await sync_to_async(Message.objects.get)(direction="outbound")
    assert stored.status == "sent"
    await visitor.disconnect()
    await agent.disconnect()

    # A reload shows the transcript again.
    again = visitor_socket(widget)
    assert (await again.connect())[0]
    hello = await again.receive_json_from()
    assert [m["body"] for m in hello["messages"]] == ["Hello <b>there</b>", "How can I help?"]
    await again.disconnect()


@run
async def test_foreign_origin_unknown_key_and_bad_visitor_id_are_refused(
    widget: ChatWidget,
) -> None:
    for communicator in (
        visitor_socket(widget, origin="https://evil.example"),
        visitor_socket(widget, visitor="short"),
        WebsocketCommunicator(
            application,
            f"/ws/chat/nope{widget.key}/?visitor={VISITOR}",
            headers=[(b"origin", b"https://shop.example")],
        ),
    ):
        connected, _code = await communicator.connect()
        assert not connected
    # The CRM's own pages (the test page) may connect.
    own = visitor_socket(widget, origin="https://crm.example")
    assert (await own.connect())[0]
    await own.disconnect()


@run
async def test_anonymous_agent_socket_is_refused(widget: ChatWidget) -> None:
    from django.contrib.auth.models import AnonymousUser

    communicator = agent_socket(AnonymousUser())
    connected, _code = await communicator.connect()
    assert not connected


@run
async def test_agents_hear_only_of_conversations_they_may_see(
    widget: ChatWidget, sales2: Any, service1: Any
) -> None:
    outsider = agent_socket(sales2)
    assert (await outsider.connect())[0]
    insider = agent_socket(service1)
    assert (await insider.connect())[0]
    visitor = visitor_socket(widget)
    await visitor.connect()
    await visitor.receive_json_from()
    await visitor.send_json_to({"type": "message", "id": "a", "body": "secret"})
    await visitor.receive_json_from()
    assert (await insider.receive_json_from(timeout=5))["message"]["body"] == "secret"
    assert await outsider.receive_nothing(timeout=0.5)
    conversation = await sync_to_async(Conversation.objects.get)()
    await outsider.send_json_to({"type": "watch", "conversation": conversation.pk})
    assert (await outsider.receive_json_from())["type"] == "error"
    for communicator in (visitor, insider, outsider):
        await communicator.disconnect()


@run
async def test_bad_input_is_answered_and_nothing_stored(widget: ChatWidget) -> None:
    visitor = visitor_socket(widget)
    await visitor.connect()
    await visitor.receive_json_from()
    await visitor.send_json_to({"type": "message", "id": "x", "body": "   "})
    error = await visitor.receive_json_from()
    assert error["type"] == "error" and error["message"] == "Write a message first."
    await visitor.send_json_to({"type": "message", "id": "y", "body": "x" * 5000})
    assert "too long" in (await visitor.receive_json_from())["message"]
    await visitor.send_json_to({"type": "identify", "token": "forged"})
    assert (await visitor.receive_json_from())["type"] == "error"
    await visitor.send_json_to({"type": "email", "id": "z", "email": "not-an-email", "body": "hi"})
    assert (await visitor.receive_json_from())["message"] == "Enter a valid email address."
    assert await sync_to_async(Message.objects.count)() == 0
    assert await sync_to_async(Conversation.objects.count)() == 0
    await visitor.disconnect()


def rename_table(old: str, new: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {connection.ops.quote_name(old)} RENAME TO {connection.ops.quote_name(new)}"
        )


@run
async def test_a_line_the_database_refuses_is_shown_to_nobody_and_stored_when_sent_again(
    widget: ChatWidget, service1: Any
) -> None:
    agent = agent_socket(service1)
    assert (await agent.connect())[0]
    visitor = visitor_socket(widget)
    await visitor.connect()
    await visitor.receive_json_from()
    await visitor.send_json_to({"type": "message", "id": "first", "body": "Hello"})
    assert (await visitor.receive_json_from(timeout=5))["type"] == "ack"
    assert (await agent.receive_json_from(timeout=5))["message"]["body"] == "Hello"

    # A real failure of the real database: the messages table is not there for a moment.
    table = Message._meta.db_table
    await sync_to_async(rename_table)(table, f"{table}_away")
    try:
        await visitor.send_json_to({"type": "message", "id": "second", "body": "Still there?"})
        error = await visitor.receive_json_from(timeout=10)
    finally:
        await sync_to_async(rename_table)(f"{table}_away", table)
    assert error == {
        "type": "error",
        "for": "message",
        "client": "second",
        "retry": True,
        "message": "The message was not saved; sending it again…",
    }
    assert await agent.receive_nothing(timeout=0.5)
    assert await visitor.receive_nothing(timeout=0.1)

    # What the widget does on that error: the same line again, with the same id.
    await visitor.send_json_to({"type": "message", "id": "second", "body": "Still there?"})
    frames = [await visitor.receive_json_from(timeout=5) for _ in range(2)]
    assert [f["type"] for f in frames] == ["ack", "message"]
    assert (await agent.receive_json_from(timeout=5))["message"]["body"] == "Still there?"
    bodies = await sync_to_async(list)(
        Message.objects.order_by("pk").values_list("body", flat=True)
    )
    assert bodies == ["Hello", "Still there?"]
    await visitor.disconnect()
    await agent.disconnect()


@run
async def test_lines_sent_without_waiting_reach_the_agent_in_order_and_each_is_stored(
    widget: ChatWidget, service1: Any
) -> None:
    agent = agent_socket(service1)
    assert (await agent.connect())[0]
    visitors = [visitor_socket(widget, visitor=letter * 20) for letter in "abc"]
    for visitor in visitors:
        assert (await visitor.connect())[0]
        await visitor.receive_json_from()
    # Three conversations, ten lines each, sent as fast as the sockets take them: the lines
    # are stored side by side, each conversation's one after another.
    for line in range(10):
        for number, visitor in enumerate(visitors):
            await visitor.send_json_to(
                {"type": "message", "id": f"{number}-{line}", "body": f"line {line} of {number}"}
            )
    shown: dict[int, list[dict[str, Any]]] = {}
    for _ in range(30):
        activity = await agent.receive_json_from(timeout=10)
        shown.setdefault(activity["conversation"], []).append(activity["message"])
    assert await agent.receive_nothing(timeout=0.5)

    assert len(shown) == 3
    stored = await sync_to_async(list)(Message.objects.order_by("pk"))
    assert len(stored) == 30
    by_id = {m.pk: m for m in stored}
    for conversation_id, messages in shown.items():
        number = messages[0]["client"].split("-")[0]
        assert [m["client"] for m in messages] == [f"{number}-{line}" for line in range(10)]
        # Every line the agent saw is stored as shown, in the order sent.
        for message in messages:
            row = by_id[message["id"]]
            assert (row.conversation_id, row.body) == (conversation_id, message["body"])
        assert [m.meta["client"] for m in stored if m.conversation_id == conversation_id] == [
            m["client"] for m in messages
        ]
    for visitor in visitors:
        await visitor.disconnect()
    await agent.disconnect()


@run
async def test_identify_token_links_the_transcript_to_the_timeline(
    widget: ChatWidget, manager: Any
) -> None:
    customer = await sync_to_async(CustomerFactory)(display_name="Parisa")
    visitor = visitor_socket(widget)
    await visitor.connect()
    await visitor.receive_json_from()
    await visitor.send_json_to({"type": "message", "id": "1", "body": "I ordered a teapot"})
    await visitor.receive_json_from()
    token = await sync_to_async(services.issue_identify_token)(widget, customer)
    await visitor.send_json_to({"type": "identify", "token": token})
    assert (await visitor.receive_json_from())["type"] == "identified"
    conversation = await sync_to_async(Conversation.objects.get)()
    assert conversation.customer_id == customer.pk
    assert await sync_to_async(
        Interaction.objects.filter(
            customer=customer, channel="chat", body="I ordered a teapot"
        ).exists
    )()
    # A token for another widget does not work here.
    other = await sync_to_async(ChatWidget.objects.create)(name="Other")
    stranger = await sync_to_async(services.issue_identify_token)(other, customer)
    await visitor.send_json_to({"type": "identify", "token": stranger})
    assert (await visitor.receive_json_from())["type"] == "error"
    await visitor.disconnect()


@run
async def test_offline_visitor_leaves_email_and_the_chat_becomes_an_email_thread(
    widget: ChatWidget,
) -> None:
    visitor = visitor_socket(widget)
    await visitor.connect()
    hello = await visitor.receive_json_from()
    assert hello["online"] is False
    await visitor.send_json_to(
        {"type": "email", "id": "o1", "email": "Ali@Example.com", "body": "Call me back"}
    )
    # Storing the email conversation is a few queries; a loaded machine takes its time.
    assert (await visitor.receive_json_from(timeout=10))["type"] == "emailed"
    conversation = await sync_to_async(Conversation.objects.select_related("customer").get)()
    assert conversation.channel == "email"
    assert conversation.customer is not None
    assert await sync_to_async(services.contact_address)(conversation) == "ali@example.com"
    assert await sync_to_async(
        Interaction.objects.filter(customer=conversation.customer, body="Call me back").exists
    )()
    await visitor.disconnect()


@run
async def test_agent_socket_refuses_another_sites_page(service1: Any) -> None:
    """Cross-site WebSocket hijacking: a page elsewhere cannot open a signed-in agent's
    inbox socket, even with every host allowed (the embedded default)."""
    communicator = WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[(b"origin", b"https://evil.example"), (b"host", b"testserver")],
    )
    communicator.scope["user"] = service1
    connected, _code = await communicator.connect()
    assert not connected


async def hello_online(widget: ChatWidget) -> bool:
    visitor = visitor_socket(widget, visitor="w" * 20)
    assert (await visitor.connect())[0]
    hello = await visitor.receive_json_from()
    await visitor.disconnect()
    return bool(hello["online"])


@run
async def test_interleaved_connects_and_disconnects_of_two_agents_lose_neither(
    widget: ChatWidget, service1: Any, manager: Any
) -> None:
    """One agent's late goodbye cannot erase the other: each socket is its own key."""
    first = agent_socket(service1)
    assert (await first.connect())[0]
    # The second agent arrives while the first is leaving, both at once, ten times over.
    for _ in range(10):
        second = agent_socket(manager)
        await asyncio.gather(first.disconnect(), second.connect())
        assert await hello_online(widget)
        first = agent_socket(service1)
        await asyncio.gather(second.disconnect(), first.connect())
        assert await hello_online(widget)
    await first.disconnect()
    assert not await hello_online(widget)


@run
async def test_many_sockets_joining_and_leaving_at_once_keep_exactly_the_ones_still_there() -> None:
    names = [f"agent-socket-{n}" for n in range(20)]
    await asyncio.gather(*(presence.agent_online(name, n) for n, name in enumerate(names)))
    assert set(await presence.AGENTS.members()) >= set(names)

    leaving, staying = names[::2], names[1::2]
    rejoining = [f"agent-socket-again-{n}" for n in range(10)]
    await asyncio.gather(
        *(presence.agent_offline(name) for name in leaving),
        *(presence.agent_online(name, n) for n, name in enumerate(rejoining)),
        *(presence.viewing(7, name, n, f"Agent {n}") for n, name in enumerate(staying)),
    )
    members = set(await presence.AGENTS.members())
    assert members >= set(staying) | set(rejoining)
    assert not members & set(leaving)
    assert [v["id"] for v in await presence.left(7, staying[0])] == list(range(1, 10))

    await asyncio.gather(*(presence.agent_offline(name) for name in staying + rejoining))
    assert not await presence.agents_online()


@run
async def test_heartbeat_keeps_an_agent_and_a_silent_socket_drops_out(
    widget: ChatWidget, service1: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = agent_socket(service1)
    assert (await agent.connect())[0]
    await agent.send_json_to({"type": "ping"})
    assert await agent.receive_json_from(timeout=10) == {"type": "pong"}
    assert await hello_online(widget)
    await agent.disconnect()

    # What a ping does (agent_online again), without a socket that sits idle for seconds.
    monkeypatch.setattr(presence, "PRESENCE_TTL", 3)
    await presence.agent_online("socket-of-a-browser", service1.pk)
    await asyncio.sleep(2)
    await presence.agent_online("socket-of-a-browser", service1.pk)
    await asyncio.sleep(2)
    # Longer than the expiry since it joined: only the heartbeat kept it there.
    assert await presence.agents_online()
    # No heartbeat for longer than the expiry: a browser that vanished without a goodbye.
    await asyncio.sleep(3.5)
    assert not await presence.agents_online()
