"""A real SMTP server for the tests (aiosmtpd), keeping what it accepted; replies can be
set per recipient to test refusals at RCPT or at the end of DATA."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

PORTS = range(2525, 2550)


class SinkHandler:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.raw: list[bytes] = []
        self.peers: list[Any] = []
        self.rcpt_replies: dict[str, str] = {}
        self.data_replies: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        reply = self.data_replies.get(envelope.rcpt_tos[0])
        if reply:
            return reply
        with self.lock:
            self.raw.append(envelope.original_content or envelope.content)
            self.peers.append(session.peer)
        return "250 OK"

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.raw)

    def messages(self) -> list[EmailMessage]:
        with self.lock:
            raw = list(self.raw)
        return [email.message_from_bytes(r, policy=policy.default) for r in raw]  # type: ignore[misc]

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]).strip("<>") for m in self.messages()]


@contextmanager
def smtp_sink(
    handler: SinkHandler | None = None, ports: range = PORTS
) -> Iterator[tuple[SinkHandler, int]]:
    handler = handler or SinkHandler()
    last: Exception | None = None
    for port in ports:
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        try:
            controller.start()
        except (OSError, RuntimeError) as exc:
            last = exc
            continue
        try:
            yield handler, port
        finally:
            controller.stop()
        return
    raise RuntimeError(f"no free SMTP port in {ports}: {last}")
