"""The sender of channel "email": builds the MIME message from the stored Message and hands
it to Django's email backend.

With the SMTP backend we speak SMTP ourselves (smtplib) so the handover can sit right
before the final "." of DATA: the server has everything but has not accepted it yet. A 5xx
answer is permanent (the message goes to the dead-letter list), a 4xx or a broken
connection is retried with backoff. Any other backend (django-anymail's providers, console,
locmem) is handed the message right after `handed_over()`.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.rendering import text_to_html
from peyvand.channels.inbox import delivery
from peyvand.channels.inbox.delivery import PermanentFailure, Sender
from peyvand.channels.inbox.models import Message

_EOL = re.compile(rb"\r\n|\r|\n")
_LEADING_DOT = re.compile(rb"(?m)^\.")


class TransientFailure(Exception):
    """The server answered 4xx: try again later."""


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
    language = meta.get("language", "fa")
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=from_header,
        to=[message.recipient],
        reply_to=[meta["reply_to"]] if meta.get("reply_to") else None,
        headers=headers,
        connection=connection,
    )
    email.attach_alternative(
        text_to_html(message.body, direction="rtl" if language == "fa" else "ltr"), "text/html"
    )
    for attachment in message.email_attachments.all():
        with attachment.file.open("rb") as handle:
            email.attach(attachment.filename, handle.read(), attachment.content_type)
    return email


def _check(code: int, reply: bytes | str, stage: str) -> None:
    if 200 <= code < 400:
        return
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    detail = f"SMTP {stage}: {code} {text}".strip()
    if 500 <= code < 600:
        raise PermanentFailure(detail)
    raise TransientFailure(detail)


class SmtpSession:
    """One SMTP connection, opened on first use and reopened after it breaks."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
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
        conn.ehlo_or_helo_if_needed()
        if settings.EMAIL_HOST_USER:
            conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        return conn

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def send(self, message: Message, handed_over: Callable[[], None]) -> str:
        email = build_email(message)
        encoding = email.encoding or settings.DEFAULT_CHARSET
        from_addr = sanitize_address(parseaddr(email.from_email)[1] or email.from_email, encoding)
        to_addr = sanitize_address(message.recipient, encoding)
        # Django's MIME classes take linesep; the stubs only know the stdlib's signature.
        raw = email.message().as_bytes(linesep="\r\n")  # type: ignore[call-arg]
        data = _EOL.sub(b"\r\n", raw)
        data = _LEADING_DOT.sub(b"..", data)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        if self.connection is None:
            self.connection = self._connect()
        conn = self.connection
        try:
            options = ["BODY=8BITMIME"] if conn.has_extn("8bitmime") else []
            code, reply = conn.mail(from_addr, options)
            _check(code, reply, "MAIL FROM")
            code, reply = conn.rcpt(to_addr)
            _check(code, reply, "RCPT TO")
            code, reply = conn.docmd("DATA")
            if code != 354:
                _check(code if code >= 400 else 451, reply, "DATA")
            conn.send(data)
            handed_over()
            conn.send(b".\r\n")
            code, reply = conn.getreply()
            _check(code, reply, "end of DATA")
        except (PermanentFailure, TransientFailure):
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()
            raise
        except (smtplib.SMTPException, OSError):
            # Broken mid-conversation: start over on a new connection next time.
            self.connection = None
            conn.close()
            raise
        return ""


@contextmanager
def _smtp_session() -> Iterator[Sender]:
    session = SmtpSession()
    try:
        yield session.send
    finally:
        session.close()


@contextmanager
def _backend_session() -> Iterator[Sender]:
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
        yield send
    finally:
        backend.close()


def uses_smtp() -> bool:
    backend = get_connection()
    return type(backend) is SmtpBackend


def email_session() -> AbstractContextManager[Sender]:
    """One connection for a batch: our own SMTP client, or the configured backend."""
    return _smtp_session() if uses_smtp() else _backend_session()


def send_one(message: Message, handed_over: Callable[[], None]) -> str:
    with email_session() as send:
        return send(message, handed_over)


def register() -> None:
    delivery.register_sender(InteractionChannel.EMAIL, send_one)
    delivery.register_session(
        InteractionChannel.EMAIL, email_session, prefetch=("email_attachments",)
    )
