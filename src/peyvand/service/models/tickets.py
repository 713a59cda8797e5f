"""Tickets and the service levels they are held to: business calendars with holidays,
SLA policies, and per-customer service agreements with entitlements."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.channels.choices import InteractionChannel
from peyvand.core.models import TimeStampedModel
from peyvand.service.choices import OPEN_TICKET_STATUSES, TicketPriority, TicketStatus

TICKET_OBJECT_TYPE = "ticket"


def iranian_week() -> dict[str, list[list[str]]]:
    """Saturday to Wednesday 08:00–16:00, Thursday 08:00–12:00, Friday off (ISO weekday
    numbers as keys: 1 = Monday … 7 = Sunday)."""
    full = [["08:00", "16:00"]]
    return {"6": full, "7": full, "1": full, "2": full, "3": full, "4": [["08:00", "12:00"]]}


class BusinessCalendar(TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Tehran")
    # ISO weekday ("1" Monday … "7" Sunday) → list of ["HH:MM", "HH:MM"] working intervals.
    weekly_hours = models.JSONField(_("working hours"), default=iranian_week)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name (English)"), max_length=120)
    name_fa = models.CharField(_("name (Persian)"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="uniq_holiday_per_day")
        ]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name


class SlaPolicy(TimeStampedModel):
    """Targets in business minutes of the calendar. Applied to a ticket by its agreement,
    else by the first active policy (by position) whose queue and priority match or are
    empty, a policy of the ticket's own queue before one for every queue."""

    name = models.CharField(_("name"), max_length=120)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TicketPriority.choices, null=True, blank=True
    )
    # Empty: tickets of every queue.
    queue = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("queue"),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    warn_before_minutes = models.PositiveIntegerField(_("warn before breach (minutes)"), default=30)
    warn_at_percent = models.PositiveSmallIntegerField(
        _("warn when this share of the target has passed (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Empty: warn the minutes above before the breach."),
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="policies"
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self) -> str:
        return self.name


class ServiceAgreement(TimeStampedModel):
    """A customer's service contract: what is covered, for how long, how many incidents."""

    access_object_type = TICKET_OBJECT_TYPE
    access_owner_path = "customer__owner"
    access_department_path = "customer__department"

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_agreements"
    )
    name = models.CharField(_("name"), max_length=200)
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    products = models.ManyToManyField(
        "catalog.Product", blank=True, related_name="+", verbose_name=_("covered products")
    )
    # Empty: every channel.
    channels = models.JSONField(_("covered channels"), default=list, blank=True)
    incidents_allowed = models.PositiveIntegerField(
        _("incidents included"), null=True, blank=True, help_text=_("Empty: unlimited.")
    )
    incidents_used = models.PositiveIntegerField(_("incidents used"), default=0)
    sla_policy = models.ForeignKey(
        SlaPolicy, on_delete=models.PROTECT, related_name="agreements", verbose_name=_("SLA")
    )

    class Meta:
        ordering = ["-ends_on", "pk"]
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")

    def __str__(self) -> str:
        return self.name

    @property
    def incidents_left(self) -> int | None:
        if self.incidents_allowed is None:
            return None
        return max(0, self.incidents_allowed - self.incidents_used)


class Ticket(TimeStampedModel):
    access_object_type = TICKET_OBJECT_TYPE
    access_owner_path = "assignee"
    access_department_path = "queue"

    # Foreign keys without an index of their own are served by a composite or partial
    # index below: every index is rewritten when the breach scan flags a ticket.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    subject = models.CharField(_("subject"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(
        _("channel"), max_length=16, choices=InteractionChannel.choices, default="portal"
    )
    queue = models.ForeignKey(
        "access.Department",
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("queue"),
    )
    product = models.ForeignKey(
        "catalog.Product",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    category = models.CharField(_("category"), max_length=80, blank=True)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=TicketPriority.choices, default=TicketPriority.NORMAL
    )
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("assigned to"),
        db_index=False,
    )
    agreement = models.ForeignKey(
        ServiceAgreement,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        verbose_name=_("service agreement"),
        db_index=False,
    )
    sla_policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets"
    )
    conversation = models.OneToOneField(
        "comms.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="ticket",
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,
    )
    # A duplicate merged into another ticket: closed, its messages moved there.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged",
        verbose_name=_("merged into"),
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # While waiting on the customer: when the clock stopped and how much business time was
    # left on each target, so the due times move by exactly the paused time.
    paused_at = models.DateTimeField(null=True, blank=True)
    response_left_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_left_seconds = models.PositiveIntegerField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    response_breached = models.BooleanField(_("response target missed"), default=False)
    resolution_breached = models.BooleanField(_("resolution target missed"), default=False)
    csat = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    csat_comment = models.TextField(_("satisfaction comment"), blank=True)
    csat_sent_at = models.DateTimeField(_("survey sent"), null=True, blank=True)
    csat_answered_at = models.DateTimeField(_("survey answered"), null=True, blank=True)

    class Meta:
        ordering = ["resolution_due", "pk"]
        indexes = [
            # The queue page: open tickets of a queue, soonest due first.
            models.Index(
                fields=["queue", "resolution_due", "id"],
                name="ticket_queue_due",
                condition=Q(status__in=OPEN_TICKET_STATUSES),
            ),
            # The breach scan reads only tickets whose clock runs and that have not breached.
            models.Index(
                fields=["resolution_due"],
                name="ticket_resolution_scan",
                condition=Q(status__in=["new", "open"], resolution_breached=False),
            ),
            models.Index(
                fields=["first_response_due"],
                name="ticket_response_scan",
                condition=Q(
                    status__in=["new", "open"],
                    response_breached=False,
                    first_responded_at__isnull=True,
                ),
            ),
            models.Index(fields=["customer", "created_at"]),
            models.Index(fields=["assignee", "status"]),
            # Most tickets have no agreement, product or parent: those rows stay out.
            models.Index(
                fields=["agreement"],
                name="ticket_agreement",
                condition=Q(agreement__isnull=False),
            ),
            models.Index(
                fields=["product"], name="ticket_product", condition=Q(product__isnull=False)
            ),
            models.Index(
                fields=["parent"], name="ticket_parent", condition=Q(parent__isnull=False)
            ),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class Macro(TimeStampedModel):
    """A prepared answer for tickets in one language, with placeholders filled from the
    ticket ({{ customer.name }}, {{ ticket.number }} …), that can also move the ticket:
    applying it sets the status, priority or queue it names and fills the reply box."""

    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("text"), blank=True)
    # Empty: every queue's agents may use it.
    department = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("for the queue"),
    )
    set_status = models.CharField(
        _("set status"), max_length=16, choices=TicketStatus.choices, blank=True
    )
    set_priority = models.PositiveSmallIntegerField(
        _("set priority"), choices=TicketPriority.choices, null=True, blank=True
    )
    set_queue = models.ForeignKey(
        "access.Department",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("move to queue"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["title", "pk"]
        verbose_name = _("macro")
        verbose_name_plural = _("macros")

    def __str__(self) -> str:
        return self.title


class TicketWatcher(models.Model):
    """A colleague who follows a ticket: each public reply and status change lands on their
    desk."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watchers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watched_tickets"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="uniq_ticket_watcher")
        ]
        verbose_name = _("watcher")
        verbose_name_plural = _("watchers")

    def __str__(self) -> str:
        return f"{self.user} → #{self.ticket_id}"
