"""Calls, meetings and emails with leads and about opportunities.

Planned, an activity is a task on its owner's desk; done, it is an interaction on the
customer's timeline, linked to the opportunity or lead it concerns. A lead that is not a
customer yet keeps its done activities on the lead; converting it carries them to the new
customer's timeline.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.models import User, hash_token
from peyvand.access.scopes import restrict
from peyvand.audit.services import record
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.channels.services import log_interaction
from peyvand.desk.choices import TaskKind
from peyvand.desk.services import complete_task, create_task
from peyvand.sales.access import live_leads, live_opportunities
from peyvand.sales.choices import ActivityKind, ActivityStatus
from peyvand.sales.models import Activity, CalendarFeed, Lead, Opportunity
from peyvand.sales.services import NotFound

CHANNELS = {
    ActivityKind.CALL: InteractionChannel.PHONE,
    ActivityKind.MEETING: InteractionChannel.VISIT,
    ActivityKind.EMAIL: InteractionChannel.EMAIL,
}
TASK_KINDS = {
    ActivityKind.CALL: TaskKind.CALL,
    ActivityKind.MEETING: TaskKind.MEETING,
    ActivityKind.EMAIL: TaskKind.FOLLOW_UP,
}
MAX_NOTES_CHARS = 20_000


def visible_activities(user: Any) -> QuerySet[Activity]:
    """Activities about the leads and opportunities the user may see."""
    return Activity.objects.filter(
        Q(lead__in=restrict(live_leads(), user).values("pk"))
        | Q(opportunity__in=restrict(live_opportunities(), user).values("pk"))
    )


def _check_subject(lead: Lead | None, opportunity: Opportunity | None, actor: Any) -> None:
    if (lead is None) == (opportunity is None):
        raise ValidationError({"__all__": [_("An activity concerns one lead or one opportunity.")]})
    if lead is not None:
        allowed = restrict(live_leads(), actor, "change").filter(pk=lead.pk).exists()
        label = _("Lead not found.")
    else:
        assert opportunity is not None
        allowed = restrict(live_opportunities(), actor, "change").filter(pk=opportunity.pk).exists()
        label = _("Opportunity not found.")
    if not allowed:
        raise NotFound(label, field="lead" if lead is not None else "opportunity", code="not_found")


def _customer_of(activity: Activity) -> Any:
    if activity.opportunity_id is not None:
        return activity.opportunity.customer  # type: ignore[union-attr]
    return activity.lead.converted_customer  # type: ignore[union-attr]


def _build(
    *,
    actor: Any,
    kind: str,
    subject: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    location: str,
    notes: str,
    lead: Lead | None,
    opportunity: Opportunity | None,
    attendees: list[User],
) -> Activity:
    """The unsaved activity, or ValidationError naming every bad field."""
    _check_subject(lead, opportunity, actor)
    errors: dict[str, list[str]] = {}
    if kind not in ActivityKind.values:
        errors["kind"] = [_("Choose a call, a meeting or an email.")]
    subject = (subject or "").strip()
    if not subject:
        errors["subject"] = [_("Give the activity a subject.")]
    if starts_at is None:
        errors["starts_at"] = [_("Say when.")]
    if len(notes or "") > MAX_NOTES_CHARS:
        errors["notes"] = [
            _("The notes are too long (at most %(limit)d characters).") % {"limit": MAX_NOTES_CHARS}
        ]
    if kind == ActivityKind.MEETING:
        if ends_at is None:
            errors["ends_at"] = [_("Say when the meeting ends.")]
        elif starts_at is not None and ends_at <= starts_at:
            errors["ends_at"] = [_("The meeting must end after it starts.")]
        if any(not user.is_active for user in attendees):
            errors["attendees"] = [_("Invite active users only.")]
    else:
        ends_at, location, attendees = None, "", []
    activity = Activity(
        kind=kind,
        subject=subject,
        notes=notes or "",
        # None is reported above; full_clean's own message for it is dropped below.
        starts_at=cast(dt.datetime, starts_at),
        ends_at=ends_at,
        location=(location or "").strip(),
        lead=lead,
        opportunity=opportunity,
        owner=actor if getattr(actor, "pk", None) else None,
    )
    try:
        # The constraints are checked above with messages that name the field.
        activity.full_clean(
            exclude=["lead", "opportunity", "owner", "task", "interaction"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    return activity


def _save(activity: Activity, attendees: list[User], *, actor: Any) -> None:
    with record(activity, actor=actor):
        activity.save()
    if attendees:
        activity.attendees.set(attendees)


@transaction.atomic
def plan_activity(
    *,
    actor: Any,
    kind: str,
    subject: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    location: str = "",
    notes: str = "",
    lead: Lead | None = None,
    opportunity: Opportunity | None = None,
    attendees: list[User] | tuple[User, ...] = (),
) -> Activity:
    """A call, meeting or email to come, put on the actor's desk as a task due then."""
    attendees = list(attendees)
    activity = _build(
        actor=actor,
        kind=kind,
        subject=subject,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        notes=notes,
        lead=lead,
        opportunity=opportunity,
        attendees=attendees,
    )
    activity.task = create_task(
        actor=actor,
        title=activity.subject,
        description=activity.notes,
        kind=TASK_KINDS[ActivityKind(kind)],
        due_at=activity.starts_at,
        customer=_customer_of(activity),
    )
    _save(activity, attendees if kind == ActivityKind.MEETING else [], actor=actor)
    return activity


def _to_timeline(activity: Activity, *, actor: Any, direction: str) -> None:
    """The done activity as an interaction on its customer's timeline, if there is one yet."""
    customer = _customer_of(activity)
    if customer is None or activity.interaction_id is not None:
        return
    duration = (
        int((activity.ends_at - activity.starts_at).total_seconds())
        if activity.ends_at is not None
        else None
    )
    interaction = log_interaction(
        actor=actor,
        customer=customer,
        channel=CHANNELS[ActivityKind(activity.kind)],
        direction=direction,
        subject=activity.subject,
        body=activity.notes,
        occurred_at=activity.starts_at,
        agent=activity.owner,
        related=activity.opportunity or activity.lead,
        duration_seconds=duration,
    )
    with record(activity, actor=actor):
        activity.interaction = interaction
        activity.save(update_fields=["interaction", "updated_at"])


@transaction.atomic
def log_activity(
    *,
    actor: Any,
    kind: str,
    subject: str,
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None = None,
    location: str = "",
    notes: str = "",
    lead: Lead | None = None,
    opportunity: Opportunity | None = None,
    attendees: list[User] | tuple[User, ...] = (),
    direction: str = Direction.OUTBOUND,
) -> Activity:
    """A call, meeting or email that took place: straight onto the timeline."""
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("Choose inbound or outbound.")]})
    attendees = list(attendees)
    activity = _build(
        actor=actor,
        kind=kind,
        subject=subject,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        notes=notes,
        lead=lead,
        opportunity=opportunity,
        attendees=attendees,
    )
    if activity.starts_at is not None and activity.starts_at > timezone.now():
        raise ValidationError({"starts_at": [_("A logged activity cannot be in the future.")]})
    activity.status = ActivityStatus.DONE
    activity.done_at = timezone.now()
    _save(activity, attendees if kind == ActivityKind.MEETING else [], actor=actor)
    _to_timeline(activity, actor=actor, direction=direction)
    return activity


@transaction.atomic
def complete_activity(
    activity: Activity, *, actor: Any, notes: str = "", direction: str = Direction.OUTBOUND
) -> Activity:
    """The planned activity happened: its task is done and it joins the timeline.
    Completing a done activity changes nothing."""
    _check_subject(activity.lead, activity.opportunity, actor)
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != ActivityStatus.PLANNED:
        return activity
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("Choose inbound or outbound.")]})
    notes = (notes or "").strip()
    if len(activity.notes) + len(notes) > MAX_NOTES_CHARS:
        raise ValidationError({"notes": [_("The notes are too long.")]})
    with record(activity, actor=actor):
        activity.status = ActivityStatus.DONE
        activity.done_at = timezone.now()
        if notes:
            activity.notes = f"{activity.notes}\n\n{notes}".strip()
        activity.sequence += 1
        activity.save()
    if activity.task is not None:
        complete_task(activity.task, actor=actor)
    _to_timeline(activity, actor=actor, direction=direction)
    return activity


def carry_lead_activities(lead: Lead, *, actor: Any) -> None:
    """After conversion: the lead's done activities join the new customer's timeline."""
    for activity in lead.activities.filter(
        status=ActivityStatus.DONE, interaction__isnull=True
    ).select_related("lead__converted_customer", "owner"):
        _to_timeline(activity, actor=actor, direction=Direction.OUTBOUND)


def meetings_for(user: Any) -> QuerySet[Activity]:
    """The user's meetings (organised or attended) about deals and leads they may see."""
    return (
        visible_activities(user)
        .filter(kind=ActivityKind.MEETING)
        .filter(Q(owner=user) | Q(attendees=user))
        .distinct()
        .select_related("owner", "lead", "opportunity__customer")
        .prefetch_related("attendees")
        .order_by("starts_at", "pk")
    )


@transaction.atomic
def issue_calendar_feed(user: User) -> str:
    """A new secret feed token for the user (the old URL stops working); returned once."""
    raw = secrets.token_urlsafe(32)
    CalendarFeed.objects.filter(user=user).delete()
    CalendarFeed.objects.create(user=user, key_hash=hash_token(raw))
    return raw


def revoke_calendar_feed(user: User) -> bool:
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_user(raw: str) -> User | None:
    """The active user behind a feed token, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(key_hash=hash_token(raw or ""), user__is_active=True)
        .first()
    )
    if feed is None:
        return None
    now = timezone.now()
    # A calendar client polls every few minutes; one write an hour is enough to show use.
    if feed.last_used_at is None or now - feed.last_used_at > dt.timedelta(hours=1):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    return feed.user


# Demo data: (name, Persian name) of competitors, and (outcome, name, Persian name) of reasons.
DEMO_COMPETITORS = [("Zarin Trading", "بازرگانی زرین"), ("Golestan Foods", "صنایع غذایی گلستان")]
DEMO_REASONS = [
    ("won", "Best price", "بهترین قیمت"),
    ("won", "Product fit", "تناسب محصول با نیاز"),
    ("lost", "Price too high", "قیمت بالا"),
    ("lost", "Chose a competitor", "انتخاب رقیب"),
    ("lost", "No budget", "نبود بودجه"),
]


def load_demo_activities() -> None:
    """Competitors, won/lost reasons, and a deal per demo sales rep with a planned meeting
    and a logged call; running it again adds nothing."""
    from peyvand.customers.models import Customer
    from peyvand.sales.models import CloseReason, Competitor
    from peyvand.sales.opportunities import create_opportunity

    for name, name_fa in DEMO_COMPETITORS:
        Competitor.objects.get_or_create(name=name, defaults={"name_fa": name_fa})
    for position, (outcome, name, name_fa) in enumerate(DEMO_REASONS):
        CloseReason.objects.get_or_create(
            outcome=outcome, name=name, defaults={"name_fa": name_fa, "position": position}
        )
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for username, title in (("sales1", "قرارداد تأمین سالانه"), ("sales2", "Annual supply deal")):
        user = User.objects.filter(username=username).first()
        customer = (
            Customer.objects.filter(owner=user, deleted_at__isnull=True).order_by("pk").first()
        )
        if user is None or customer is None or Opportunity.objects.filter(title=title).exists():
            continue
        deal = create_opportunity(
            actor=user,
            customer=customer,
            title=title,
            amount=1_500_000_000 if customer.currency == "IRR" else 25_000,
            competitors=list(Competitor.objects.all()[:1]),
        )
        log_activity(
            actor=user,
            kind=ActivityKind.CALL,
            subject="تماس آشنایی" if username == "sales1" else "Intro call",
            starts_at=now - dt.timedelta(days=2),
            opportunity=deal,
        )
        # Ten in the morning, company time, three days from now.
        start = timezone.localtime(now + dt.timedelta(days=3)).replace(hour=10)
        plan_activity(
            actor=user,
            kind=ActivityKind.MEETING,
            subject="جلسهٔ ارائهٔ محصول" if username == "sales1" else "Product demo",
            starts_at=start,
            ends_at=start + dt.timedelta(hours=1),
            location="دفتر مرکزی، تهران" if username == "sales1" else "Head office, Tehran",
            opportunity=deal,
            attendees=[user],
        )
