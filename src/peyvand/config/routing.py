"""WebSocket routes; each app that speaks real time adds its consumers here."""

from __future__ import annotations

from typing import Any

from django.urls import path

from peyvand.channels.voice.consumers import VoiceConsumer

websocket_urlpatterns: list[Any] = [
    path("ws/voice/", VoiceConsumer.as_asgi()),
]
