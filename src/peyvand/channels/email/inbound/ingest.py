"""One path for every inbound email, whether IMAP fetched it or a provider posted it: record
the UID, parse, find the thread and the customer, route, store the message and its
attachments. Nothing is imported twice and nothing is dropped: what cannot be parsed is kept
as its bytes and listed for staff."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from peyvand.channels.choices import InteractionChannel
from peyvand.channels.email.inbound import routing
from peyvand.channels.email.inbound.models import (
    Mailbox,
    MailboxRule,
    MailboxUid,
    RawInboundEmail,
    RuleAction,
)
from peyvand.channels.email.inbound.parse import (
    Attachment,
    ParsedEmail,
    UnparsableEmail,
    parse_email,
)
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import link_customer, open_conversation, receive_message
from peyvand.channels.services import MAX_ATTACHMENTS, _human_size, _safe_filename
from peyvand.channels.services import _store_attachments as store_attachments
from peyvand.core.text import normalize_email, normalize_phone
from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer

logger = logging.getLogger(__name__)

IMPORTED, DUPLICATE, KEPT_RAW = "imported", "duplicate", "kept_raw"
# A bounce or complaint report, handled by a report handler instead of the inbox.
REPORT = "report"

_TOKEN = re.compile(r"\+([0-9a-f]{16})@")
_DIGIT = "[0-9\u06f0-\u06f9\u0660-\u0669]"
_PHONE_CANDIDATE = re.compile(rf"\+?{_DIGIT}(?:[ ().-]?{_DIGIT}){{6,14}}")


@dataclass
class IngestResult:
    status: str
    message: Message | None = None
    raw: RawInboundEmail | None = None


def customer_for_address(address: str) -> Customer | None:
    key = normalize_email(address)
    if not key:
        return None
    point = (
        ContactPoint.objects.filter(
            kind=ContactKind.EMAIL, normalized=key, customer__deleted_at__isnull=True
        )
        .select_related("customer")
        .order_by("-is_primary", "customer_id")
        .first()
    )
    return point.customer if point is not None else None


def _customer_for_fax(parsed: ParsedEmail) -> Customer | None:
    """Fax gateways write the sending number into the subject or the sender's name."""
    for text in (parsed.subject, parsed.sender_name):
        for candidate in _PHONE_CANDIDATE.findall(text or ""):
            phone = normalize_phone(candidate)
            if not phone:
                continue
            point = (
                ContactPoint.objects.filter(
                    kind=ContactKind.PHONE, normalized=phone, customer__deleted_at__isnull=True
                )
                .select_related("customer")
                .order_by("customer_id")
                .first()
            )
            if point is not None:
                return point.customer
    return None


def _thread_of(parsed: ParsedEmail) -> Conversation | None:
    # An answer to a sign-in email starts a thread staff can see, not one in the hidden one.
    ids = parsed.thread_ids
    if ids:
        found = dict(
            Message.objects.filter(message_id__in=ids, conversation__sensitive=False).values_list(
                "message_id", "conversation_id"
            )
        )
        for message_id in ids:
            if message_id in found:
                return Conversation.objects.get(pk=found[message_id])
    tokens = [m for addr in parsed.recipients for m in _TOKEN.findall(addr + "@")]
    tokens += _TOKEN.findall(parsed.to_header.lower())
    if tokens:
        return Conversation.objects.filter(reply_token__in=tokens, sensitive=False).first()
    return None


def _keep_raw(
    mailbox: Mailbox | None,
    raw: bytes,
    *,
    uid: int | None,
    error: str,
    message: Message | None = None,
    parsed: ParsedEmail | None = None,
) -> RawInboundEmail:
    return RawInboundEmail.objects.create(
        mailbox=mailbox,
        uid=uid,
        raw=raw,
        size=len(raw),
        error=error,
        message=message,
        digest=hashlib.sha256(raw).hexdigest(),
        sender=(parsed.sender if parsed else "")[:320],
        subject=(parsed.subject if parsed else _guess_subject(raw))[:255],
    )


def _guess_subject(raw: bytes) -> str:
    head = raw[:8192].decode("utf-8", errors="replace")
    match = re.search(r"(?im)^subject:[ \t]*(.*)$", head)
    return match.group(1).strip() if match else ""


def _store_files(message: Message, attachments: list[Attachment]) -> dict[str, list[Any]]:
    """Stores what fits the limits on the message's timeline line; lists the rest with the
    reason, so a staff member sees what was not kept."""
    limit = settings.PEYVAND_MAX_ATTACHMENT_BYTES
    accepted: list[File] = []
    refused: list[dict[str, Any]] = []
    for item in attachments:
        name = _safe_filename(item.filename)
        if not item.data:
            refused.append({"filename": name, "size": 0, "reason": "empty"})
        elif len(item.data) > limit:
            refused.append(
                {
                    "filename": name,
                    "size": len(item.data),
                    "reason": f"larger than the limit of {_human_size(limit)}",
                }
            )
        elif len(accepted) >= MAX_ATTACHMENTS:
            refused.append({"filename": name, "size": len(item.data), "reason": "too many"})
        else:
            accepted.append(ContentFile(item.data, name=name))
    stored = []
    if accepted and message.interaction is not None:
        stored = store_attachments(message.interaction, accepted, actor=None)
    return {
        "attachments": [
            {"id": a.pk, "filename": a.filename, "size": a.size, "content_type": a.content_type}
            for a in stored
        ],
        "refused_attachments": refused,
    }


def _route_new(
    mailbox: Mailbox, parsed: ParsedEmail, customer: Customer | None, channel: str
) -> tuple[Conversation, list[MailboxRule]]:
    rules = routing.matching_rules(list(mailbox.rules.select_related("department")), parsed)
    conversation = open_conversation(
        channel=channel,
        customer=customer,
        subject=parsed.subject or (f"Fax {parsed.sender}" if mailbox.is_fax_gateway else ""),
        department=routing.department_of(rules, mailbox),
        external_key=f"mailbox:{mailbox.pk}",
    )
    return conversation, rules


def _apply_actions(
    rules: list[MailboxRule],
    mailbox: Mailbox,
    conversation: Conversation,
    message: Message,
    parsed: ParsedEmail,
) -> dict[str, Any]:
    done: dict[str, Any] = {}
    for rule in rules:
        if rule.action == RuleAction.LEAD:
            lead = routing.create_lead(rule, mailbox, message, parsed)
            if lead is not None:
                done["lead"] = lead.pk
        elif rule.action == RuleAction.TICKET:
            routing.open_ticket(rule, mailbox, message)
            done["ticket_rule"] = rule.pk
        elif rule.action == RuleAction.AUTO_REPLY and "auto_reply" not in done:
            reply = routing.auto_reply(rule, mailbox, conversation, parsed)
            if reply is not None:
                done["auto_reply"] = reply.pk
    return done


def ingest_email(
    mailbox: Mailbox,
    raw: bytes,
    *,
    uid: int | None = None,
    uidvalidity: int | None = None,
) -> IngestResult:
    """Import one email into `mailbox`; safe to call again with the same bytes or UID."""
    try:
        with transaction.atomic():
            return _ingest(mailbox, raw, uid=uid, uidvalidity=uidvalidity)
    except IntegrityError:
        # Another worker recorded this UID or stored this Message-ID a moment ago.
        return IngestResult(DUPLICATE)


def _ingest(
    mailbox: Mailbox, raw: bytes, *, uid: int | None, uidvalidity: int | None
) -> IngestResult:
    seen: MailboxUid | None = None
    if uid is not None and uidvalidity is not None:
        # A UID already recorded fails this insert (unique), and ingest_email answers
        # DUPLICATE: no query asks first.
        seen = MailboxUid.objects.create(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid)
    try:
        parsed = parse_email(raw)
    except UnparsableEmail as exc:
        digest = hashlib.sha256(raw).hexdigest()
        already = RawInboundEmail.objects.filter(
            mailbox=mailbox, digest=digest, message__isnull=True
        ).first()
        if already is not None:
            return IngestResult(DUPLICATE, raw=already)
        kept = _keep_raw(mailbox, raw, uid=uid, error=str(exc)[:2000])
        logger.warning("mailbox %s: kept unparsable email (uid %s): %s", mailbox.pk, uid, exc)
        return IngestResult(KEPT_RAW, raw=kept)

    existing = Message.objects.filter(message_id=parsed.message_id).first()
    if existing is not None:
        if seen is not None:
            MailboxUid.objects.filter(pk=seen.pk).update(message=existing)
        return IngestResult(DUPLICATE, message=existing)
    if routing.handle_report(raw):
        return IngestResult(REPORT)

    channel = InteractionChannel.FAX if mailbox.is_fax_gateway else InteractionChannel.EMAIL
    customer = customer_for_address(parsed.sender)
    if customer is None and mailbox.is_fax_gateway:
        customer = _customer_for_fax(parsed)
    conversation = _thread_of(parsed)
    continues_thread = conversation is not None
    if conversation is not None:
        conversation = routing.redirect_thread(conversation)
    rules: list[MailboxRule] = []
    if conversation is None:
        conversation, rules = _route_new(mailbox, parsed, customer, channel)
    elif conversation.customer_id is None and customer is not None:
        conversation = link_customer(conversation, customer=customer, actor=None)
    meta: dict[str, Any] = {
        "mailbox": mailbox.pk,
        "uid": uid,
        "to": parsed.to_header[:1000],
        "from_name": parsed.sender_name[:200],
        "headers": parsed.headers,
    }
    message, created = receive_message(
        conversation,
        message_id=parsed.message_id,
        body=parsed.text,
        sender=parsed.sender,
        recipient=(parsed.recipients[0] if parsed.recipients else mailbox.address),
        subject=parsed.subject,
        body_html=parsed.html,
        in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references),
        occurred_at=_sane_date(parsed),
        meta=meta,
        channel=channel,
    )
    if not created:
        return IngestResult(DUPLICATE, message=message)
    meta.update(_store_files(message, parsed.attachments))
    if parsed.attachments and message.interaction is None:
        # No customer yet, so no timeline line to hang the files on: keep the original.
        _keep_raw(mailbox, raw, uid=uid, error="", message=message, parsed=parsed)
        meta["original_kept"] = True
    meta.update(_apply_actions(rules, mailbox, conversation, message, parsed))
    if continues_thread:
        routing.continue_thread(message)
    Message.objects.filter(pk=message.pk).update(meta=meta)
    message.meta = meta
    if seen is not None:
        MailboxUid.objects.filter(pk=seen.pk).update(message=message)
    Mailbox.objects.filter(pk=mailbox.pk).update(messages_imported=F("messages_imported") + 1)
    return IngestResult(IMPORTED, message=message)


def _sane_date(parsed: ParsedEmail) -> Any:
    # The Date header is the sender's clock: trusted unless it is in the future.
    now = timezone.now()
    if parsed.date is None or parsed.date > now:
        return now
    return parsed.date


def retry_raw(raw_email: RawInboundEmail) -> IngestResult:
    """Import a kept email again (after the parser learnt to read it); the kept copy goes
    once the message is stored."""
    mailbox = raw_email.mailbox
    if mailbox is None:
        return IngestResult(KEPT_RAW, raw=raw_email)
    data = bytes(raw_email.raw)
    with transaction.atomic():
        try:
            parse_email(data)
        except UnparsableEmail as exc:
            RawInboundEmail.objects.filter(pk=raw_email.pk).update(
                error=str(exc)[:2000], updated_at=timezone.now()
            )
            return IngestResult(KEPT_RAW, raw=raw_email)
        result = _ingest(mailbox, data, uid=None, uidvalidity=None)
        raw_email.delete()
    return result
