"""Background jobs of inbound email: the periodic poll of every active IMAP mailbox, and the
sync of one mailbox ("sync now")."""

from __future__ import annotations

from django_tasks import task

from peyvand.channels.email.inbound import imap
from peyvand.channels.email.inbound.models import Mailbox


@task()
def sync_mailbox(mailbox_id: int) -> dict[str, object]:
    """Import what arrived in one mailbox; returns the counts (and the error, if any)."""
    result = imap.sync_mailbox(mailbox_id)
    return {
        "imported": result.imported,
        "duplicates": result.duplicates,
        "kept_raw": result.kept_raw,
        "error": result.error,
        "skipped": result.skipped,
    }


@task()
def poll_mailboxes() -> int:
    """Enqueue a sync of every active mailbox that is read over IMAP; returns how many."""
    ids = list(
        Mailbox.objects.filter(is_active=True)
        .exclude(host="")
        .exclude(username="")
        .values_list("pk", flat=True)
    )
    for mailbox_id in ids:
        sync_mailbox.enqueue(mailbox_id)
    return len(ids)
