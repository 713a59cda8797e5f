"""Two redemptions at the same moment cannot spend the same points (row lock on the account)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections

from peyvand.core.problems import ServiceError
from peyvand.marketing.loyalty import services
from peyvand.marketing.loyalty.choices import EntryKind
from peyvand.marketing.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme
from tests.sales.factories import make_order


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent writers need a server database"
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_redemptions_cannot_overspend(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    reward = services.add_reward(
        programme, actor=None, name="10k off", kind="discount", cost=60, discount=Decimal(10000)
    )
    services.adjust_points(customer1, 100, reason="welcome", actor=None)
    orders = [make_order(customer1, unit_price="50000") for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem(order: Any) -> None:
        try:
            barrier.wait()
            services.redeem_reward(customer1, reward.pk, actor=None, order=order)
            outcomes.append("ok")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=redeem, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["insufficient", "ok"]
    account = LoyaltyAccount.objects.get(customer=customer1)
    assert account.balance == 40
    assert LoyaltyEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    totals = sorted(o.__class__.objects.get(pk=o.pk).total.amount for o in orders)
    assert totals == [Decimal(40000), Decimal(50000)]  # one discount line, on one order
