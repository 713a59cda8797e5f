"""Routing rules of a mailbox and the actions they take on a message that opens a new
conversation: a department's desk, a lead, a ticket (through a hook), an auto-reply."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.inbound.models import Mailbox, MailboxRule, RuleAction, RuleField
from peyvand.channels.email.inbound.parse import ParsedEmail
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import new_message_id, queue_message
from peyvand.core.problems import ServiceError

logger = logging.getLogger(__name__)

TicketHandler = Callable[[Message, Mailbox, MailboxRule], Any]
_ticket_handlers: list[TicketHandler] = []
ReplyHandler = Callable[[Message], Any]
_reply_handlers: list[ReplyHandler] = []
ThreadRedirect = Callable[[Conversation], Conversation | None]
_thread_redirects: list[ThreadRedirect] = []
ReportHandler = Callable[[bytes], bool]
_report_handlers: list[ReportHandler] = []


def register_ticket_handler(handler: TicketHandler) -> None:
    """The service app registers the function that turns an inbound email into a ticket;
    it is called inside the ingest transaction with the stored message."""
    if handler not in _ticket_handlers:
        _ticket_handlers.append(handler)


def unregister_ticket_handler(handler: TicketHandler) -> None:
    if handler in _ticket_handlers:
        _ticket_handlers.remove(handler)


def register_reply_handler(handler: ReplyHandler) -> None:
    """Called inside the ingest transaction with each stored message that continues an
    existing conversation (the service app reopens the ticket waiting on the customer)."""
    if handler not in _reply_handlers:
        _reply_handlers.append(handler)


def unregister_reply_handler(handler: ReplyHandler) -> None:
    if handler in _reply_handlers:
        _reply_handlers.remove(handler)


def register_thread_redirect(handler: ThreadRedirect) -> None:
    """A reply found to belong to a conversation goes where `handler` says instead, when
    it names another (the service app: a merged ticket's thread continues on the ticket
    it was merged into)."""
    if handler not in _thread_redirects:
        _thread_redirects.append(handler)


def unregister_thread_redirect(handler: ThreadRedirect) -> None:
    if handler in _thread_redirects:
        _thread_redirects.remove(handler)


def redirect_thread(conversation: Conversation) -> Conversation:
    for handler in _thread_redirects:
        moved = handler(conversation)
        if moved is not None:
            return moved
    return conversation


def register_report_handler(handler: ReportHandler) -> None:
    """The marketing app registers the function that reads delivery reports (bounces,
    spam complaints): called inside the ingest transaction with the raw bytes of each new
    email before it becomes a conversation; True means it was a report and is done."""
    if handler not in _report_handlers:
        _report_handlers.append(handler)


def unregister_report_handler(handler: ReportHandler) -> None:
    if handler in _report_handlers:
        _report_handlers.remove(handler)


def handle_report(raw: bytes) -> bool:
    return any(handler(raw) for handler in _report_handlers)


def continue_thread(message: Message) -> list[Any]:
    return [handler(message) for handler in _reply_handlers]


def matching_rules(rules: list[MailboxRule], parsed: ParsedEmail) -> list[MailboxRule]:
    values: dict[str, str] = {
        RuleField.FROM: f"{parsed.sender_name} {parsed.sender}",
        RuleField.TO: " ".join(parsed.recipients) + " " + parsed.to_header,
        RuleField.SUBJECT: parsed.subject,
    }
    matched = []
    for rule in rules:
        needle = rule.contains.strip().casefold()
        if needle and needle not in values.get(rule.field, "").casefold():
            continue
        matched.append(rule)
        if rule.stop:
            break
    return matched


_AUTOMATED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply", "auto-reply"}
_AUTOMATED_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply")


def is_automated(parsed: ParsedEmail) -> bool:
    """Whether the message was sent by a program (an auto-reply, a bounce, a list): those
    never get an auto-reply, or two auto-responders would answer each other for ever."""
    headers = parsed.headers
    if headers.get("auto-submitted", "no").strip().lower() != "no":
        return True
    if headers.get("precedence", "").strip().lower() in _AUTOMATED_PRECEDENCE:
        return True
    suppress = headers.get("x-auto-response-suppress", "").lower()
    if any(word in suppress for word in ("all", "autoreply", "oof")):
        return True
    if "list-id" in headers or "x-autoreply" in headers or "x-autorespond" in headers:
        return True
    if headers.get("return-path", "").strip() == "<>":
        return True
    local = parsed.sender.partition("@")[0]
    return not parsed.sender or local.startswith(_AUTOMATED_SENDERS)


def _recently_auto_replied(address: str) -> bool:
    since = timezone.now() - dt.timedelta(hours=settings.PEYVAND_EMAIL_AUTOREPLY_INTERVAL_HOURS)
    return Message.objects.filter(
        direction=Direction.OUTBOUND,
        recipient=address,
        created_at__gte=since,
        meta__auto_reply=True,
    ).exists()


def auto_reply(
    rule: MailboxRule, mailbox: Mailbox, conversation: Conversation, parsed: ParsedEmail
) -> Message | None:
    if is_automated(parsed) or parsed.sender == mailbox.address.lower():
        logger.info("no auto-reply to automated message %s", parsed.message_id)
        return None
    if _recently_auto_replied(parsed.sender):
        logger.info("auto-reply to %s skipped: one was sent recently", parsed.sender)
        return None
    references = " ".join(f"<{i}>" for i in [*parsed.references, parsed.message_id])
    subject = rule.reply_subject or f"Re: {parsed.subject}".strip()
    return queue_message(
        conversation,
        actor=None,
        body=rule.reply_body,
        recipient=parsed.sender,
        subject=subject,
        channel=InteractionChannel.EMAIL,
        sender=mailbox.address,
        message_id=new_message_id(mailbox.domain),
        in_reply_to=parsed.message_id,
        references=references,
        meta={
            "auto_reply": True,
            "mailbox": mailbox.pk,
            # RFC 3834: marks our answer as automatic, so well-behaved responders stay quiet.
            "headers": {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"},
        },
    )


def create_lead(rule: MailboxRule, mailbox: Mailbox, message: Message, parsed: ParsedEmail) -> Any:
    from peyvand.sales.capture import capture_lead
    from peyvand.sales.choices import LeadChannel
    from peyvand.sales.models import Lead

    if message.conversation.customer_id is not None or not parsed.sender:
        return None
    if Lead.objects.filter(email__iexact=parsed.sender, deleted_at__isnull=True).exists():
        return None
    kwargs: dict[str, Any] = {
        "actor": None,
        "channel": LeadChannel.EMAIL,
        "name": (parsed.sender_name or parsed.sender.partition("@")[0])[:200],
        "email": parsed.sender,
        "notes": f"{parsed.subject}\n\n{parsed.text}"[:4000],
        "department": rule.department or mailbox.department,
    }
    try:
        with transaction.atomic():
            lead, _duplicates = capture_lead(assign=True, **kwargs)
    except ServiceError:
        # Nobody can take it in that department right now: keep the lead unassigned.
        lead, _duplicates = capture_lead(assign=False, **kwargs)
    except ValidationError as exc:
        logger.warning("lead from %s refused: %s", parsed.sender, exc.messages)
        return None
    return lead


def open_ticket(rule: MailboxRule, mailbox: Mailbox, message: Message) -> list[Any]:
    if not _ticket_handlers:
        logger.info(
            "routing rule %s asks for a ticket for message %s, but no ticket handler is "
            "registered (the service app registers one); the conversation stays in the inbox",
            rule.pk,
            message.message_id,
        )
        return []
    return [handler(message, mailbox, rule) for handler in _ticket_handlers]


def department_of(rules: list[MailboxRule], mailbox: Mailbox) -> Any:
    for rule in rules:
        if rule.action == RuleAction.DEPARTMENT and rule.department_id:
            return rule.department
    return mailbox.department
