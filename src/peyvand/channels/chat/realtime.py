"""Group names and events of the chat over the channel layer.

One group per conversation (`conv-<pk>`): the visitor's socket and every agent who has the
conversation open. One group for the inbox (`inbox`): every agent's socket, told of new
activity; each agent consumer forwards only what its user may see.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from peyvand.channels.choices import Direction
from peyvand.channels.inbox.models import Message

INBOX_GROUP = "inbox"


def conversation_group(conversation_id: int) -> str:
    return f"conv-{conversation_id}"


def author_name(message: Message) -> str:
    if message.author_id is not None and message.author is not None:
        return message.author.get_full_name() or message.author.get_username()
    return message.sender


def message_payload(message: Message) -> dict[str, Any]:
    """What a socket gets about one message; text only, the browser escapes it."""
    directions: dict[str, str] = {Direction.INBOUND: "in", Direction.OUTBOUND: "out"}
    direction = directions.get(message.direction, "note")
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "direction": direction,
        "body": message.body,
        "author": author_name(message),
        "at": message.created_at.isoformat(),
        "client": (message.meta or {}).get("client", ""),
        "channel": message.channel,
    }


async def announce_message(payload: dict[str, Any]) -> None:
    """Tell the conversation's sockets and the inbox about a stored message."""
    layer = get_channel_layer()
    if layer is None:
        return
    conversation_id = payload["conversation"]
    await layer.group_send(
        conversation_group(conversation_id), {"type": "chat.message", "message": payload}
    )
    await layer.group_send(
        INBOX_GROUP,
        {"type": "inbox.activity", "conversation": conversation_id, "message": payload},
    )


def broadcast_message(message: Message) -> None:
    """`announce_message` from synchronous code (a service's on_commit)."""
    async_to_sync(announce_message)(message_payload(message))
