"""Price lists, quotes and contracts for tests, built through the real services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from peyvand.catalog.models import PriceList, Product
from peyvand.catalog.services import create_price_list, create_product, set_price
from peyvand.sales.contracts import create_contract
from peyvand.sales.models import Contract, Quote
from peyvand.sales.quotes import create_quote


def make_price_list(
    currency: str = "IRR", *, name: str | None = None, prices: dict[str, str] | None = None
) -> tuple[PriceList, dict[str, Product]]:
    """A price list with products by SKU (default: two IRR products)."""
    prices = prices or {"ERP-1": "1500000", "SUP-1": "333333"}
    price_list = create_price_list(
        actor=None,
        name=name or f"List {currency} {PriceList.objects.count() + 1}",
        currency=currency,
    )
    products = {}
    for sku, price in prices.items():
        product = Product.objects.filter(sku=sku).first() or create_product(
            actor=None, sku=sku, name=f"Product {sku}", unit_price=Decimal(price), currency=currency
        )
        set_price(price_list, product, actor=None, price=Decimal(price))
        products[sku] = product
    return price_list, products


def make_quote(
    customer: Any,
    *,
    actor: Any = None,
    price_list: PriceList | None = None,
    lines: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> Quote:
    if price_list is None:
        price_list, products = make_price_list()
        product = next(iter(products.values()))
    else:
        product = price_list.items.first().product  # type: ignore[union-attr]
    return create_quote(
        actor=actor,
        customer=customer,
        price_list=price_list,
        lines=lines or [{"product": product, "quantity": "2", "tax_percent": "9"}],
        **kwargs,
    )


def make_contract(customer: Any, *, actor: Any = None, days: int = 365, **kwargs: Any) -> Contract:
    start = kwargs.pop("start_date", timezone.localdate())
    values: dict[str, Any] = {
        "title": "Support subscription",
        "start_date": start,
        "end_date": start + dt.timedelta(days=days - 1),
        "value": Decimal("12000000"),
        "currency": "IRR",
    }
    values.update(kwargs)
    return create_contract(actor=actor, customer=customer, **values)
