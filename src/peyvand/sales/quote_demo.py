"""Demo quotes and contracts for `peyvand demo`: one in each state, and a renewal due soon."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from peyvand.catalog.models import PriceList, Product
from peyvand.catalog.services import create_price_list, set_price
from peyvand.customers.models import Customer
from peyvand.sales.contracts import create_contract, remind_renewals
from peyvand.sales.quotes import accept_quote, create_quote, reject_quote, send_quote

DEMO_PRICE_LIST = "Demo price list 1405"


def load_demo_documents() -> None:
    """Idempotent: the demo price list marks that the documents were loaded."""
    if PriceList.objects.filter(name=DEMO_PRICE_LIST).exists():
        return
    products = list(
        Product.objects.filter(sku__startswith="DEMO-P", unit_price_currency="IRR").order_by("sku")[
            :4
        ]
    )
    customers = list(
        Customer.objects.filter(external_ref__startswith="DEMO-C", owner__isnull=False).order_by(
            "pk"
        )[:4]
    )
    if not products or len(customers) < 4:
        return
    price_list = create_price_list(actor=None, name=DEMO_PRICE_LIST, currency="IRR")
    for product in products:
        set_price(price_list, product, actor=None, price=product.unit_price.amount)
    today = timezone.localdate()
    _draft, sent, accepted, rejected = (
        create_quote(
            actor=None,
            customer=customer,
            price_list=price_list,
            lines=[
                {
                    "product": products[(n + k) % len(products)],
                    "quantity": Decimal(n + 1),
                    "discount_percent": Decimal(5 * k),
                    "tax_percent": Decimal(10),
                }
                for k in range(2)
            ],
        )
        for n, customer in enumerate(customers)
    )
    for quote in (sent, accepted, rejected):
        send_quote(quote, actor=None)
    order = accept_quote(accepted, actor=None)
    reject_quote(rejected, actor=None, reason="Budget moved to next year")
    create_contract(
        actor=None,
        customer=order.customer,
        order=order,
        quote=accepted,
        title="Annual support",
        start_date=today - dt.timedelta(days=330),
        end_date=today + dt.timedelta(days=20),
        value=order.total.amount,
        currency=str(order.total.currency),
        billing_period="monthly",
    )
    remind_renewals(today)
