"""WebSocket routes; each app that speaks real time adds its consumers here."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
