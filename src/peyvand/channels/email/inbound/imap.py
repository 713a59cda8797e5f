"""Polling a mailbox over IMAP: fetch every UID above the last one imported, in batches
bounded by count and by bytes, and hand each message to `ingest_email`.

The folder is opened read-only and bodies are fetched with BODY.PEEK[], so polling neither
marks mail as read nor changes the mailbox. A changed UIDVALIDITY means the server renumbered
the folder: the scan starts again from UID 1 and Message-IDs keep it from importing twice.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from imapclient import IMAPClient

from peyvand.channels.email.inbound.ingest import (
    DUPLICATE,
    IMPORTED,
    KEPT_RAW,
    REPORT,
    ingest_email,
)
from peyvand.channels.email.inbound.models import Mailbox, MailboxSecurity
from peyvand.channels.email.inbound.secrets import decrypt_password

logger = logging.getLogger(__name__)

BATCH_MESSAGES = 200


@dataclass
class SyncResult:
    imported: int = 0
    duplicates: int = 0
    kept_raw: int = 0
    reports: int = 0
    error: str = ""
    skipped: bool = False


def connect(mailbox: Mailbox) -> IMAPClient:
    timeout = settings.PEYVAND_IMAP_TIMEOUT
    context = ssl.create_default_context()
    client = IMAPClient(
        mailbox.host,
        port=mailbox.port,
        ssl=mailbox.security == MailboxSecurity.SSL,
        ssl_context=context,
        timeout=timeout,
    )
    if mailbox.security == MailboxSecurity.STARTTLS:
        client.starttls(context)
    client.login(mailbox.username, decrypt_password(mailbox.password_encrypted))
    return client


def _batches(uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
    limit = settings.PEYVAND_IMAP_FETCH_BYTES
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if batch and (len(batch) >= BATCH_MESSAGES or total + size > limit):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def sync_mailbox(mailbox_id: int) -> SyncResult:
    """Import what arrived in the mailbox since the last sync. One sync per mailbox at a
    time; a second one started meanwhile returns at once (skipped)."""
    lock = f"peyvand:mailbox-sync:{mailbox_id}"
    if not cache.add(lock, "1", timeout=settings.PEYVAND_IMAP_TIMEOUT * 20):
        return SyncResult(skipped=True)
    try:
        return _sync(mailbox_id)
    finally:
        cache.delete(lock)


def _sync(mailbox_id: int) -> SyncResult:
    mailbox = Mailbox.objects.select_related("department").get(pk=mailbox_id)
    result = SyncResult()
    Mailbox.objects.filter(pk=mailbox.pk).update(last_attempt_at=timezone.now())
    try:
        with connect(mailbox) as client:
            info = client.select_folder(mailbox.folder, readonly=True)
            uidvalidity = int(info[b"UIDVALIDITY"])
            if mailbox.uidvalidity != uidvalidity:
                if mailbox.uidvalidity is not None:
                    logger.warning(
                        "mailbox %s: UIDVALIDITY changed %s → %s; rescanning the folder",
                        mailbox.pk,
                        mailbox.uidvalidity,
                        uidvalidity,
                    )
                mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
                Mailbox.objects.filter(pk=mailbox.pk).update(uidvalidity=uidvalidity, last_uid=0)
            # "n:*" always answers the highest UID, even when it is below n.
            uids = sorted(
                u
                for u in client.search(["UID", f"{mailbox.last_uid + 1}:*"])
                if u > mailbox.last_uid
            )
            sizes: dict[int, int] = {}
            done = mailbox.last_uid
            if uids:
                sizes = {
                    uid: int(data.get(b"RFC822.SIZE", 0))
                    for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()
                }
            for batch in _batches(uids, sizes):
                fetched = client.fetch(batch, ["BODY.PEEK[]"])
                try:
                    for uid in batch:
                        raw = fetched.get(uid, {}).get(b"BODY[]")
                        outcome = ingest_email(
                            mailbox,
                            raw if raw is not None else b"",
                            uid=uid,
                            uidvalidity=uidvalidity,
                        ).status
                        if outcome == IMPORTED:
                            result.imported += 1
                        elif outcome == DUPLICATE:
                            result.duplicates += 1
                        elif outcome == KEPT_RAW:
                            result.kept_raw += 1
                        elif outcome == REPORT:
                            result.reports += 1
                        done = uid
                finally:
                    # Once a batch (and up to a failure), not a commit per message: a UID
                    # ingested but not yet in last_uid is in MailboxUid, so fetched again
                    # it is a duplicate, never a second import.
                    if done > mailbox.last_uid:
                        mailbox.last_uid = done
                        Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=done)
    except Exception as exc:  # any server or network failure is shown on the mailbox
        result.error = f"{type(exc).__name__}: {exc}"[:2000]
        logger.warning("mailbox %s: sync failed: %s", mailbox.pk, result.error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_error=result.error)
        return result
    Mailbox.objects.filter(pk=mailbox.pk).update(last_success_at=timezone.now(), last_error="")
    return result
