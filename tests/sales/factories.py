"""Building orders for tests through the real service, so totals and numbers are genuine."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from peyvand.sales.models import Order
from peyvand.sales.services import create_order


def make_order(
    customer: Any,
    *,
    currency: str = "IRR",
    unit_price: str = "1000",
    quantity: str = "1",
    actor: Any = None,
    **kwargs: Any,
) -> Order:
    return create_order(
        actor=actor,
        customer=customer,
        currency=currency,
        lines=[
            {
                "product": None,
                "description": "Consulting",
                "quantity": Decimal(quantity),
                "unit_price": Decimal(unit_price),
            }
        ],
        **kwargs,
    )
