"""Factories for catalog rows (the shared tests/factories.py covers customers and desks)."""

from __future__ import annotations

from decimal import Decimal

import factory
from djmoney.money import Money

from peyvand.catalog.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    name_fa = factory.Sequence(lambda n: f"کالای {n}")
    unit_price = Money(Decimal("1000000"), "IRR")
