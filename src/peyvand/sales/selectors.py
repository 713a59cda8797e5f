"""Read side of sales: totals and balances, always in the order's own currency."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Sum
from djmoney.money import Money

from peyvand.customers.models import Customer
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order
from peyvand.sales.services import paid_amount


def order_totals_by_currency(customer: Customer | int) -> dict[str, Money]:
    """What the customer has ordered (cancelled and deleted orders excluded), per currency,
    ordered by currency code. Amounts in different currencies are never added together."""
    rows = (
        Order.objects.filter(customer=customer, deleted_at__isnull=True)
        .exclude(status=OrderStatus.CANCELLED)
        .values("total_currency")
        .annotate(sum=Sum("total"))
        .order_by("total_currency")
    )
    return {row["total_currency"]: Money(row["sum"], row["total_currency"]) for row in rows}


def balance(order: Order) -> Money:
    """What is still owed on the order (zero for a cancelled one)."""
    code = str(order.total.currency)
    if order.status == OrderStatus.CANCELLED:
        return Money(Decimal(0), code)
    paid = getattr(order, "paid_total", None)
    if paid is None:
        paid = paid_amount(order)
    return Money(order.total.amount - paid, code)


def with_paid_totals(orders: Any) -> Any:
    """Annotate `paid_total` so listing balances costs no query per row."""
    return orders.annotate(paid_total=Sum("payments__amount", default=Decimal(0)))
