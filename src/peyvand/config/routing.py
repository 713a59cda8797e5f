"""WebSocket routes; each app that speaks real time adds its consumers here.

`websocket_urlpatterns` are for the CRM's own pages (same-origin, signed-in users);
`public_websocket_urlpatterns` are opened from other websites (the chat widget) and check
the page's origin themselves, against each widget's allow-list.
"""

from __future__ import annotations

from typing import Any

from django.urls import path

from peyvand.channels.chat.consumers import AgentConsumer, VisitorConsumer
from peyvand.channels.voice.consumers import VoiceConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/inbox/", AgentConsumer.as_asgi()),
    path("ws/voice/", VoiceConsumer.as_asgi()),
]

public_websocket_urlpatterns: list[Any] = [
    path("ws/chat/<slug:key>/", VisitorConsumer.as_asgi()),
]
