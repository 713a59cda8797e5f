"""WebSocket consumers of the chat: the public one the widget speaks to, and the agents'
one behind the inbox pages (live updates, typing, presence)."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.utils import translation

from peyvand.channels.chat import presence, services
from peyvand.channels.chat.models import ChatWidget
from peyvand.channels.chat.realtime import (
    INBOX_GROUP,
    announce_message,
    conversation_group,
    message_payload,
)
from peyvand.channels.inbox.access import may_see_conversation

logger = logging.getLogger(__name__)

# A visitor may send this many frames per window; more is a script, not a person typing.
VISITOR_BURST, VISITOR_WINDOW = 30, 10.0
VISIBILITY_TTL = 30.0
# Channels runs every database call of a process's consumers on one thread, so under load
# visitors' lines queued there behind each other for seconds (bench/results/chat.md).
# On PostgreSQL lines are stored on a small pool of their own instead: different
# conversations side by side, one conversation's lines still one at a time (a consumer
# handles one frame at a time, and announces a line only once it is stored). A fixed pool,
# so persistent database connections (CONN_MAX_AGE) stay at one per thread. SQLite takes
# one writer at a time (its shared-cache test database refuses a second one outright
# rather than waiting), so there lines stay on the consumers' thread.
LINE_STORE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chat-store")


def _header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin1"))
    return ""


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(m) for m in exc.messages)


class VisitorConsumer(AsyncJsonWebsocketConsumer):
    """ws/chat/<widget key>/?visitor=<id>&lang=<en|fa>: one browser's chat."""

    widget: ChatWidget
    conversation_id: int | None = None

    async def connect(self) -> None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        self.visitor_id = (query.get("visitor") or [""])[0]
        language = (query.get("lang") or ["fa"])[0]
        self.language = language if language in ("en", "fa") else "fa"
        self.sent: list[float] = []
        key = self.scope["url_route"]["kwargs"]["key"]
        widget = await database_sync_to_async(
            lambda: ChatWidget.objects.filter(key=key, is_active=True).first()
        )()
        origin = _header(self.scope, b"origin")
        host = _header(self.scope, b"host")
        if (
            widget is None
            or not services.VISITOR_ID.match(self.visitor_id)
            or not services.origin_allowed(widget, origin, own_host=host)
        ):
            await self.close(code=4403)
            return
        self.widget = widget
        conversation, messages = await database_sync_to_async(self._history)()
        self.conversation_id = conversation
        await self.accept()
        if conversation is not None:
            await self.channel_layer.group_add(conversation_group(conversation), self.channel_name)
        await self.send_json(
            {
                "type": "hello",
                "online": await presence.agents_online(),
                "messages": messages,
            }
        )

    def _history(self) -> tuple[int | None, list[dict[str, Any]]]:
        conversation = services.find_conversation(self.widget, self.visitor_id)
        rows = services.history(conversation)
        return (conversation.pk if conversation else None), [message_payload(m) for m in rows]

    async def disconnect(self, code: int) -> None:
        if self.conversation_id is not None:
            await self.channel_layer.group_discard(
                conversation_group(self.conversation_id), self.channel_name
            )

    def _too_fast(self) -> bool:
        now = time.monotonic()
        self.sent = [t for t in self.sent if now - t < VISITOR_WINDOW]
        self.sent.append(now)
        return len(self.sent) > VISITOR_BURST

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if self._too_fast():
            await self._error(translation.gettext_noop("Slow down a little, please."), kind)
            return
        try:
            if kind == "message":
                await self._message(content)
            elif kind == "typing" and self.conversation_id is not None:
                await self.channel_layer.group_send(
                    conversation_group(self.conversation_id),
                    {
                        "type": "chat.typing",
                        "who": "visitor",
                        "conversation": self.conversation_id,
                        "sender": self.channel_name,
                    },
                )
            elif kind == "identify":
                await database_sync_to_async(self._identify)(str(content.get("token", "")))
                await self.send_json({"type": "identified"})
            elif kind == "email":
                await self._offline(content)
        except ValidationError as exc:
            await self.send_json(
                {
                    "type": "error",
                    "for": kind,
                    "client": content.get("id"),
                    "message": _error_text(exc),
                }
            )

    async def _error(self, text: str, kind: Any, **extra: Any) -> None:
        with translation.override(self.language):
            await self.send_json(
                {"type": "error", "for": kind, "message": translation.gettext(text), **extra}
            )

    async def _joined(self, conversation_id: int) -> None:
        if self.conversation_id != conversation_id:
            if self.conversation_id is not None:
                await self.channel_layer.group_discard(
                    conversation_group(self.conversation_id), self.channel_name
                )
            self.conversation_id = conversation_id
            await self.channel_layer.group_add(
                conversation_group(conversation_id), self.channel_name
            )

    async def _message(self, content: dict[str, Any]) -> None:
        client = content.get("id")

        def store() -> dict[str, Any]:
            with translation.override(self.language):
                message, _created = services.store_visitor_line(
                    self.widget,
                    self.visitor_id,
                    body=content.get("body"),
                    client_id=str(client or ""),
                    page=str(content.get("page", "")),
                )
            return message_payload(message)

        if connection.vendor == "sqlite":
            stored = database_sync_to_async(store)
        else:
            stored = database_sync_to_async(store, thread_sensitive=False, executor=LINE_STORE)
        try:
            payload = await stored()
        except DatabaseError:
            # Not stored, so nobody is shown it; the widget sends it again (same id).
            logger.exception("chat widget %s: a visitor's line was not stored", self.widget.pk)
            await self._error(
                translation.gettext_noop("The message was not saved; sending it again…"),
                "message",
                client=client,
                retry=True,
            )
            return
        # A resend (same id) is announced again too: the socket that stored it may have died
        # before telling anyone. Agents' pages and the widget show a message id once.
        await announce_message(payload)
        await self._joined(payload["conversation"])
        await self.send_json({"type": "ack", "client": client, "id": payload["id"]})

    def _identify(self, token: str) -> None:
        with translation.override(self.language):
            conversation = services.find_conversation(self.widget, self.visitor_id)
            if conversation is None:
                raise ValidationError(translation.gettext("Say hello first."))
            customer = services.customer_of_token(self.widget, token)
            services.identify(conversation, customer, how="token")

    async def _offline(self, content: dict[str, Any]) -> None:
        def store() -> int:
            with translation.override(self.language):
                conversation = services.continue_by_email(
                    self.widget,
                    self.visitor_id,
                    email=str(content.get("email", "")),
                    body=content.get("body"),
                    client_id=str(content.get("id", "")),
                    language=self.language,
                )
            return conversation.pk

        conversation_id = await database_sync_to_async(store)()
        await self._joined(conversation_id)
        await self.send_json({"type": "emailed", "client": content.get("id")})

    # --- events from the channel layer ---------------------------------------------------

    async def chat_message(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message", **event["message"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("who") != "visitor":
            await self.send_json({"type": "typing"})

    async def chat_presence(self, event: dict[str, Any]) -> None:
        """Agents' names stay with the agents."""


class AgentConsumer(AsyncJsonWebsocketConsumer):
    """ws/inbox/: a signed-in agent's inbox pages."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=4401)
            return
        self.user = user
        self.name = user.get_full_name() or user.get_username()
        self.watching: set[int] = set()
        self.visible: dict[int, tuple[bool, float]] = {}
        # Present before accepted: a visitor who connects the moment this agent's page
        # has its socket is already told someone is answering.
        await self.channel_layer.group_add(INBOX_GROUP, self.channel_name)
        await presence.agent_online(self.channel_name, user.pk)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        await self.channel_layer.group_discard(INBOX_GROUP, self.channel_name)
        await presence.agent_offline(self.channel_name)
        for conversation_id in list(self.watching):
            await self._unwatch(conversation_id)

    async def _may_see(self, conversation_id: int) -> bool:
        now = time.monotonic()
        cached = self.visible.get(conversation_id)
        if cached is not None and now - cached[1] < VISIBILITY_TTL:
            return cached[0]
        allowed = await database_sync_to_async(may_see_conversation)(self.user, conversation_id)
        self.visible[conversation_id] = (allowed, now)
        return allowed

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            conversation_id = int(content.get("conversation") or 0)
        except (TypeError, ValueError):
            conversation_id = 0
        if kind == "ping":
            await presence.agent_online(self.channel_name, self.user.pk)
            for watched in self.watching:
                await presence.viewing(watched, self.channel_name, self.user.pk, self.name)
            await self.send_json({"type": "pong"})
        elif kind == "watch" and conversation_id:
            if not await self._may_see(conversation_id):
                await self.send_json({"type": "error", "conversation": conversation_id})
                return
            self.watching.add(conversation_id)
            await self.channel_layer.group_add(
                conversation_group(conversation_id), self.channel_name
            )
            viewers = await presence.viewing(
                conversation_id, self.channel_name, self.user.pk, self.name
            )
            await self._announce(conversation_id, viewers)
        elif kind == "unwatch" and conversation_id in self.watching:
            await self._unwatch(conversation_id)
        elif kind == "typing" and conversation_id in self.watching:
            await self.channel_layer.group_send(
                conversation_group(conversation_id),
                {
                    "type": "chat.typing",
                    "who": self.name,
                    "conversation": conversation_id,
                    "sender": self.channel_name,
                },
            )

    async def _unwatch(self, conversation_id: int) -> None:
        self.watching.discard(conversation_id)
        await self.channel_layer.group_discard(
            conversation_group(conversation_id), self.channel_name
        )
        viewers = await presence.left(conversation_id, self.channel_name)
        await self._announce(conversation_id, viewers)

    async def _announce(self, conversation_id: int, viewers: list[Any]) -> None:
        await self.channel_layer.group_send(
            conversation_group(conversation_id),
            {"type": "chat.presence", "conversation": conversation_id, "viewers": viewers},
        )

    # --- events from the channel layer ---------------------------------------------------

    async def inbox_activity(self, event: dict[str, Any]) -> None:
        if await self._may_see(event["conversation"]):
            await self.send_json(
                {
                    "type": "activity",
                    "conversation": event["conversation"],
                    "message": event["message"],
                }
            )

    async def chat_message(self, event: dict[str, Any]) -> None:
        if event["message"]["conversation"] in self.watching:
            await self.send_json({"type": "message", **event["message"]})

    async def chat_typing(self, event: dict[str, Any]) -> None:
        if event.get("sender") != self.channel_name:
            await self.send_json(
                {
                    "type": "typing",
                    "conversation": event.get("conversation"),
                    "who": event.get("who"),
                }
            )

    async def chat_presence(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "presence",
                "conversation": event["conversation"],
                "viewers": event["viewers"],
            }
        )
