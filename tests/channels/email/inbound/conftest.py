from __future__ import annotations

import itertools
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from imapclient import IMAPClient

from peyvand.channels.email.inbound.models import Mailbox
from peyvand.channels.email.inbound.secrets import encrypt_password
from tests.channels.email.inbound.dovecot import Dovecot, cleanup, scratch_dir, start_dovecot

_accounts = itertools.count(1)
ACCOUNTS = 60


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One real IMAP server for the session; each test gets its own account."""
    root = scratch_dir()
    server = start_dovecot(root, first_port=10143, last_port=10169)
    # Dovecot rereads its passwd file only when its mtime changes, which is too coarse for
    # users added test by test: every account is there from the start.
    for n in range(1, ACCOUNTS + 1):
        server.add_user(f"user{n}", "secret-pw")
    yield server
    server.stop()
    cleanup(root)


class ImapAccount:
    def __init__(self, server: Dovecot, username: str, password: str) -> None:
        self.server, self.username, self.password = server, username, password

    def client(self) -> IMAPClient:
        client = IMAPClient(self.server.host, port=self.server.port, ssl=False, timeout=30)
        client.login(self.username, self.password)
        return client

    def append(self, raw: bytes | EmailMessage, folder: str = "INBOX") -> None:
        data = raw.as_bytes() if isinstance(raw, EmailMessage) else raw
        with self.client() as client:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            client.append(folder, data)


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    username = f"user{next(_accounts)}"
    return ImapAccount(dovecot, username, "secret-pw")


@pytest.fixture
def mailbox(db: Any, imap_account: ImapAccount) -> Mailbox:
    return Mailbox.objects.create(
        name="Support",
        address="support@example.com",
        host=imap_account.server.host,
        port=imap_account.server.port,
        security="none",
        username=imap_account.username,
        password_encrypted=encrypt_password(imap_account.password),
    )


def make_email(
    *,
    sender: str = "Ali Rezaei <ali@customer.example>",
    to: str = "support@example.com",
    subject: str = "Hello",
    body: str = "Hi there",
    message_id: str | None = None,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    if message_id is not None:
        message["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message
