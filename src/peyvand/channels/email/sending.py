"""The sender of channel "email": builds the MIME message from the stored Message and hands
it to Django's email backend.

With the SMTP backend we speak SMTP ourselves (smtplib) so the handover can sit right
before the final "." of DATA: the server has everything but has not accepted it yet. A 5xx
answer is permanent (the message goes to the dead-letter list), a 4xx or a broken
connection is retried with backoff. Any other backend (django-anymail's providers, console,
locmem) is handed the message right after `handed_over()`.
"""

from __future__ import annotations

import base64
import functools
import re
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from email.utils import formataddr, formatdate, parseaddr
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.delivery import PermanentFailure
from peyvand.channels.inbox.models import Message
from peyvand.tracking.links import email_bodies

_EOL = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class TransientFailure(Exception):
    """The server answered 4xx: try again later."""


def _unsubscribe_headers(meta: dict[str, str]) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe, for marketing that carries its signed URL."""
    url = meta.get("list_unsubscribe")
    if not url:
        return {}
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def build_email(message: Message, connection: object | None = None) -> EmailMultiAlternatives:
    """The same bytes on every attempt: headers come from what was stored at queue time."""
    meta = message.meta.get("email", {})
    from_header = meta.get("from") or message.sender or settings.DEFAULT_FROM_EMAIL
    headers = {"Message-ID": f"<{message.message_id}>"}
    if meta.get("date"):
        headers["Date"] = meta["date"]
    if message.in_reply_to:
        headers["In-Reply-To"] = f"<{message.in_reply_to}>"
    if message.references:
        headers["References"] = message.references
    headers.update(_unsubscribe_headers(meta))
    language = meta.get("language", "fa")
    text, html = email_bodies(message, direction="rtl" if language == "fa" else "ltr")
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=from_header,
        to=[message.recipient],
        reply_to=[meta["reply_to"]] if meta.get("reply_to") else None,
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(html, "text/html")
    for attachment in message.email_attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def _encoded_words(text: str) -> str:
    """RFC 2047 base64 words of at most 39 UTF-8 bytes each (lines stay under 78
    characters), never splitting a character."""
    words: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > 39:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(w).decode()}?=" for w in words)


def _header_text(text: str) -> str:
    text = " ".join(text.split())
    if text.isascii() and "=?" not in text and len(text) < 900:
        return text
    return _encoded_words(text)


@functools.lru_cache(maxsize=256)
def _address_header(value: str) -> str:
    name, address = parseaddr(value)
    if not name:
        return address
    if name.isascii():
        return formataddr((name, address))
    return f"{_encoded_words(name)} <{address}>"


@functools.lru_cache(maxsize=256)
def _addr_spec(value: str) -> str:
    return parseaddr(value)[1]


def _base64_body(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def _part(content_type: str, data: bytes, extra: str = "") -> bytes:
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: base64\r\n{extra}\r\n"
    return head.encode() + _base64_body(data)


def _filename_params(filename: str) -> tuple[str, str]:
    if filename.isascii() and '"' not in filename and "\\" not in filename:
        return f'; name="{filename}"', f'attachment; filename="{filename}"'
    quoted = quote(filename, safe="")
    return f"; name*=utf-8''{quoted}", f"attachment; filename*=utf-8''{quoted}"


def build_mime(message: Message) -> tuple[str, str, bytes] | None:
    """(envelope sender, recipient, RFC 5322 bytes with CRLF) built directly, the same
    bytes on every attempt: Django's MIME classes spend most of a worker's time folding
    headers. None when an address needs more than ASCII (Django's builder handles those)."""
    meta = message.meta.get("email", {})
    from_header = meta.get("from") or message.sender or settings.DEFAULT_FROM_EMAIL
    envelope_from = _addr_spec(from_header)
    reply_to = meta.get("reply_to", "")
    if not (envelope_from + message.recipient + reply_to).isascii():
        return None
    language = meta.get("language", "fa")
    boundary = f"==_pv_{message.message_id.split('@', 1)[0][:32]}"
    lines = [
        f"Date: {meta.get('date') or formatdate()}",
        f"From: {_address_header(from_header)}",
        f"To: {message.recipient}",
        f"Subject: {_header_text(message.subject)}",
        f"Message-ID: <{message.message_id}>",
    ]
    if reply_to:
        lines.append(f"Reply-To: {reply_to}")
    if message.in_reply_to:
        lines.append(f"In-Reply-To: <{message.in_reply_to}>")
    if message.references:
        lines.append("References: " + "\r\n ".join(message.references.split()))
    lines.extend(f"{name}: {value}" for name, value in _unsubscribe_headers(meta).items())
    lines.append("MIME-Version: 1.0")
    text, html = email_bodies(message, direction="rtl" if language == "fa" else "ltr")
    alternative = b"".join(
        [
            f"--{boundary}a\r\n".encode(),
            _part('text/plain; charset="utf-8"', text.encode()),
            f"--{boundary}a\r\n".encode(),
            _part('text/html; charset="utf-8"', html.encode()),
            f"--{boundary}a--\r\n".encode(),
        ]
    )
    attachments = list(message.email_attachments.all())
    if not attachments:
        lines.append(f'Content-Type: multipart/alternative; boundary="{boundary}a"')
        body = alternative
    else:
        lines.append(f'Content-Type: multipart/mixed; boundary="{boundary}m"')
        chunks = [
            f"--{boundary}m\r\n".encode(),
            f'Content-Type: multipart/alternative; boundary="{boundary}a"\r\n\r\n'.encode(),
            alternative,
        ]
        for attachment in attachments:
            name_param, disposition = _filename_params(attachment.filename)
            with attachment.file.open("rb") as handle:
                data = handle.read()
            chunks.append(f"--{boundary}m\r\n".encode())
            chunks.append(
                _part(
                    f"{attachment.content_type}{name_param}",
                    data,
                    f"Content-Disposition: {disposition}\r\n",
                )
            )
        chunks.append(f"--{boundary}m--\r\n".encode())
        body = b"".join(chunks)
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return envelope_from, message.recipient, head + body


def _check(code: int, reply: bytes | str, stage: str) -> None:
    if 200 <= code < 400:
        return
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    detail = f"SMTP {stage}: {code} {text}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(detail)
    raise TransientFailure(detail)


def _wire_bytes(message: Message) -> tuple[str, str, bytes]:
    """(envelope sender, recipient, DATA content with CRLF and dots stuffed, no final ".")."""
    built = build_mime(message)
    if built is not None:
        from_addr, to_addr, raw = built
    else:
        email = build_email(message)
        encoding = email.encoding or settings.DEFAULT_CHARSET
        from_addr = sanitize_address(parseaddr(email.from_email)[1], encoding)
        to_addr = sanitize_address(message.recipient, encoding)
        # Django's MIME classes take linesep; the stubs only know the stdlib's signature.
        raw = email.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
    data = _EOL.sub(b"\r\n", raw)
    data = _LEADING_DOT.sub(b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return from_addr, to_addr, data


def _connect() -> smtplib.SMTP:
    timeout = settings.EMAIL_TIMEOUT or 30
    conn: smtplib.SMTP
    if settings.EMAIL_USE_SSL:
        conn = smtplib.SMTP_SSL(
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    else:
        conn = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
        if settings.EMAIL_USE_TLS:
            conn.starttls(context=ssl.create_default_context())
    # The end of DATA (".") is a small write right after the content: without NODELAY,
    # Nagle holds it until the content is acknowledged, up to 40 ms of delayed ACK.
    if conn.sock is not None:
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.ehlo_or_helo_if_needed()
    if settings.EMAIL_HOST_USER:
        conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    return conn


class _Slot:
    """One message on its way over one connection."""

    def __init__(self, index: int, conn: smtplib.SMTP, envelope: tuple[str, str, bytes]):
        self.index, self.conn = index, conn
        self.from_addr, self.to_addr, self.data = envelope


class SmtpConnections:
    """Up to `size` SMTP connections, opened on first use, reused for every group and
    reopened after one breaks. A group puts one message on each connection and moves them
    through SMTP in step: each command is written to every connection before any reply is
    read, so the server's answers overlap, and the handover of the whole group is one
    commit taken while every message waits for its final "."."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.connections: list[smtplib.SMTP | None] = [None] * self.size

    def close(self) -> None:
        for n, conn in enumerate(self.connections):
            if conn is not None:
                try:
                    conn.quit()
                except (smtplib.SMTPException, OSError):
                    conn.close()
            self.connections[n] = None

    def __call__(
        self,
        messages: Sequence[Message],
        handed_over: Callable[[Sequence[Message]], None],
    ) -> list[delivery.Outcome]:
        outcomes: list[delivery.Outcome] = [""] * len(messages)
        for start in range(0, len(messages), self.size):
            group = messages[start : start + self.size]
            for offset, outcome in self._send_group(group, handed_over).items():
                outcomes[start + offset] = outcome
        return outcomes

    def _send_group(
        self, group: Sequence[Message], handed_over: Callable[[Sequence[Message]], None]
    ) -> dict[int, delivery.Outcome]:
        failed: dict[int, delivery.Outcome] = {}
        slots: list[_Slot] = []
        unreachable: Exception | None = None
        for n, message in enumerate(group):
            try:
                envelope = _wire_bytes(message)
                if self.connections[n] is None:
                    # A server that refused one connection is not asked again this group.
                    if unreachable is not None:
                        raise unreachable
                    try:
                        self.connections[n] = _connect()
                    except (smtplib.SMTPException, OSError) as exc:
                        unreachable = exc
                        raise
            except Exception as exc:  # this message fails; the others go on
                failed[n] = exc
                continue
            slots.append(_Slot(n, self.connections[n], envelope))  # type: ignore[arg-type]

        def step(send: Callable[[_Slot], None], answer: Callable[[_Slot], None]) -> None:
            for slot in list(slots):
                self._guard(slot, send, slots, failed)
            for slot in list(slots):
                self._guard(slot, answer, slots, failed)

        step(
            lambda slot: slot.conn.putcmd(
                "mail",
                f"FROM:{smtplib.quoteaddr(slot.from_addr)}"
                + (" BODY=8BITMIME" if slot.conn.has_extn("8bitmime") else ""),
            ),
            lambda slot: _check(*slot.conn.getreply(), "MAIL FROM"),
        )
        step(
            lambda slot: slot.conn.putcmd("rcpt", f"TO:{smtplib.quoteaddr(slot.to_addr)}"),
            lambda slot: _check(*slot.conn.getreply(), "RCPT TO"),
        )
        step(lambda slot: slot.conn.putcmd("data"), _data_ready)
        for slot in list(slots):
            self._guard(slot, lambda slot: slot.conn.send(slot.data), slots, failed)
        try:
            handed_over([group[slot.index] for slot in slots])
        except BaseException:
            # Not committed: hang up without the "." so the server discards every one of
            # them, and the claims' leases bring them back.
            for slot in slots:
                self._drop(slot)
            raise
        step(
            lambda slot: slot.conn.send(b".\r\n"),
            lambda slot: _check(*slot.conn.getreply(), "end of DATA"),
        )
        return failed

    def _guard(
        self,
        slot: _Slot,
        action: Callable[[_Slot], None],
        slots: list[_Slot],
        failed: dict[int, delivery.Outcome],
    ) -> None:
        """Run one step for one message; a refusal or a broken connection takes that
        message out of the group (and a broken connection out of the pool)."""
        try:
            action(slot)
        except (PermanentFailure, TransientFailure) as exc:
            failed[slot.index] = exc
            slots.remove(slot)
            try:
                slot.conn.rset()
            except (smtplib.SMTPException, OSError):
                self._drop(slot)
        except (smtplib.SMTPException, OSError) as exc:
            failed[slot.index] = exc
            slots.remove(slot)
            self._drop(slot)

    def _drop(self, slot: _Slot) -> None:
        self.connections[slot.index] = None
        slot.conn.close()


def _data_ready(slot: _Slot) -> None:
    code, reply = slot.conn.getreply()
    if code != 354:
        _check(code if code >= 400 else 451, reply, "DATA")


@contextmanager
def _smtp_session() -> Iterator[delivery.GroupSender]:
    connections = SmtpConnections(settings.PEYVAND_SMTP_CONNECTIONS)
    try:
        yield connections
    finally:
        connections.close()


@contextmanager
def _backend_session() -> Iterator[delivery.GroupSender]:
    backend = get_connection(fail_silently=False)
    backend.open()

    def send(message: Message, handed_over: Callable[[], None]) -> str:
        email = build_email(message, connection=backend)
        handed_over()
        try:
            backend.send_messages([email])
        except Exception as exc:
            if type(exc).__name__ in {"AnymailRecipientsRefused", "AnymailInvalidAddress"}:
                raise PermanentFailure(str(exc)) from exc
            raise
        status = getattr(email, "anymail_status", None)
        return str(getattr(status, "message_id", "") or "")

    try:
        yield delivery.one_at_a_time(send)
    finally:
        backend.close()


def uses_smtp() -> bool:
    backend = get_connection()
    return type(backend) is SmtpBackend


def email_session() -> AbstractContextManager[delivery.GroupSender]:
    """The connections for a batch: our own SMTP client, or the configured backend."""
    return _smtp_session() if uses_smtp() else _backend_session()


def send_one(message: Message, handed_over: Callable[[], None]) -> str:
    with email_session() as send:
        # Only a message that reached the brink is handed over: one refused before DATA is
        # not (a secret one would otherwise lose its text and never be retried).
        (outcome,) = send([message], lambda ready: handed_over() if ready else None)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def register() -> None:
    delivery.register_sender(InteractionChannel.EMAIL, send_one)
    delivery.register_session(
        InteractionChannel.EMAIL, email_session, prefetch=("email_attachments", "tracking")
    )
