"""A loyalty programme in IRR (one point per 1,000 rials), its tiers and rewards, and two
customers of different sales reps."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.customers.models import Customer
from peyvand.marketing.loyalty import services
from peyvand.marketing.models import LoyaltyProgramme, LoyaltyReward
from tests.api.conftest import api_client  # noqa: F401 (fixture)
from tests.factories import CustomerFactory
from tests.portal.conftest import portal_client  # noqa: F401 (fixture)


@pytest.fixture
def programme(db: Any) -> LoyaltyProgramme:
    ensure_currencies()
    return services.save_programme(
        None,
        actor=None,
        name="Peyvand Club",
        currency="IRR",
        points_per_unit=Decimal("0.001"),
        expiry_months=12,
    )


@pytest.fixture
def voucher(programme: LoyaltyProgramme) -> LoyaltyReward:
    """50 points buy 20,000 rials off an order."""
    return services.add_reward(
        programme, actor=None, name="20k off", kind="discount", cost=50, discount=Decimal(20000)
    )


@pytest.fixture
def customer1(personas: dict[str, Any]) -> Customer:
    return CustomerFactory(
        display_name="Ali Rezaei",
        owner=personas["sales1"],
        department=Department.objects.get(code="sales"),
    )


@pytest.fixture
def customer2(personas: dict[str, Any]) -> Customer:
    return CustomerFactory(
        display_name="John Doe",
        owner=personas["sales2"],
        department=Department.objects.get(code="sales"),
    )
