"""The portal's product-updates page lists the customer's own products first (ordered, or
covered by a running agreement), the others after; the staff menu links the release-notes
screen for those with product rights only."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.choices import OrderStatus
from peyvand.sales.services import create_order
from peyvand.service.models import BusinessCalendar, ServiceAgreement, SlaPolicy
from tests.sales.quote_factories import make_price_list

pytestmark = pytest.mark.django_db


def _order(customer: Any, product: Any, status: str = OrderStatus.CONFIRMED) -> None:
    create_order(
        actor=None,
        customer=customer,
        currency="IRR",
        status=status,
        lines=[
            {
                "product": product,
                "description": product.name,
                "quantity": Decimal(1),
                "unit_price": Decimal(1000),
            }
        ],
    )


def _listed(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><bdi>([^<]+)</bdi>', html)


def test_my_products_come_first_then_the_others(alice: Any, bob: Any, portal_client: Any) -> None:
    ensure_currencies()
    _list, products = make_price_list(
        prices={"AAA-1": "10", "BBB-1": "10", "CCC-1": "10", "DDD-1": "10", "EEE-1": "10"}
    )
    names = {sku: product.name for sku, product in products.items()}
    _order(alice, products["DDD-1"])
    _order(alice, products["BBB-1"], status=OrderStatus.DRAFT)  # not bought yet
    _order(bob, products["AAA-1"])  # someone else's
    policy = SlaPolicy.objects.create(
        name="Gold",
        first_response_minutes=60,
        resolution_minutes=480,
        calendar=BusinessCalendar.objects.create(name="Office"),
    )
    running = ServiceAgreement.objects.create(
        customer=alice, name="Gold", starts_on="2026-01-01", ends_on="2099-01-01", sla_policy=policy
    )
    running.products.add(products["EEE-1"])
    ended = ServiceAgreement.objects.create(
        customer=alice, name="Old", starts_on="2020-01-01", ends_on="2021-01-01", sla_policy=policy
    )
    ended.products.add(products["CCC-1"])
    html = portal_client(alice).get("/portal/updates/").content.decode()
    listed = _listed(html)
    mine = [names["DDD-1"], names["EEE-1"]]
    others = sorted(names[s] for s in ("AAA-1", "BBB-1", "CCC-1"))
    assert listed == sorted(mine) + others
    assert html.count('class="badge"') == 2
    # Bob's own product is AAA-1, first for him.
    assert _listed(portal_client(bob).get("/portal/updates/").content.decode())[0] == names["AAA-1"]


def test_the_staff_menu_links_release_notes_for_product_rights_only(
    client_for: Any, manager: Any, service1: Any, sales1: Any
) -> None:
    link = 'href="/portal/staff/release-notes/"'
    assert link in client_for(manager).get("/customers/").content.decode()
    for user in (service1, sales1):
        assert link not in client_for(user).get("/customers/").content.decode()
