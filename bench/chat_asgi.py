"""The product's ASGI application plus the chat benchmark's reference route: a bare echo
consumer that forwards each frame through the channel layer to the listening sockets, with
no database and no Django service behind it (bench/chat.py)."""

from __future__ import annotations

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from channels.routing import URLRouter
from django.urls import path

from peyvand.config.asgi import application as product

GROUP = "bench-echo"


class EchoSender(AsyncWebsocketConsumer):
    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        await self.channel_layer.group_send(GROUP, {"type": "echo", "text": text_data})


class EchoListener(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()
        await self.channel_layer.group_add(GROUP, self.channel_name)

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def echo(self, event: dict[str, Any]) -> None:
        await self.send(text_data=event["text"])


reference = URLRouter(
    [path("ws/bench/send/", EchoSender.as_asgi()), path("ws/bench/listen/", EchoListener.as_asgi())]
)


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "websocket" and scope.get("path", "").startswith("/ws/bench/"):
        await reference(scope, receive, send)
    else:
        await product(scope, receive, send)
