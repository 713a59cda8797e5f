"""Mailbox passwords at rest: encrypted with a key derived from SECRET_KEY, so neither a
database dump nor an audit row (which snapshots the whole row) holds them in clear."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    digest = hashlib.sha256(b"peyvand.mailbox-password:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_password(password: str) -> str:
    return _fernet().encrypt(password.encode()).decode() if password else ""


def decrypt_password(token: str) -> str:
    """The stored password, or "" when there is none or SECRET_KEY changed since it was set
    (the mailbox then fails to log in and says so in its last error)."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""
