"""A small company whose history the churn model and the recommender can learn from:
loyal customers who kept ordering, churners who stopped a year ago, and two groups of
buyers with different tastes. Orders go through the real order service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

from peyvand.catalog.models import Product
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.customers.models import Customer
from peyvand.sales.models import Order
from peyvand.sales.services import create_order
from tests.catalog.factories import ProductFactory
from tests.factories import CustomerFactory, InteractionFactory

HORIZON = 90


@dataclass
class Company:
    now: dt.datetime
    loyal: list[Customer] = field(default_factory=list)
    churners: list[Customer] = field(default_factory=list)
    products: dict[str, Product] = field(default_factory=dict)


def buy(customer: Customer, products: list[Product], at: dt.datetime) -> Order:
    return create_order(
        actor=None,
        customer=customer,
        currency="IRR",
        ordered_at=at,
        lines=[
            {
                "product": product,
                "description": product.name,
                "quantity": Decimal(1),
                "unit_price": Decimal(1000),
            }
            for product in products
        ],
    )


def build_company(
    owners: list[Any], *, creator: Any, other_creator: Any, size: int = 14
) -> Company:
    """`size` loyal customers and `size` churners, owned in turn by `owners`. Products A1–A4
    (bought together by one group) and B1–B3 (the other) are created by `creator`; AX, which
    the first group also buys, by `other_creator`."""
    now = timezone.now()
    cutoff = now - dt.timedelta(days=HORIZON)
    company = Company(now)
    for code in ("A1", "A2", "A3", "A4", "B1", "B2", "B3"):
        company.products[code] = ProductFactory(
            sku=code, name=f"Product {code}", created_by=creator
        )
    company.products["AX"] = ProductFactory(sku="AX", name="Product AX", created_by=other_creator)
    group_a = [company.products[c] for c in ("A1", "A2", "AX", "A3", "A4")]
    group_b = [company.products[c] for c in ("B1", "B2", "B3")]
    for i in range(size):
        owner = owners[i % len(owners)]
        loyal = CustomerFactory(
            display_name=f"Loyal {i}", owner=owner, custom={"plan": "yearly", "seats": 5 + i % 3}
        )
        taste = group_a if i % 2 == 0 else group_b
        buy(loyal, taste[: 2 + i % 2], cutoff - dt.timedelta(days=120 + i))
        buy(loyal, taste[1:3], cutoff - dt.timedelta(days=15 + i))
        buy(loyal, taste[:1], now - dt.timedelta(days=20 + i))
        InteractionFactory(
            customer=loyal,
            channel=InteractionChannel.EMAIL,
            direction=Direction.OUTBOUND,
            occurred_at=cutoff - dt.timedelta(days=10),
        )
        company.loyal.append(loyal)
        churner = CustomerFactory(
            display_name=f"Leaving {i}", owner=owner, custom={"plan": "monthly", "seats": 1}
        )
        buy(churner, taste[:2], cutoff - dt.timedelta(days=300 + i))
        buy(churner, taste[2:5], cutoff - dt.timedelta(days=200 + i))
        InteractionFactory(
            customer=churner,
            channel=InteractionChannel.PHONE,
            direction=Direction.INBOUND,
            occurred_at=cutoff - dt.timedelta(days=5),
        )
        company.churners.append(churner)
    return company
