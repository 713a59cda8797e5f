"""One ASGI application: HTTP (Django) and WebSocket (Channels) on one port."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from peyvand.config.routing import (  # noqa: E402
    public_websocket_urlpatterns,
    websocket_urlpatterns,
)


class SameOriginValidator:
    """Refuse a staff socket opened by a page of another site. The host check below passes
    every origin when ALLOWED_HOSTS is "*" (the embedded default), and a cross-site page could
    then open a signed-in agent's inbox socket with their cookies; a browser always sends
    Origin and Host on a WebSocket handshake, and for our own pages they name the same host."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers", []))
        origin, host = headers.get(b"origin"), headers.get(b"host")
        if (
            origin
            and host
            and urlsplit(origin.decode("latin-1")).netloc.lower()
            != (host.decode("latin-1").lower())
        ):
            await send({"type": "websocket.close", "code": 4403})
            return
        await self.app(scope, receive, send)


own_pages = SameOriginValidator(
    AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
)
# Other websites' pages: no session, no Host-based origin check (each consumer checks the
# origin against its own allow-list).
other_sites = URLRouter(public_websocket_urlpatterns)
PUBLIC_PREFIXES = ("/ws/chat/",)


async def websocket_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    app = other_sites if scope.get("path", "").startswith(PUBLIC_PREFIXES) else own_pages
    await app(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
