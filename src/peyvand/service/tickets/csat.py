"""The satisfaction survey (CSAT) sent when a ticket is solved or closed: a signed link in
the customer's language on the ticket's channel, answered once with a score of 1 to 5 and a
comment, stored on the ticket and put on the customer's timeline.

The link carries the ticket id signed with the secret key (Django's signing, its own salt,
an age limit), so it cannot be forged for another ticket; the first answer is kept and the
link refuses every later one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.services import send_email
from peyvand.channels.inbox.models import Message
from peyvand.channels.models import Interaction
from peyvand.service.models import Ticket

SALT = "peyvand.service.csat"
MAX_COMMENT_CHARS = 4000


def survey_token(ticket: Ticket) -> str:
    return signing.dumps({"t": ticket.pk}, salt=SALT, compress=True)


def survey_url(ticket: Ticket) -> str:
    path = reverse("service:csat", args=[survey_token(ticket)])
    return f"{settings.PEYVAND_PUBLIC_URL}{path}"


def ticket_for_token(token: str) -> Ticket:
    """The ticket the link was made for; ValidationError for a forged or expired link."""
    try:
        claim = signing.loads(token, salt=SALT, max_age=settings.PEYVAND_CSAT_MAX_AGE_DAYS * 86400)
        return Ticket.objects.select_related("customer").get(pk=int(claim["t"]))
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This survey link has expired.")) from exc
    except (signing.BadSignature, Ticket.DoesNotExist, KeyError, TypeError, ValueError) as exc:
        raise ValidationError(_("This survey link is not valid.")) from exc


def send_survey(ticket: Ticket, *, actor: Any) -> Message | None:
    """Ask the customer once per ticket; merged duplicates and customers without an email
    address are not asked."""
    from peyvand.service.tickets.services import customer_language, ticket_thread

    if ticket.csat_sent_at is not None or ticket.merged_into_id is not None:
        return None
    language = customer_language(ticket.customer)
    with translation.override(language):
        subject = _("How did we do? Ticket #%(number)s") % {"number": ticket.pk}
        body = _(
            "Your ticket “%(subject)s” is resolved. Please tell us how satisfied you are, "
            "from 1 to 5, at:\n%(url)s"
        ) % {"subject": ticket.subject, "url": survey_url(ticket)}
    try:
        message = send_email(
            ticket_thread(ticket, actor=actor),
            actor=actor,
            subject=subject,
            body=body,
            language=language,
        )
    except ValidationError:
        # No address, no sending identity: the ticket closes all the same, unsurveyed.
        return None
    Ticket.objects.filter(pk=ticket.pk).update(csat_sent_at=timezone.now())
    return message


@transaction.atomic
def answer_survey(token: str, *, score: Any, comment: str = "") -> Ticket:
    ticket = ticket_for_token(token)
    locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if locked.csat_answered_at is not None:
        raise ValidationError(_("This survey has already been answered. Thank you!"))
    errors: dict[str, list[str]] = {}
    try:
        value = int(score)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        errors["score"] = [_("Choose a score from 1 to 5.")]
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        errors["comment"] = [
            _("Keep the comment under %(limit)d characters.") % {"limit": MAX_COMMENT_CHARS}
        ]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with record(locked, actor=None, customer_id=locked.customer_id):
        locked.csat, locked.csat_comment, locked.csat_answered_at = value, comment, now
        locked.save(update_fields=["csat", "csat_comment", "csat_answered_at", "updated_at"])
    with translation.override(ticket.customer.preferred_language or settings.LANGUAGE_CODE):
        title = _("Satisfaction %(score)s/5 for ticket #%(number)s") % {
            "score": value,
            "number": locked.pk,
        }
    Interaction.objects.create(
        customer_id=locked.customer_id,
        channel=InteractionChannel.PORTAL,
        direction=Direction.INBOUND,
        occurred_at=now,
        subject=title,
        body=comment,
        external_id=f"csat:{locked.pk}",
    )
    return locked
