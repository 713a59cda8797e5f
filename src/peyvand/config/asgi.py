"""One ASGI application: HTTP (Django) and WebSocket (Channels) on one port."""

from __future__ import annotations

import os
from typing import Any

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

own_pages = AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
# Other websites' pages: no session, no Host-based origin check (each consumer checks the
# origin against its own allow-list).
other_sites = URLRouter(public_websocket_urlpatterns)
PUBLIC_PREFIXES = ("/ws/chat/",)


async def websocket_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    app = other_sites if scope.get("path", "").startswith(PUBLIC_PREFIXES) else own_pages
    await app(scope, receive, send)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app})
