"""The gateway interface and its HTTP backend.

`resolve_gateway` picks the configuration (a stored `SmsGateway`, else the settings-level
default, `PEYVAND_SMS_GATEWAY`); `HttpGateway.send` builds the provider's request from it. The
TCP connection is opened before `handed_over()` (a refused connection is retried), the request
is written after it (from then on the message counts as sent and is never sent again).
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from peyvand.core.netguard import resolve_public, validate_public_url

TIMEOUT_SECONDS = 15
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Peyvand-SMS/1"
SETTINGS_KEY = "default"


class GatewayError(Exception):
    """The provider did not take the message; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class GatewayConfig:
    key: str  # the stored gateway's pk, or "default" for the settings-level one
    name: str
    url: str
    method: str = "POST"
    body_format: str = "form"
    auth_header: str = ""
    auth_value: str = ""
    sender_id: str = ""
    to_param: str = "to"
    text_param: str = "text"
    from_param: str = "from"
    json_template: str = ""
    response_id_path: str = ""
    webhook_secret: str = ""


class Gateway(Protocol):
    def send(
        self, *, to: str, text: str, reference: str, handed_over: Callable[[], None]
    ) -> str: ...


def config_from_model(gateway: Any) -> GatewayConfig:
    return GatewayConfig(
        key=str(gateway.pk),
        name=gateway.name,
        url=gateway.url,
        method=gateway.method,
        body_format=gateway.body_format,
        auth_header=gateway.auth_header,
        auth_value=gateway.auth_value,
        sender_id=gateway.sender_id,
        to_param=gateway.to_param,
        text_param=gateway.text_param,
        from_param=gateway.from_param,
        json_template=gateway.json_template,
        response_id_path=gateway.response_id_path,
        webhook_secret=gateway.webhook_secret,
    )


def settings_config() -> GatewayConfig | None:
    values = dict(getattr(settings, "PEYVAND_SMS_GATEWAY", None) or {})
    if not values.get("url"):
        return None
    values.setdefault("name", "settings")
    known = set(GatewayConfig.__dataclass_fields__) - {"key"}
    return GatewayConfig(key=SETTINGS_KEY, **{k: v for k, v in values.items() if k in known})


def resolve_gateway(key: str | int | None = None) -> GatewayConfig | None:
    """The gateway with this key (active only), or the default one: the stored default, else
    the first active stored gateway, else the settings-level one."""
    from peyvand.channels.sms.models import SmsGateway

    if key == SETTINGS_KEY:
        return settings_config()
    active = SmsGateway.objects.filter(is_active=True)
    if key not in (None, ""):
        row = active.filter(pk=int(key)).first() if str(key).isdigit() else None
        return config_from_model(row) if row else None
    row = active.order_by("-is_default", "pk").first()
    return config_from_model(row) if row else settings_config()


def _fill(template: Any, values: dict[str, str]) -> Any:
    """Put the values into the string leaves of a parsed JSON template, so a quote or a
    backslash in the text can never break out of its string."""
    if isinstance(template, str):
        for name, value in values.items():
            template = template.replace("{" + name + "}", value)
        return template
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    return template


def dig(data: Any, path: str) -> str:
    """The value at a dotted path (`messages.0.id`) of parsed JSON, as text; "" if absent."""
    current = data
    for part in (p for p in path.split(".") if p):
        if isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            current = current[index] if -len(current) <= index < len(current) else None
        elif isinstance(current, dict):
            current = current.get(part)
        else:
            return ""
        if current is None:
            return ""
    return "" if isinstance(current, (dict, list)) else str(current)


def build_request(
    config: GatewayConfig, *, to: str, text: str, reference: str
) -> tuple[str, str, bytes | None, dict[str, str]]:
    """(method, path with query, body, headers) of the provider's request."""
    parts = urlsplit(config.url)
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if config.auth_header and config.auth_value:
        headers[config.auth_header] = config.auth_value
    values = {"to": to, "text": text, "sender": config.sender_id, "reference": reference}
    params: dict[str, str] = {config.to_param: to, config.text_param: text}
    if config.from_param and config.sender_id:
        params[config.from_param] = config.sender_id
    query = parts.query
    body: bytes | None = None
    if config.json_template:
        body = json.dumps(_fill(json.loads(config.json_template), values)).encode()
        headers["Content-Type"] = "application/json"
    elif config.method == "GET" or config.body_format == "query":
        query = "&".join(q for q in (query, urlencode(params)) if q)
    elif config.body_format == "json":
        body = json.dumps(params).encode()
        headers["Content-Type"] = "application/json"
    else:
        body = urlencode(params).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    path = (parts.path or "/") + (f"?{query}" if query else "")
    return config.method, path, body, headers


class HttpGateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config

    def _connect(self) -> http.client.HTTPConnection:
        validate_public_url(self.config.url)
        parts = urlsplit(self.config.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        # Connect to the address that was checked, so DNS cannot rebind us to a private one.
        address = resolve_public(host, port)
        sock = socket.create_connection((address, port), TIMEOUT_SECONDS)
        if parts.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_SECONDS)
        connection.sock = sock
        return connection

    def send(self, *, to: str, text: str, reference: str, handed_over: Callable[[], None]) -> str:
        method, path, body, headers = build_request(
            self.config, to=to, text=text, reference=reference
        )
        connection = self._connect()
        try:
            handed_over()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read(MAX_RESPONSE_BYTES)
        finally:
            connection.close()
        if response.status >= 400:
            detail = raw[:300].decode("utf-8", "replace")
            raise GatewayError(
                f"HTTP {response.status}: {detail}",
                # 429 and 5xx: the provider may take it later; other 4xx: the request is wrong.
                permanent=response.status < 500 and response.status != 429,
            )
        if not self.config.response_id_path:
            return ""
        try:
            return dig(json.loads(raw or b"null"), self.config.response_id_path)[:255]
        except ValueError:
            return ""

    def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` to the configured URL as it is (the PBX's click-to-call)."""
        parts = urlsplit(self.config.url)
        connection = self._connect()
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request(
                "POST", path, body=body, headers={"User-Agent": USER_AGENT, **headers}
            )
            response = connection.getresponse()
            raw = response.read(MAX_RESPONSE_BYTES)
        finally:
            connection.close()
        if response.status >= 400:
            raise GatewayError(f"HTTP {response.status}: {raw[:200].decode('utf-8', 'replace')}")
        return response.status
