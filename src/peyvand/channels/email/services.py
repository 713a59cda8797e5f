"""Outbound email: identities and templates (managers' configuration) and `send_email`,
which renders the message in the customer's language and queues it in the message outbox.

Header conventions (the inbound side reads them back): the Message-ID is
`<{uuid hex}@{identity domain}>`, stored without brackets in `Message.message_id`; replies go
to `{identity local part}+{conversation.reply_token}@{identity domain}`. Everything the
sender needs is stored on the message when it is queued, so every retry sends the same
headers and bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from email.headerregistry import Address
from email.utils import formatdate
from typing import Any

import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.access.scopes import is_manager
from peyvand.audit.services import record
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.models import EmailAttachment, EmailTemplate, SendingIdentity
from peyvand.channels.email.rendering import check_tokens, context_for, render
from peyvand.channels.inbox.choices import MessagePurpose
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import open_conversation, queue_message, secret_conversation
from peyvand.channels.services import _file_size, _safe_filename, _sniff, _validate_attachments
from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer

LANGUAGES = ("en", "fa")

IDENTITY_FIELDS = (
    "name",
    "department",
    "from_name_en",
    "from_name_fa",
    "address",
    "reply_domain",
    "signature_en",
    "signature_fa",
    "is_active",
)
TEMPLATE_FIELDS = (
    "name",
    "purpose",
    "identity",
    "subject_en",
    "body_en",
    "subject_fa",
    "body_fa",
    "is_active",
)


def _require_manager(actor: Any) -> None:
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may change email settings."))


def _apply(obj: Any, fields: Sequence[str], data: dict[str, Any]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            setattr(obj, name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def save_identity(identity: SendingIdentity, *, actor: Any, **data: Any) -> SendingIdentity:
    _require_manager(actor)
    with record(identity, actor=actor):
        _apply(identity, IDENTITY_FIELDS, data)
        identity.address = identity.address.lower()
        identity.reply_domain = identity.reply_domain.lower().strip(".")
        if "+" in identity.local_part:
            raise ValidationError(
                {"address": _("The sender address may not contain “+”: replies use it.")}
            )
        if identity.reply_domain:
            try:
                validate_email(f"x@{identity.reply_domain}")
            except ValidationError:
                raise ValidationError(
                    {"reply_domain": _("Enter a domain name such as example.com.")}
                ) from None
        identity.full_clean()
        identity.save()
    return identity


@transaction.atomic
def save_template(template: EmailTemplate, *, actor: Any, **data: Any) -> EmailTemplate:
    _require_manager(actor)
    with record(template, actor=actor):
        _apply(template, TEMPLATE_FIELDS, data)
        for field in ("subject_en", "body_en", "subject_fa", "body_fa"):
            check_tokens(getattr(template, field), field)
        if not template.languages():
            raise ValidationError({"body_en": _("Write the text in at least one language.")})
        for lang in LANGUAGES:
            if getattr(template, f"body_{lang}").strip() and not getattr(
                template, f"subject_{lang}"
            ):
                raise ValidationError({f"subject_{lang}": _("Give this language a subject.")})
        template.full_clean()
        template.save()
    return template


def pick_language(preferred: str, available: Sequence[str]) -> str:
    """The customer's language when the text exists in it, else the other one."""
    if preferred in available or not available:
        return preferred if preferred in LANGUAGES else "fa"
    return available[0]


def email_address_of(customer: Customer | None) -> str:
    if customer is None:
        return ""
    point = (
        ContactPoint.objects.filter(customer=customer, kind=ContactKind.EMAIL)
        .order_by("-is_primary", "pk")
        .values_list("value", flat=True)
        .first()
    )
    return (point or "").strip()


def identity_for(conversation: Conversation | None) -> SendingIdentity | None:
    active = SendingIdentity.objects.filter(is_active=True)
    if conversation is not None and conversation.department_id:
        own = active.filter(department_id=conversation.department_id).first()
        if own is not None:
            return own
    return active.filter(department__isnull=True).first() or active.first()


def new_email_message_id(identity: SendingIdentity) -> str:
    return f"{uuid.uuid4().hex}@{identity.domain}"


def reply_address(identity: SendingIdentity, conversation: Conversation) -> str:
    return f"{identity.local_part}+{conversation.reply_token}@{identity.domain}"


def _thread_headers(conversation: Conversation) -> tuple[str, str]:
    """In-Reply-To and References for a message added to an existing email thread."""
    previous = list(
        Message.objects.filter(
            conversation=conversation,
            channel=InteractionChannel.EMAIL,
            direction__in=[Direction.INBOUND, Direction.OUTBOUND],
        )
        .order_by("-created_at", "-pk")
        .values_list("message_id", "references")[:1]
    )
    if not previous:
        return "", ""
    last_id, last_refs = previous[0]
    refs = [r for r in last_refs.split() if r] + [f"<{last_id}>"]
    return last_id, " ".join(refs[-20:])


@transaction.atomic
def send_email(
    target: Conversation | Customer | None,
    *,
    actor: Any,
    template: EmailTemplate | None = None,
    subject: str = "",
    body: str = "",
    identity: SendingIdentity | None = None,
    attachments: Sequence[File] = (),
    purpose: str | None = None,
    to: str = "",
    language: str | None = None,
    secret: bool = False,
) -> Message:
    """Queue an email to a customer (a new conversation) or on a conversation, from a
    template or from a subject and body, in the customer's preferred language. A `secret`
    (a sign-in code) goes on the customer's hidden thread instead (see `queue_message`)."""
    if isinstance(target, Conversation):
        conversation: Conversation | None = target
        customer = target.customer
    else:
        conversation, customer = None, target
    if template is None and not body.strip():
        raise ValidationError({"body": _("Write the message or choose a template.")})
    if template is not None and not template.is_active:
        raise ValidationError({"template": _("This template is switched off.")})
    identity = identity or (template.identity if template else None) or identity_for(conversation)
    if identity is None or not identity.is_active:
        raise ValidationError({"identity": _("Set up an active sending identity first.")})
    recipient = (to or email_address_of(customer)).strip()
    try:
        validate_email(recipient)
    except ValidationError:
        raise ValidationError(
            {"to": _("This customer has no valid email address.")}
            if not to
            else {"to": _("Enter a valid email address.")}
        ) from None
    errors = _validate_attachments(list(attachments))
    total = sum(_file_size(upload) for upload in attachments)
    limit = settings.PEYVAND_EMAIL_MAX_ATTACHMENTS_BYTES
    if total > limit:
        errors.append(
            _("The attachments together are larger than the limit of %(limit)s MB.")
            % {"limit": round(limit / (1024 * 1024), 1)}
        )
    if errors:
        raise ValidationError({"attachments": errors})
    preferred = language or getattr(customer, "preferred_language", "") or "fa"
    if template is not None:
        lang = pick_language(preferred, template.languages())
        subject_src, body_src = (
            getattr(template, f"subject_{lang}"),
            getattr(template, f"body_{lang}"),
        )
        purpose = purpose or template.purpose
    else:
        lang = preferred if preferred in LANGUAGES else "fa"
        subject_src, body_src = subject, body
        check_tokens(subject_src, "subject")
        check_tokens(body_src, "body")
    if not subject_src.strip() and conversation is not None and conversation.subject:
        subject_src = conversation.subject
    if not subject_src.strip():
        raise ValidationError({"subject": _("Give the email a subject.")})
    purpose = purpose or MessagePurpose.SERVICE
    rendered = render(
        subject_src,
        body_src,
        context_for(customer, recipient=recipient, actor=actor),
        signature=identity.signature(lang),
        language=lang,
    )
    if secret:
        if conversation is not None:
            raise ValueError("a secret email goes on a hidden thread, not a conversation")
        conversation = secret_conversation(customer, channel=InteractionChannel.EMAIL)
    elif conversation is None:
        conversation = open_conversation(
            channel=InteractionChannel.EMAIL,
            customer=customer,
            subject=rendered.subject[:255],
            department=identity.department,
        )
    # Each secret stands alone: threading sign-in codes together would help no one.
    in_reply_to, references = ("", "") if secret else _thread_headers(conversation)
    local, _at, domain = identity.address.rpartition("@")
    from_header = str(Address(display_name=identity.from_name(lang), username=local, domain=domain))
    message = queue_message(
        conversation,
        actor=actor,
        channel=InteractionChannel.EMAIL,
        body=rendered.text,
        # The HTML part is rebuilt from the (escaped) text at send time; this copy is what
        # the inbox shows, and nh3 keeps only the body markup.
        body_html=nh3.clean(rendered.html),
        recipient=recipient,
        subject=rendered.subject,
        purpose=purpose,
        sender=from_header,
        message_id=new_email_message_id(identity),
        in_reply_to=in_reply_to,
        references=references,
        meta={
            "email": {
                "from": from_header,
                "reply_to": reply_address(identity, conversation),
                "date": formatdate(localtime=False),
                "identity": identity.pk,
                "template": template.pk if template else None,
                "language": lang,
            }
        },
    )
    _store_attachments(message, list(attachments), actor=actor)
    return message


def _store_attachments(message: Message, files: list[File], *, actor: Any) -> None:
    stored: list[EmailAttachment] = []
    try:
        for upload in files:
            attachment = EmailAttachment(
                message=message,
                filename=_safe_filename(upload.name),
                content_type=_sniff(upload),
                size=_file_size(upload),
            )
            attachment.file.save("upload", upload, save=False)
            stored.append(attachment)
            attachment.save()
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
