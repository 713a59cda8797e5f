"""Every state change to interactions: log, edit, move to the recycle bin.

Callers authorise first (see `peyvand.channels.access`); these functions validate, write
inside one transaction and append the audit rows.
"""

from __future__ import annotations

import datetime as dt
import os
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.recycle import soft_delete
from peyvand.audit.services import record
from peyvand.channels.models import Interaction, InteractionAttachment
from peyvand.channels.sniff import SNIFF_BYTES, sniff_content_type
from peyvand.customers.models import Customer

MAX_BODY_CHARS = 100_000
MAX_ATTACHMENTS = 20

# An upload (Django `File`/`UploadedFile`) or a plain (file name, bytes) pair.
AttachmentInput = File | tuple[str, bytes]

EDITABLE_FIELDS = frozenset(
    {"channel", "direction", "subject", "body", "occurred_at", "agent", "duration_seconds"}
)


def _as_file(item: AttachmentInput) -> File:
    if isinstance(item, tuple):
        name, data = item
        return ContentFile(data, name=name)
    return item


def _safe_filename(name: str | None) -> str:
    """The uploader's name for display and download only: no directories, no control
    characters, bounded length."""
    base = os.path.basename((name or "").replace("\\", "/"))
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    if not cleaned:
        return "attachment"
    stem, ext = os.path.splitext(cleaned)
    return stem[: 255 - len(ext[:20])] + ext[:20]


def _file_size(upload: File) -> int:
    size = upload.size
    if size is None:
        upload.seek(0, os.SEEK_END)
        size = upload.tell()
    return int(size)


def _sniff(upload: File) -> str:
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return sniff_content_type(head if isinstance(head, bytes) else head.encode())


def _validate_attachments(files: list[File]) -> list[str]:
    errors: list[str] = []
    limit = settings.PEYVAND_MAX_ATTACHMENT_BYTES
    if len(files) > MAX_ATTACHMENTS:
        errors.append(
            _("At most %(count)d attachments can be added at once.") % {"count": MAX_ATTACHMENTS}
        )
    for upload in files:
        name = _safe_filename(upload.name)
        size = _file_size(upload)
        if size == 0:
            errors.append(_("“%(name)s” is empty.") % {"name": name})
        elif size > limit:
            errors.append(
                _("“%(name)s” is larger than the limit of %(limit)s.")
                % {"name": name, "limit": _human_size(limit)}
            )
    return errors


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return _("%(n)s MB") % {"n": round(n / (1024 * 1024), 1)}
    return _("%(n)s KB") % {"n": max(1, round(n / 1024))}


def _validate_body(body: str) -> dict[str, list[str]]:
    if len(body) > MAX_BODY_CHARS:
        return {
            "body": [
                _("The text is too long (%(length)d characters; at most %(limit)d).")
                % {"length": len(body), "limit": MAX_BODY_CHARS}
            ]
        }
    return {}


def _store_attachments(
    interaction: Interaction, files: list[File], *, actor: Any
) -> list[InteractionAttachment]:
    stored: list[InteractionAttachment] = []
    try:
        for upload in files:
            attachment = InteractionAttachment(
                interaction=interaction,
                filename=_safe_filename(upload.name),
                content_type=_sniff(upload),
                size=_file_size(upload),
            )
            with record(attachment, actor=actor, customer_id=interaction.customer_id):
                # The name passed here is ignored by `attachment_path`: stored names are random.
                attachment.file.save("upload", upload, save=False)
                stored.append(attachment)
                attachment.save()
    except BaseException:
        # The rows roll back with the transaction; the files on disk must go with them.
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


@transaction.atomic
def log_interaction(
    *,
    actor: Any,
    customer: Customer,
    channel: str,
    direction: str,
    subject: str = "",
    body: str = "",
    occurred_at: dt.datetime | None = None,
    agent: Any = None,
    related: models.Model | None = None,
    duration_seconds: int | None = None,
    attachments: Iterable[AttachmentInput] = (),
    external_id: str = "",
) -> Interaction:
    """Record one contact with a customer, with its attachments, audited.

    `agent` defaults to the acting user. Raises ValidationError (per field) and writes
    nothing when anything is wrong.
    """
    files = [_as_file(item) for item in attachments]
    if agent is None and getattr(actor, "is_authenticated", False):
        agent = actor
    interaction = Interaction(
        customer=customer,
        channel=channel,
        direction=direction,
        subject=subject,
        body=body,
        occurred_at=occurred_at or timezone.now(),
        agent=agent,
        duration_seconds=duration_seconds,
        external_id=external_id,
    )
    if related is not None:
        interaction.related_type = ContentType.objects.get_for_model(related)
        interaction.related_id = str(related.pk)
    errors = _validate_body(body)
    attachment_errors = _validate_attachments(files)
    if attachment_errors:
        errors["attachments"] = attachment_errors
    try:
        interaction.full_clean(exclude=["customer", "agent", "related_type"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if customer.deleted_at is not None:
        errors.setdefault("customer", []).append(_("This customer is in the recycle bin."))
    if errors:
        raise ValidationError(errors)
    with record(interaction, actor=actor):
        interaction.save()
    _store_attachments(interaction, files, actor=actor)
    return interaction


@transaction.atomic
def add_attachments(
    interaction: Interaction, *, actor: Any, attachments: Iterable[AttachmentInput]
) -> list[InteractionAttachment]:
    files = [_as_file(item) for item in attachments]
    errors = _validate_attachments(files)
    if errors:
        raise ValidationError({"attachments": errors})
    return _store_attachments(interaction, files, actor=actor)


@transaction.atomic
def update_interaction(interaction: Interaction, *, actor: Any, **changes: Any) -> Interaction:
    """Change the editable fields named in `changes`; anything else is refused, so callers
    cannot move an interaction to another customer or rewrite its provenance."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"update_interaction() cannot change {', '.join(sorted(unknown))}")
    locked = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if locked.deleted_at is not None:
        raise ValidationError(_("This interaction is in the recycle bin."))
    errors = _validate_body(changes.get("body", ""))
    with record(locked, actor=actor):
        for field, value in changes.items():
            setattr(locked, field, value)
        try:
            locked.full_clean(exclude=["customer", "agent", "related_type"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        if errors:
            raise ValidationError(errors)
        locked.save()
    return locked


def delete_interaction(interaction: Interaction, *, actor: Any) -> Interaction:
    """Move the interaction to the recycle bin (restorable, audited)."""
    soft_delete(interaction, actor=actor)
    return interaction
