"""Read side of the service reports: the breach report and the service analytics page.

Every figure is computed over `tickets`, a queryset already limited to what the viewer may
see (and to the chosen queue), and a `Period` of whole local days. A metric of the
analytics page is one function registered with `@metric`: it gets the tickets opened in
the period (and the period itself) and answers one number; the page shows it in the summary
and per queue.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Avg, Case, Count, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from peyvand.catalog.money import RateBook
from peyvand.channels.choices import InteractionChannel
from peyvand.service.choices import TicketStatus
from peyvand.service.models import ArticleDeflection, ServiceOrder, Ticket

# At most this many points on the backlog line: longer periods are sampled.
BACKLOG_POINTS = 60
TOP_CATEGORIES = 10


@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time.min, tzinfo=timezone.get_current_timezone())

    @property
    def until(self) -> dt.datetime:
        """The start of the day after the last one (exclusive end)."""
        return dt.datetime.combine(
            self.last + dt.timedelta(days=1), dt.time.min, tzinfo=timezone.get_current_timezone()
        )

    def days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += dt.timedelta(days=1)


def last_days(days: int = 30, *, today: dt.date | None = None) -> Period:
    today = today or timezone.localdate()
    return Period(today - dt.timedelta(days=days - 1), today)


# ---------------------------------------------------------------------------------------
# Breach report: one row per missed target (first response or resolution), dated when it
# was missed (the target's due time).

RESPONSE, RESOLUTION = "response", "resolution"


def _queue_name_field() -> Any:
    """The queue's name in the reader's language (the English one when not translated)."""
    if (get_language() or "").startswith("fa"):
        return Coalesce(NullIf("queue__name_fa", Value("")), "queue__name")
    return F("queue__name")


def breached_tickets(tickets: QuerySet[Ticket], period: Period) -> QuerySet[Ticket]:
    """Tickets with a target missed within the period."""
    return tickets.filter(
        Q(
            response_breached=True,
            first_response_due__gte=period.since,
            first_response_due__lt=period.until,
        )
        | Q(
            resolution_breached=True,
            resolution_due__gte=period.since,
            resolution_due__lt=period.until,
        )
    )


def _missed(target: str, period: Period) -> Q:
    due = "first_response_due" if target == RESPONSE else "resolution_due"
    return Q(
        **{
            f"{target}_breached": True,
            f"{due}__gte": period.since,
            f"{due}__lt": period.until,
        }
    )


@dataclass
class BreachGroup:
    key: Any
    label: str
    response: int
    resolution: int

    @property
    def total(self) -> int:
        return self.response + self.resolution


def breaches_by(tickets: QuerySet[Ticket], period: Period, by: str) -> list[BreachGroup]:
    """Missed targets counted per `by`: "day", "queue", "assignee" or "sla_policy"; one query."""
    counts = {
        "response": Count("pk", filter=_missed(RESPONSE, period)),
        "resolution": Count("pk", filter=_missed(RESOLUTION, period)),
    }
    rows = breached_tickets(tickets, period).order_by()
    if by == "day":
        # A ticket counts on the day its resolution target fell due, or its response one.
        day = TruncDate(
            Case(
                When(_missed(RESOLUTION, period), then=F("resolution_due")),
                default=F("first_response_due"),
            )
        )
        grouped: Any = rows.annotate(day=day).values("day").annotate(**counts).order_by("day")
        found = {row["day"]: (row["response"], row["resolution"]) for row in grouped}
        return [BreachGroup(day, day.isoformat(), *found.get(day, (0, 0))) for day in period.days()]
    names = {
        "queue": ("queue_id", _queue_name_field()),
        "assignee": ("assignee_id", F("assignee__username")),
        "sla_policy": ("sla_policy_id", F("sla_policy__name")),
    }
    key, name = names[by]
    per_key: Any = rows.values(key, label=name).annotate(**counts).order_by("label", key)
    out = [
        BreachGroup(row[key], row["label"] or "", row["response"], row["resolution"])
        for row in per_key
    ]
    return sorted(out, key=lambda group: -group.total)


def breach_rows(tickets: QuerySet[Ticket], period: Period) -> Iterator[dict[str, Any]]:
    """Every missed target of the period, oldest first, for the CSV export."""
    qs = (
        breached_tickets(tickets, period)
        .select_related("customer", "queue", "assignee", "sla_policy")
        .order_by("pk")
    )
    for ticket in qs.iterator(chunk_size=2000):
        for target, due, breached in (
            (RESPONSE, ticket.first_response_due, ticket.response_breached),
            (RESOLUTION, ticket.resolution_due, ticket.resolution_breached),
        ):
            if breached and due is not None and period.since <= due < period.until:
                yield {"ticket": ticket, "target": target, "due": due}


# ---------------------------------------------------------------------------------------
# Service analytics: metrics, each one function of the period's tickets.


@dataclass(frozen=True)
class Metric:
    key: str
    label: Any
    unit: str  # "count", "hours", "percent", "score" or "money" (the reporting currency)
    compute: Callable[[QuerySet[Ticket], Period], float | None]
    # False: the figure has no queue of its own (deflections happen before any ticket), so
    # the per-queue table shows none.
    per_queue: bool = True


METRICS: list[Metric] = []


def metric(key: str, label: Any, unit: str, *, per_queue: bool = True) -> Callable[..., Any]:
    def register(fn: Callable[[QuerySet[Ticket], Period], float | None]) -> Any:
        METRICS.append(Metric(key, label, unit, fn, per_queue))
        return fn

    return register


def opened_in(tickets: QuerySet[Ticket], period: Period) -> QuerySet[Ticket]:
    return tickets.filter(created_at__gte=period.since, created_at__lt=period.until)


def _hours(tickets: QuerySet[Ticket], end: str) -> list[float]:
    pairs = tickets.filter(**{f"{end}__isnull": False}).values_list("created_at", end)
    return [(stop - start).total_seconds() / 3600 for start, stop in pairs.iterator()]


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    # Nearest rank: the smallest value at or above `share` of them.
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@metric("opened", _("Tickets opened"), "count")
def tickets_opened(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    return tickets.count()


@metric("first_response_median", _("First response, median"), "hours")
def first_response_median(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    values = _hours(tickets, "first_responded_at")
    return statistics.median(values) if values else None


@metric("first_response_p90", _("First response, 90th percentile"), "hours")
def first_response_p90(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    return _percentile(_hours(tickets, "first_responded_at"), 0.9)


@metric("resolution_median", _("Resolution, median"), "hours")
def resolution_median(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    values = _hours(tickets, "resolved_at")
    return statistics.median(values) if values else None


@metric("resolution_p90", _("Resolution, 90th percentile"), "hours")
def resolution_p90(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    return _percentile(_hours(tickets, "resolved_at"), 0.9)


@metric("sla_attainment", _("SLA attainment"), "percent")
def sla_attainment(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    """Of the tickets under an SLA whose targets are settled (solved, or missed), the share
    that missed none."""
    settled = tickets.filter(sla_policy__isnull=False).filter(
        Q(resolved_at__isnull=False) | Q(response_breached=True) | Q(resolution_breached=True)
    )
    counts = settled.aggregate(
        total=Count("pk"),
        met=Count("pk", filter=Q(response_breached=False, resolution_breached=False)),
    )
    return 100 * counts["met"] / counts["total"] if counts["total"] else None


@metric("csat_average", _("Satisfaction, average (1–5)"), "score")
def csat_average(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    result = tickets.aggregate(score=Avg("csat"))["score"]
    return float(result) if result is not None else None


@metric("csat_response_rate", _("Survey response rate"), "percent")
def csat_response_rate(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    """Of the tickets whose customer was sent the survey, the share that answered it."""
    counts = tickets.aggregate(
        sent=Count("pk", filter=Q(csat_sent_at__isnull=False)),
        answered=Count("pk", filter=Q(csat_sent_at__isnull=False, csat__isnull=False)),
    )
    return 100 * counts["answered"] / counts["sent"] if counts["sent"] else None


@metric("deflection_rate", _("Tickets avoided by the help centre"), "percent", per_queue=False)
def deflection_rate(tickets: QuerySet[Ticket], period: Period) -> float | None:
    """Deflections ÷ (deflections + tickets customers opened on the portal), both in the
    period: of the customers who started a ticket on the portal, the share an article
    answered."""
    deflections = ArticleDeflection.objects.filter(
        created_at__gte=period.since, created_at__lt=period.until
    ).count()
    portal = tickets.filter(channel=InteractionChannel.PORTAL).count()
    started = deflections + portal
    return 100 * deflections / started if started else None


@metric("cost_per_ticket", _("Service-order cost per ticket"), "money")
def cost_per_ticket(tickets: QuerySet[Ticket], _period: Period) -> float | None:
    """The costs of the service orders of these tickets, in the reporting currency at each
    order's creation-day rate, divided by the number of tickets. An order whose currency
    has no rate is left out rather than guessed."""
    count = tickets.count()
    if not count:
        return None
    book = RateBook(settings.REPORTING_CURRENCY)
    total = Decimal(0)
    costs: Any = ServiceOrder.objects.filter(ticket__in=tickets.values("pk")).values_list(
        "total_cost", "total_cost_currency", "created_at"
    )
    # values_list gives the money field's bare amount (a Decimal) beside its currency.
    for cost, currency, created_at in costs.iterator():
        converted = book.convert(cost, currency, timezone.localdate(created_at))
        total += converted or 0
    return float(total / count)


def summary(tickets: QuerySet[Ticket], period: Period) -> list[tuple[Metric, float | None]]:
    opened = opened_in(tickets, period)
    return [(m, m.compute(opened, period)) for m in METRICS]


def per_queue(
    tickets: QuerySet[Ticket], period: Period
) -> list[tuple[str, list[tuple[Metric, float | None]]]]:
    """Every metric for each queue with tickets opened in the period."""
    opened = opened_in(tickets, period)
    queues = (
        opened.order_by()
        .values_list("queue_id", _queue_name_field())
        .distinct()
        .order_by(_queue_name_field())
    )
    return [
        (
            name,
            [
                (m, m.compute(opened.filter(queue_id=queue_id), period) if m.per_queue else None)
                for m in METRICS
            ],
        )
        for queue_id, name in queues
    ]


def csat_distribution(tickets: QuerySet[Ticket], period: Period) -> list[tuple[int, int]]:
    """How many answered surveys gave each score, 1 to 5, in one query."""
    counts = dict(
        opened_in(tickets, period)
        .filter(csat__isnull=False)
        .order_by()
        .values_list("csat")
        .annotate(n=Count("pk"))
    )
    return [(score, counts.get(score, 0)) for score in range(1, 6)]


def backlog(tickets: QuerySet[Ticket], period: Period) -> list[tuple[dt.date, int]]:
    """Tickets open at the end of each day (sampled to `BACKLOG_POINTS`), in one query. A
    ticket leaves the backlog when solved, or when closed without being solved."""
    days = list(period.days())
    step = max(1, math.ceil(len(days) / BACKLOG_POINTS))
    sampled = days[::step]
    if sampled[-1] != days[-1]:
        sampled.append(days[-1])
    tz = timezone.get_current_timezone()
    left = Coalesce("resolved_at", Case(When(status=TicketStatus.CLOSED, then=F("updated_at"))))
    qs = tickets.order_by().annotate(left_at=left).filter(created_at__lt=period.until)
    ends = [dt.datetime.combine(d + dt.timedelta(days=1), dt.time.min, tzinfo=tz) for d in sampled]
    counts = qs.aggregate(
        **{
            f"d{i}": Count(
                "pk",
                filter=Q(created_at__lt=end) & (Q(left_at__isnull=True) | Q(left_at__gte=end)),
            )
            for i, end in enumerate(ends)
        }
    )
    return [(day, counts[f"d{i}"]) for i, day in enumerate(sampled)]


def top_categories(tickets: QuerySet[Ticket], period: Period) -> list[tuple[str, int]]:
    rows = (
        opened_in(tickets, period)
        .order_by()
        .values("category")
        .annotate(n=Count("pk"))
        .order_by("-n", "category")[:TOP_CATEGORIES]
    )
    return [(row["category"], row["n"]) for row in rows]
