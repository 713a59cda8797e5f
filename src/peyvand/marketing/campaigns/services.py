"""Every state change of campaigns: editing, scheduling, pausing, the send itself, the
responses that pick a winner, and the one-click unsubscribe.

The send (`run_campaign`) picks recipients in one set-based query (`selectors.recipients`)
and writes, per chunk and in one transaction, their outbox `Message` rows and their
`CampaignMessage` rows (unique per campaign and customer). Delivery is the outbox's own
claim/lease/handover path, so a worker killed while enqueueing or while sending neither
skips nor repeats anyone: a rerun picks up only the customers without a row, and the
outbox resumes what was queued. Each message's `next_attempt_at` is its scheduled time
(local send time, quiet hours, throttle), so the outbox is also the scheduler.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.utils import formatdate
from typing import Any

import numpy as np
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.email.rendering import Rendered, check_tokens, context_for, render, substitute
from peyvand.channels.email.services import new_email_message_id, pick_language
from peyvand.channels.inbox.choices import ConversationStatus, MessagePurpose, MessageStatus
from peyvand.channels.inbox.models import Conversation, Message
from peyvand.channels.inbox.services import new_message_id, open_conversation, queue_message
from peyvand.channels.sms.gateway import resolve_gateway
from peyvand.channels.sms.segments import count_segments
from peyvand.customers.choices import ConsentStatus
from peyvand.customers.models import Consent, Customer
from peyvand.customers.services import set_consent
from peyvand.marketing.campaigns import allocation, selectors
from peyvand.marketing.choices import CampaignChannel, CampaignPhase, CampaignStatus, TestMode
from peyvand.marketing.models import Campaign, CampaignMessage, CampaignVariant, Suppression
from peyvand.tracking.services import set_campaign_key

# Recipients written per transaction: big enough to amortise the round trips, small enough
# that a crash loses little work and a pause takes effect soon.
CHUNK = 2000
# A bandit sends in this many waves, each allocated from the responses of the ones before.
BANDIT_WAVES = 20
BANDIT_MIN_WAVE = 50
UNSUBSCRIBE_SALT = "peyvand.marketing.unsubscribe"
UNSUBSCRIBE_SOURCE = "one-click unsubscribe"
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.PAUSED)
CAMPAIGN_FIELDS = (
    "name",
    "segment",
    "channel",
    "purpose",
    "identity",
    "send_after",
    "local_time",
    "time_zone",
    "throttle_per_minute",
    "quiet_start",
    "quiet_end",
    "cap_messages",
    "cap_days",
    "test_mode",
    "test_percent",
    "winner_metric",
    "winner_min_sent",
    "winner_wait_hours",
)
VARIANT_FIELDS = ("name", "subject_en", "body_en", "subject_fa", "body_fa")


# --- editing -------------------------------------------------------------------------


def _check_editable(campaign: Campaign) -> None:
    if campaign.pk and campaign.status not in EDITABLE:
        raise ValidationError(_("Pause the campaign before changing it."))


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


@transaction.atomic
def save_campaign(campaign: Campaign | None, *, actor: Any, **data: Any) -> Campaign:
    """Create or change a campaign (draft or paused only)."""
    campaign = campaign or Campaign(created_by=actor)
    if campaign.pk:
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    _check_editable(campaign)
    with record(campaign, actor=actor):
        for name in CAMPAIGN_FIELDS:
            if name in data:
                setattr(campaign, name, data[name])
        errors: dict[str, list[str]] = {}
        if _zone(campaign.time_zone) is None:
            errors["time_zone"] = [_("Choose a time zone such as Asia/Tehran.")]
        if (campaign.quiet_start is None) != (campaign.quiet_end is None):
            errors["quiet_end"] = [_("Give both ends of the quiet hours, or neither.")]
        elif campaign.quiet_start is not None and campaign.quiet_start == campaign.quiet_end:
            errors["quiet_end"] = [_("Quiet hours must not start and end at the same time.")]
        if campaign.cap_messages is not None and campaign.cap_days < 1:
            errors["cap_days"] = [_("The cap needs a period of at least one day.")]
        _clean_or_raise(campaign, errors, exclude=["segment", "identity", "winner", "conversation"])
        campaign.save()
    return campaign


def _clean_or_raise(obj: Any, errors: dict[str, list[str]], **options: Any) -> None:
    """The model's own validation added to the rule errors already found; all or nothing."""
    try:
        obj.full_clean(**options)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_variant(
    campaign: Campaign, variant: CampaignVariant | None, *, actor: Any, **data: Any
) -> CampaignVariant:
    """Create or change one variant. Unknown personalisation tokens are refused; a text is
    needed in at least one language."""
    _check_editable(Campaign.objects.select_for_update().get(pk=campaign.pk))
    variant = variant or CampaignVariant(campaign=campaign)
    if variant.campaign_id != campaign.pk:
        raise ValidationError(_("This variant belongs to another campaign."))
    with record(variant, actor=actor):
        for name in VARIANT_FIELDS:
            if name in data:
                setattr(variant, name, (data[name] or "").strip())
        errors: dict[str, list[str]] = {}
        for name in VARIANT_FIELDS[1:]:
            try:
                check_tokens(getattr(variant, name), name)
            except ValidationError as exc:
                errors.update(exc.message_dict)
        if not variant.languages():
            errors["body_en"] = [_("Write the text in at least one language.")]
        if (
            CampaignVariant.objects.filter(campaign=campaign, name=variant.name)
            .exclude(pk=variant.pk)
            .exists()
        ):
            errors["name"] = [_("Another variant of this campaign has this name.")]
        _clean_or_raise(variant, errors, exclude=["campaign"], validate_constraints=False)
        variant.save()
    return variant


def _check_sendable(campaign: Campaign, variants: Sequence[CampaignVariant]) -> None:
    errors: dict[str, list[str]] = {}
    if not variants:
        errors["variants"] = [_("Add at least one variant with its text.")]
    if campaign.test_mode != TestMode.NONE and len(variants) < 2:
        errors["test_mode"] = [_("A test needs at least two variants.")]
    email = campaign.channel in (CampaignChannel.EMAIL, CampaignChannel.PREFERRED)
    sms = campaign.channel in (CampaignChannel.SMS, CampaignChannel.PREFERRED)
    if email:
        if campaign.identity is None or not campaign.identity.is_active:
            errors["identity"] = [_("Choose an active sending identity for the email.")]
        for variant in variants:
            for lang in variant.languages():
                if not getattr(variant, f"subject_{lang}").strip():
                    errors.setdefault("variants", []).append(
                        _("Variant “%(name)s” needs a subject in %(language)s.")
                        % {"name": variant.name, "language": lang}
                    )
    if sms and resolve_gateway(None) is None:
        errors["channel"] = [_("No SMS gateway is configured.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def schedule_campaign(campaign_id: int, *, actor: Any) -> Campaign:
    """Start (or resume) sending: messages go out from `send_after`, at each recipient's
    local send time. Idempotent for a campaign that is already scheduled or sending."""
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("identity")
        .get(pk=campaign_id)
    )
    if campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
        return campaign
    if campaign.status == CampaignStatus.DONE:
        raise ValidationError(_("This campaign has been sent."))
    _check_sendable(campaign, list(campaign.variants.all()))
    with record(campaign, actor=actor):
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status", "updated_at"])
    from peyvand.marketing.campaigns.tasks import run_campaign_task

    transaction.on_commit(lambda: run_campaign_task.enqueue(campaign.pk))
    return campaign


def _campaign_outbox(campaign: Campaign) -> Any:
    """The campaign's queued messages in the outbox (not yet claimed by a worker)."""
    return Message.objects.filter(
        campaign_message__campaign=campaign, status__in=[MessageStatus.QUEUED, MessageStatus.FAILED]
    )


@transaction.atomic
def pause_campaign(campaign_id: int, *, actor: Any) -> Campaign:
    """Stop sending: nobody more is picked, and queued messages are held in the outbox (no
    due time) until the campaign is scheduled again. A message a worker already holds goes."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status == CampaignStatus.PAUSED:
        return campaign
    # A campaign whose every recipient is queued is done, but what is queued for later
    # (local send times, throttle) can still be held.
    sending = campaign.status in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING)
    if not sending and not (
        campaign.status == CampaignStatus.DONE and _campaign_outbox(campaign).exists()
    ):
        raise ValidationError(_("Only a scheduled or sending campaign can be paused."))
    with record(campaign, actor=actor):
        campaign.status = CampaignStatus.PAUSED
        campaign.save(update_fields=["status", "updated_at"])
    _campaign_outbox(campaign).update(next_attempt_at=None, updated_at=timezone.now())
    return campaign


# --- the send --------------------------------------------------------------------------


def _quiet(campaign: Campaign, local: dt.datetime) -> bool:
    start, end = campaign.quiet_start, campaign.quiet_end
    if start is None or end is None:
        return False
    t = local.time()
    return start <= t < end if start < end else (t >= start or t < end)


def _after_quiet(campaign: Campaign, local: dt.datetime) -> dt.datetime:
    """`local` itself, or the end of the quiet hours it falls in."""
    if not _quiet(campaign, local):
        return local
    assert campaign.quiet_end is not None
    end = dt.datetime.combine(local.date(), campaign.quiet_end, tzinfo=local.tzinfo)
    return end if end > local else end + dt.timedelta(days=1)


def send_time(campaign: Campaign, start: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """When a recipient in `zone` gets the campaign: the first local send time at or after
    `start` (or `start` itself), moved out of the quiet hours; in UTC."""
    local = start.astimezone(zone)
    if campaign.local_time is not None:
        at = dt.datetime.combine(local.date(), campaign.local_time, tzinfo=zone)
        local = at if at >= local else at + dt.timedelta(days=1)
    return _after_quiet(campaign, local).astimezone(dt.UTC)


class _Throttle:
    """At most `per_minute` messages in any clock minute; a message whose minute is full
    moves to the next one with room (and out of the quiet hours again)."""

    def __init__(self, campaign: Campaign) -> None:
        self.campaign, self.per_minute = campaign, campaign.throttle_per_minute
        self.used: Counter[int] = Counter()

    def place(self, when: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
        if not self.per_minute:
            return when
        minute = int(when.timestamp() // 60)
        while True:
            while self.used[minute] >= self.per_minute:
                minute += 1
            slot = max(when, dt.datetime.fromtimestamp(minute * 60, dt.UTC))
            moved = _after_quiet(self.campaign, slot.astimezone(zone)).astimezone(dt.UTC)
            if moved == slot:
                self.used[minute] += 1
                return slot
            minute = int(moved.timestamp() // 60)
            when = moved


def unsubscribe_token(campaign_id: int, customer_id: int) -> str:
    # A plain signed "campaign.customer" string: one HMAC per recipient, no JSON or zlib.
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{campaign_id}.{customer_id}")


def unsubscribe_url(campaign_id: int, customer_id: int) -> str:
    return f"{settings.PEYVAND_PUBLIC_URL}/u/{unsubscribe_token(campaign_id, customer_id)}"


@dataclass
class _Sender:
    """What every message of one run shares: identity, From header, SMS gateway, zone."""

    campaign: Campaign
    variants: list[CampaignVariant]
    zone: dt.tzinfo
    from_header: dict[str, str]
    gateway_key: str = ""
    sms_sender: str = ""

    @classmethod
    def of(cls, campaign: Campaign) -> _Sender:
        zone = _zone(campaign.time_zone) or dt.UTC
        from_header: dict[str, str] = {}
        identity = campaign.identity
        if identity is not None:
            local, _at, domain = identity.address.rpartition("@")
            for lang in ("en", "fa"):
                name = identity.from_name(lang)
                from_header[lang] = str(Address(display_name=name, username=local, domain=domain))
        variants = list(campaign.variants.order_by("pk"))
        for variant in variants:
            # Rendering reads the campaign's identity: no query per recipient for it.
            variant.campaign = campaign
        sender = cls(campaign, variants, zone, from_header)
        if campaign.channel in (CampaignChannel.SMS, CampaignChannel.PREFERRED):
            config = resolve_gateway(None)
            if config is not None:
                sender.gateway_key, sender.sms_sender = config.key, config.sender_id
        return sender


def _channel_for(campaign: Campaign, customer: Any) -> str:
    """The campaign's channel, or for "preferred" the customer's preferred one if they can
    be reached on it, else the first one they can."""
    if campaign.channel != CampaignChannel.PREFERRED:
        return campaign.channel
    order = [customer.preferred_channel, *selectors.CHANNELS]
    return next(ch for ch in order if ch in selectors.CHANNELS and getattr(customer, f"{ch}_ok"))


def render_for(
    variant: CampaignVariant, customer: Any, *, channel: str, recipient: str, language: str = ""
) -> tuple[str, Rendered]:
    """(language, rendered text) of a variant for one customer: their preferred language
    when the variant has it, tokens filled in (with their fallbacks)."""
    lang = language or pick_language(
        getattr(customer, "preferred_language", "") or "fa", variant.languages()
    )
    context = context_for(customer, recipient=recipient, actor=None)
    subject, body = getattr(variant, f"subject_{lang}"), getattr(variant, f"body_{lang}")
    if channel == CampaignChannel.SMS:
        text = substitute(body, context).strip()
        return lang, Rendered(subject="", text=text, html="")
    identity = variant.campaign.identity
    signature = identity.signature(lang) if identity is not None else ""
    return lang, render(subject, body, context, signature=signature, language=lang)


def _build(
    sender: _Sender,
    customer: Any,
    variant: CampaignVariant,
    *,
    phase: str,
    now: dt.datetime,
    start: dt.datetime,
    throttle: _Throttle,
) -> tuple[Message, CampaignMessage]:
    campaign = sender.campaign
    channel = _channel_for(campaign, customer)
    recipient = getattr(customer, f"{channel}_address")
    lang, rendered = render_for(variant, customer, channel=channel, recipient=recipient)
    zone = _zone(str((customer.custom or {}).get("time_zone", ""))) or sender.zone
    when = throttle.place(send_time(campaign, start, zone), zone)
    if channel == CampaignChannel.EMAIL:
        assert campaign.identity is not None
        meta: dict[str, Any] = {
            "email": {
                "from": sender.from_header[lang],
                "date": formatdate(when.timestamp(), localtime=False),
                "identity": campaign.identity.pk,
                "language": lang,
                "list_unsubscribe": unsubscribe_url(campaign.pk, customer.pk),
            }
        }
        message_id, from_value = new_email_message_id(campaign.identity), sender.from_header[lang]
    else:
        meta = {"sms": count_segments(rendered.text).as_meta(), "gateway": sender.gateway_key}
        message_id, from_value = new_message_id(), sender.sms_sender
    message = Message(
        conversation=campaign.conversation,
        channel=channel,
        direction=Direction.OUTBOUND,
        purpose=MessagePurpose.MARKETING,
        sender=from_value[:320],
        recipient=recipient[:320],
        subject=rendered.subject[:255],
        body=rendered.text,
        message_id=message_id,
        status=MessageStatus.QUEUED,
        next_attempt_at=when,
        meta=meta,
        created_at=now,
        updated_at=now,
    )
    row = CampaignMessage(
        campaign=campaign,
        customer_id=customer.pk,
        variant=variant,
        channel=channel,
        language=lang,
        phase=phase,
        created_at=now,
        scheduled_for=when,
    )
    return message, row


def _still_sending(campaign_id: int) -> bool:
    return Campaign.objects.filter(pk=campaign_id, status=CampaignStatus.SENDING).exists()


def _kick_outbox(channels: set[str]) -> None:
    from peyvand.channels.tasks import send_email_batch, sweep_messages

    if InteractionChannel.EMAIL in channels:
        send_email_batch.enqueue()
    if channels - {InteractionChannel.EMAIL}:
        sweep_messages.enqueue()


def _enqueue(
    sender: _Sender,
    customers: Any,
    arms: Any,
    *,
    phase: str,
    now: dt.datetime,
    start: dt.datetime,
    limit: int | None = None,
) -> int:
    """Write the outbox and campaign rows for `customers` (in pk order), `CHUNK` per
    transaction; `arms(n, start)` gives the variant index of each. Stops early when the
    campaign is paused. Returns how many were queued."""
    campaign, throttle, done, last_pk = sender.campaign, _Throttle(sender.campaign), 0, 0
    while limit is None or done < limit:
        size = CHUNK if limit is None else min(CHUNK, limit - done)
        chunk = list(customers.filter(pk__gt=last_pk)[:size])
        if not chunk or not _still_sending(campaign.pk):
            break
        last_pk = chunk[-1].pk
        choice = arms(len(chunk), campaign.queued_count)
        built = [
            _build(
                sender,
                customer,
                sender.variants[arm],
                phase=phase,
                now=now,
                start=start,
                throttle=throttle,
            )
            for customer, arm in zip(chunk, choice, strict=True)
        ]
        with transaction.atomic():
            messages = Message.objects.bulk_create([m for m, _row in built])
            rows = []
            for message, (_m, row) in zip(messages, built, strict=True):
                row.message = message
                rows.append(row)
            CampaignMessage.objects.bulk_create(rows)
            # The engagement reports and the links' utm_campaign group them by campaign.
            set_campaign_key([m.pk for m in messages], campaign.tracking_key)
            Campaign.objects.filter(pk=campaign.pk).update(
                queued_count=F("queued_count") + len(rows)
            )
            due = {m.channel for m in messages if m.next_attempt_at and m.next_attempt_at <= now}
            if due:
                transaction.on_commit(lambda due=due: _kick_outbox(due))  # type: ignore[misc]
        campaign.queued_count += len(rows)
        done += len(rows)
    return done


def _stats(campaign: Campaign, sender: _Sender) -> list[allocation.ArmStats]:
    rows = {row["variant"].pk: row for row in selectors.variant_stats(campaign)}
    return [
        allocation.ArmStats(
            sent=rows[v.pk]["sent"],
            responses=selectors.responses(rows[v.pk], campaign.winner_metric),
        )
        for v in sender.variants
    ]


def _decide_winner(campaign: Campaign, sender: _Sender, now: dt.datetime) -> None:
    stats = _stats(campaign, sender)
    index = allocation.pick_winner(stats, campaign.winner_min_sent)
    waited = campaign.started_at is not None and now - campaign.started_at >= dt.timedelta(
        hours=campaign.winner_wait_hours
    )
    if index is None and waited:
        index = max(range(len(stats)), key=lambda i: stats[i].rate)
    if index is not None:
        campaign.winner = sender.variants[index]
        Campaign.objects.filter(pk=campaign.pk).update(winner=campaign.winner)


@dataclass
class RunResult:
    queued: int
    status: str


def _start(campaign_id: int, now: dt.datetime) -> Campaign | None:
    """Move a scheduled campaign to sending (once), releasing messages held by a pause."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update(of=("self",))
            .select_related("identity")
            .get(pk=campaign_id)
        )
        if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.SENDING):
            return None
        if campaign.conversation_id is None:
            campaign.conversation = open_conversation(
                channel=InteractionChannel.EMAIL
                if campaign.channel != CampaignChannel.SMS
                else InteractionChannel.SMS,
                subject=campaign.name,
            )
            Conversation.objects.filter(pk=campaign.conversation.pk).update(
                status=ConversationStatus.CLOSED
            )
        if campaign.status == CampaignStatus.SCHEDULED:
            campaign.status = CampaignStatus.SENDING
            campaign.started_at = campaign.started_at or now
        campaign.save(update_fields=["status", "started_at", "conversation", "updated_at"])
        # Back to each message's own time (or now, if that passed while paused), in one
        # statement however many were held.
        scheduled = CampaignMessage.objects.filter(message_id=OuterRef("pk")).values(
            "scheduled_for"
        )[:1]
        _campaign_outbox(campaign).filter(next_attempt_at=None).update(
            next_attempt_at=Greatest(Subquery(scheduled), Value(now)), updated_at=now
        )
    return campaign


def run_campaign(campaign_id: int, *, now: dt.datetime | None = None) -> RunResult:
    """Queue the campaign for whoever is still to get it (see the module docstring). A
    split test queues its test share first and the rest once a winner is known; a bandit
    queues one wave per run. Safe to run again at any time, and after a crash."""
    now = now or timezone.now()
    campaign = _start(campaign_id, now)
    if campaign is None:
        status = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
        return RunResult(0, status or "")
    sender = _Sender.of(campaign)
    start = max(now, campaign.send_after or now)
    pending = selectors.recipients(campaign, now)
    if not campaign.recipient_count:
        campaign.recipient_count = campaign.queued_count + pending.count()
        Campaign.objects.filter(pk=campaign.pk).update(recipient_count=campaign.recipient_count)
    arms_n = len(sender.variants)
    queued = 0
    if campaign.test_mode == TestMode.NONE:
        queued = _enqueue(
            sender,
            pending,
            lambda n, at: allocation.even_split(n, arms_n, at),
            phase=CampaignPhase.MAIN,
            now=now,
            start=start,
        )
    elif campaign.test_mode == TestMode.SPLIT:
        if campaign.winner_id is None:
            target = math.ceil(campaign.recipient_count * campaign.test_percent / 100)
            tested = CampaignMessage.objects.filter(campaign=campaign, phase=CampaignPhase.TEST)
            queued = _enqueue(
                sender,
                pending,
                lambda n, at: allocation.even_split(n, arms_n, at),
                phase=CampaignPhase.TEST,
                now=now,
                start=start,
                limit=max(target - tested.count(), 0),
            )
            _decide_winner(campaign, sender, now)
        if campaign.winner_id is not None:
            winner = [v.pk for v in sender.variants].index(campaign.winner_id)
            queued += _enqueue(
                sender,
                pending,
                lambda n, at: [winner] * n,
                phase=CampaignPhase.REST,
                now=now,
                start=start,
            )
    else:
        rng = np.random.default_rng()
        wave = max(BANDIT_MIN_WAVE, math.ceil(campaign.recipient_count / BANDIT_WAVES))
        stats = _stats(campaign, sender)
        queued = _enqueue(
            sender,
            pending,
            lambda n, at: allocation.thompson(stats, n, rng),
            phase=CampaignPhase.MAIN,
            now=now,
            start=start,
            limit=wave,
        )
    return RunResult(queued, _finish_if_done(campaign, now))


def _finish_if_done(campaign: Campaign, now: dt.datetime) -> str:
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != CampaignStatus.SENDING:
            return locked.status
        if selectors.recipients(locked, now).exists():
            return locked.status
        locked.status, locked.finished_at = CampaignStatus.DONE, now
        locked.save(update_fields=["status", "finished_at", "updated_at"])
    return locked.status


def advance_campaigns(now: dt.datetime | None = None) -> int:
    """The clock's step: run every sending campaign again (the next bandit wave, the rest
    after a test is decided, members who joined the segment since). Returns how many ran."""
    ids = list(Campaign.objects.filter(status=CampaignStatus.SENDING).values_list("pk", flat=True))
    for campaign_id in ids:
        run_campaign(campaign_id, now=now)
    return len(ids)


def record_response(
    campaign_message_id: int, *, kind: str, when: dt.datetime | None = None
) -> bool:
    """A click or conversion on a campaign message (the first one counts); the tracking of
    links and orders calls this. Returns whether it was new."""
    return _first_response(CampaignMessage.objects.filter(pk=campaign_message_id), kind, when)


def _first_response(rows: Any, kind: str, when: dt.datetime | None) -> bool:
    field = {"click": "clicked_at", "conversion": "converted_at"}[kind]
    return bool(rows.filter(**{f"{field}__isnull": True}).update(**{field: when or timezone.now()}))


def on_message_responded(
    sender: Any, *, kind: str, responses: list[tuple[int, dt.datetime]], **kwargs: Any
) -> None:
    """Tracking saw a click on, or an order after, an outbound message: if a campaign sent
    it, its variant is credited (what the A/B winner and the bandit learn from)."""
    for message_id, when in responses:
        _first_response(CampaignMessage.objects.filter(message_id=message_id), kind, when)


# --- preview and test send -------------------------------------------------------------


def preview(
    variant: CampaignVariant, customer: Customer, *, language: str = "", channel: str = ""
) -> tuple[str, Rendered]:
    """The variant as this customer would get it (their address, name, language)."""
    from peyvand.channels.email.services import email_address_of
    from peyvand.channels.sms.services import primary_phone

    campaign = variant.campaign
    channel = channel or (
        campaign.channel
        if campaign.channel != CampaignChannel.PREFERRED
        else (
            customer.preferred_channel
            if customer.preferred_channel in selectors.CHANNELS
            else "email"
        )
    )
    recipient = email_address_of(customer) if channel == "email" else primary_phone(customer)
    if language and language not in variant.languages():
        language = ""
    return render_for(variant, customer, channel=channel, recipient=recipient, language=language)


@transaction.atomic
def test_send(
    variant: CampaignVariant,
    *,
    to: str,
    actor: Any,
    customer: Customer | None = None,
    language: str = "",
) -> Message:
    """Email the variant (as `customer` would get it, or with the fallbacks) to a staff
    address. A service message: it goes to the person testing, not to a customer."""
    campaign = variant.campaign
    to = to.strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": _("Enter a valid email address.")}) from None
    if campaign.identity is None or not campaign.identity.is_active:
        raise ValidationError({"identity": _("Choose an active sending identity for the email.")})
    if language and language not in variant.languages():
        raise ValidationError({"language": _("This variant has no text in that language.")})
    if customer is not None:
        lang, rendered = preview(variant, customer, language=language, channel="email")
    else:
        lang, rendered = render_for(variant, None, channel="email", recipient=to, language=language)
    identity = campaign.identity
    local, _at, domain = identity.address.rpartition("@")
    from_header = str(Address(display_name=identity.from_name(lang), username=local, domain=domain))
    conversation = open_conversation(channel=InteractionChannel.EMAIL, subject=rendered.subject)
    return queue_message(
        conversation,
        actor=actor,
        channel=InteractionChannel.EMAIL,
        body=rendered.text,
        recipient=to,
        subject=_("[Test] %(subject)s") % {"subject": rendered.subject},
        sender=from_header,
        message_id=new_email_message_id(identity),
        meta={"email": {"from": from_header, "language": lang, "identity": identity.pk}},
    )


# --- unsubscribe -------------------------------------------------------------------------


def recipient_for_token(token: str) -> CampaignMessage | None:
    """The campaign message an unsubscribe token was made for; None for a forged one."""
    try:
        value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        return None
    campaign_part, _dot, customer_part = value.partition(".")
    if not (campaign_part.isdigit() and customer_part.isdigit()):
        return None
    campaign_id, customer_id = int(campaign_part), int(customer_part)
    return (
        CampaignMessage.objects.select_related("campaign", "customer")
        .filter(campaign_id=campaign_id, customer_id=customer_id)
        .first()
    )


def one_click_unsubscribe(row: CampaignMessage) -> None:
    """Withdraw the consent the campaign was sent under, on its channel (RFC 8058). The
    outbox checks consent again before each marketing message, so it holds at once."""
    set_consent(
        row.customer,
        actor=None,
        channel=row.channel,
        purpose=row.campaign.purpose,
        status=ConsentStatus.WITHDRAWN,
        source=UNSUBSCRIBE_SOURCE,
    )


def withheld_campaign_messages(messages: Sequence[Message]) -> dict[int, str]:
    """The outbox's last check before sending (registered as its gate): campaign messages
    whose customer withdrew consent, or whose address was suppressed, since they were
    queued."""
    ids = [m.pk for m in messages if m.purpose == MessagePurpose.MARKETING]
    if not ids:
        return {}
    granted = Consent.objects.filter(
        customer=OuterRef("customer_id"),
        channel=OuterRef("channel"),
        purpose=OuterRef("campaign__purpose"),
        status=ConsentStatus.GRANTED,
    )
    rows = CampaignMessage.objects.filter(message_id__in=ids)
    no_consent = set(
        rows.annotate(ok=Exists(granted)).filter(ok=False).values_list("message_id", flat=True)
    )
    held = {pk: _("The customer has withdrawn consent.") for pk in no_consent}
    by_pk = {m.pk: m for m in messages}
    campaign_ids = set(rows.values_list("message_id", flat=True))
    addresses = {
        (by_pk[pk].channel, by_pk[pk].recipient.strip().lower()): pk for pk in campaign_ids
    }
    for channel, address in Suppression.objects.filter(
        address__in=[a for _c, a in addresses]
    ).values_list("channel", "address"):
        pk = addresses.get((channel, address))
        if pk is not None:
            held.setdefault(pk, _("The address is on the suppression list."))
    return held
