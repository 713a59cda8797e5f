from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from djmoney.money import Money

from peyvand.core.templatetags.peyvand import amount


def test_rial_amounts_are_grouped_in_both_languages() -> None:
    with translation.override("en"):
        assert amount(Money(Decimal("90000000"), "IRR")) == "90,000,000 IRR"
    with translation.override("fa"):
        assert amount(Money(Decimal("90000000"), "IRR")) == "۹۰٬۰۰۰٬۰۰۰ IRR"
        assert amount(Money(Decimal("1234.5"), "USD")) == "۱٬۲۳۴٫۵۰ USD"


def test_import_link_only_for_people_who_may_import_or_export(client_for, service1, sales1) -> None:
    assert "/imports/" not in client_for(service1).get("/").content.decode()
    assert "/imports/" in client_for(sales1).get("/").content.decode()
