"""Cost to serve: rates, the cost ledger and the per-customer rebuild.

The rebuild is set-based: one grouped query per source (agent time, discounts, ledger), the
agent time priced in SQL by a CASE over the few agents, so it costs the same few queries
for ten customers or a million.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.access.models import Department, User
from peyvand.access.scopes import is_manager
from peyvand.analytics.models import CostEntry, CustomerCost, DepartmentRate
from peyvand.analytics.models.costs import CostKind
from peyvand.audit.services import record
from peyvand.catalog.money import RateBook
from peyvand.channels.models import Interaction
from peyvand.core.dates import day_of
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import OrderLine

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")
BATCH = 5_000


def set_department_rate(department: Department, hourly_rate: Decimal, *, actor: Any) -> None:
    """Set what an hour of this department's agents costs; managers only, audited."""
    if not is_manager(actor):
        raise PermissionDenied(_("Only a manager may set cost rates."))
    if hourly_rate < 0:
        raise ValidationError({"hourly_rate": [_("A rate cannot be negative.")]})
    with transaction.atomic():
        rate = DepartmentRate.objects.select_for_update().filter(department=department).first()
        rate = rate or DepartmentRate(department=department, hourly_rate=Decimal(0))
        with record(rate, actor=actor):
            rate.hourly_rate = hourly_rate
            rate.full_clean()
            rate.save()


def post_cost(
    customer: Any,
    kind: str,
    amount: Decimal,
    currency: str,
    *,
    source: models.Model | None = None,
    occurred_on: dt.date | None = None,
    description: str = "",
) -> CostEntry:
    """Post an amount spent on `customer` to the ledger; posting the same source and kind
    again returns the first entry, so callers may retry."""
    if kind not in CostKind.values:
        raise ValidationError({"kind": [_("Unknown cost kind.")]})
    if amount < 0:
        raise ValidationError({"amount": [_("A cost cannot be negative.")]})
    source_type = ContentType.objects.get_for_model(source) if source is not None else None
    source_id = str(source.pk) if source is not None else ""
    if source is not None:
        existing = CostEntry.objects.filter(
            source_type=source_type, source_id=source_id, kind=kind
        ).first()
        if existing is not None:
            return existing
    entry = CostEntry(
        customer=customer,
        kind=kind,
        amount=amount,
        currency=currency,
        occurred_on=occurred_on or timezone.localdate(),
        description=description,
        source_type=source_type,
        source_id=source_id,
    )
    entry.full_clean()
    entry.save()
    return entry


def _agent_rates() -> dict[int, Decimal]:
    """Each agent's hourly rate: the dearest of their departments' rates."""
    rates: dict[int, Decimal] = {}
    for user_id, rate in User.departments.through.objects.filter(
        department__cost_rate__isnull=False
    ).values_list("user_id", "department__cost_rate__hourly_rate"):
        rates[user_id] = max(rate, rates.get(user_id, Decimal(0)))
    return rates


def _agent_time(since: dt.datetime) -> Iterator[tuple[int, int, Decimal]]:
    """(customer id, agent seconds, cost) for every customer with timed interactions."""
    rates = _agent_rates()
    priced = models.Case(
        *(models.When(agent_id=agent, then=models.Value(rate)) for agent, rate in rates.items()),
        default=models.Value(Decimal(0)),
        output_field=models.DecimalField(max_digits=18, decimal_places=2),
    )
    rows = (
        Interaction.objects.filter(
            deleted_at__isnull=True, occurred_at__gte=since, duration_seconds__gt=0
        )
        .values("customer_id")
        .annotate(
            seconds=models.Sum("duration_seconds"),
            cost=models.Sum(
                models.F("duration_seconds") * priced,
                output_field=models.DecimalField(max_digits=24, decimal_places=4),
            ),
        )
        .values_list("customer_id", "seconds", "cost")
        .order_by()
    )
    for customer_id, seconds, cost in rows.iterator(chunk_size=BATCH):
        yield customer_id, seconds or 0, Decimal(cost or 0) / 3600


def _discounts(since: dt.datetime) -> Iterator[tuple[int, str, dt.date, Decimal]]:
    """(customer id, currency, month, discount given) from the order lines."""
    rows = (
        OrderLine.objects.filter(
            order__ordered_at__gte=since,
            order__deleted_at__isnull=True,
            discount_percent__gt=0,
        )
        .exclude(order__status__in=[OrderStatus.DRAFT, OrderStatus.CANCELLED])
        .annotate(month=TruncMonth("order__ordered_at"))
        .values("order__customer_id", "unit_price_currency", "month")
        .annotate(
            given=models.Sum(
                models.F("quantity") * models.F("unit_price") * models.F("discount_percent"),
                output_field=models.DecimalField(max_digits=30, decimal_places=6),
            )
        )
        .values_list("order__customer_id", "unit_price_currency", "month", "given")
        .order_by()
    )
    for customer_id, currency, month, given in rows.iterator(chunk_size=BATCH):
        yield customer_id, currency, day_of(month), Decimal(given or 0) / 100


def _ledger(since: dt.date) -> Iterator[tuple[int, str, str, dt.date, Decimal]]:
    rows = (
        CostEntry.objects.filter(occurred_on__gte=since)
        .annotate(month=TruncMonth("occurred_on"))
        .values("customer_id", "kind", "currency", "month")
        .annotate(spent=models.Sum("amount"))
        .values_list("customer_id", "kind", "currency", "month", "spent")
        .order_by()
    )
    for customer_id, kind, currency, month, spent in rows.iterator(chunk_size=BATCH):
        yield customer_id, kind, currency, day_of(month), spent


def refresh_costs_to_serve(window_days: int = 365) -> int:
    """Rebuild `CustomerCost` for the last `window_days`; returns how many customers have
    a cost. Amounts in other currencies are converted at the rate of their month."""
    now = timezone.now()
    since = now - dt.timedelta(days=window_days)
    book = RateBook(settings.REPORTING_CURRENCY)
    figures: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "agent_minutes": 0,
            "service": Decimal(0),
            "marketing": Decimal(0),
            "discounts": Decimal(0),
            "retention": Decimal(0),
        }
    )
    for customer_id, seconds, cost in _agent_time(since):
        figures[customer_id]["agent_minutes"] = round(seconds / 60)
        figures[customer_id]["service"] += cost
    for customer_id, currency, month, given in _discounts(since):
        figures[customer_id]["discounts"] += book.convert(given, currency, month) or Decimal(0)
    for customer_id, kind, currency, month, spent in _ledger(since.date()):
        key = kind if kind in {"service", "marketing", "retention"} else "service"
        figures[customer_id][key] += book.convert(spent, currency, month) or Decimal(0)

    rows = []
    for customer_id, values in figures.items():
        parts = {k: (v.quantize(CENT) if isinstance(v, Decimal) else v) for k, v in values.items()}
        total = parts["service"] + parts["marketing"] + parts["discounts"] + parts["retention"]
        rows.append(
            CustomerCost(
                customer_id=customer_id,
                total=total,
                currency=settings.REPORTING_CURRENCY,
                window_days=window_days,
                computed_at=now,
                **parts,
            )
        )
    with transaction.atomic():
        CustomerCost.objects.bulk_create(
            rows,
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=[
                "agent_minutes",
                "service",
                "marketing",
                "discounts",
                "retention",
                "total",
                "currency",
                "window_days",
                "computed_at",
            ],
        )
        # Customers whose costs left the window keep no stale figures.
        CustomerCost.objects.filter(computed_at__lt=now).delete()
    if book.missing:
        logger.warning(
            "Costs to serve: no exchange rate for %s; those amounts are left out.",
            ", ".join(sorted(book.missing)),
        )
    return len(rows)
