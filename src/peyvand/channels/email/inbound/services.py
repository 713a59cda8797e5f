"""Changes to mailboxes and their routing rules, each with its audit row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule
from peyvand.channels.email.inbound.secrets import encrypt_password

MAILBOX_FIELDS = (
    "name",
    "address",
    "host",
    "port",
    "security",
    "username",
    "folder",
    "department",
    "is_fax_gateway",
    "is_active",
)


@transaction.atomic
def save_mailbox(
    mailbox: Mailbox,
    *,
    actor: Any,
    password: str = "",
    rules: Iterable[MailboxRule] = (),
    deleted_rules: Iterable[MailboxRule] = (),
    **fields: Any,
) -> Mailbox:
    """Create or update a mailbox. An empty `password` keeps the stored one. Changing the
    server, account or folder starts the UID scan afresh (UIDs belong to one folder)."""
    if mailbox.pk is not None:
        stored = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        moved = any(
            fields.get(name, getattr(stored, name)) != getattr(stored, name)
            for name in ("host", "port", "username", "folder")
        )
    else:
        stored, moved = mailbox, False
    with record(stored, actor=actor):
        for name, value in fields.items():
            if name in MAILBOX_FIELDS:
                setattr(stored, name, value)
        if password:
            stored.password_encrypted = encrypt_password(password)
        if moved:
            stored.uidvalidity, stored.last_uid = None, 0
        stored.full_clean()
        stored.save()
    for rule in deleted_rules:
        if rule.pk is not None and rule.mailbox_id == stored.pk:
            write_changes([Change(ChangeAction.DELETE, rule, snapshot(rule), None)], actor=actor)
            rule.delete()
    for rule in rules:
        rule.mailbox = stored
        with record(rule, actor=actor):
            rule.full_clean()
            rule.save()
    return stored
