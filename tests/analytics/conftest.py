from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies, record_exchange_rate
from peyvand.sales.models import Order
from peyvand.sales.services import cancel_order
from tests.factories import CustomerFactory
from tests.sales.factories import make_order

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _shared_data() -> Path | None:
    # ../shared/data relative to the project root; a git worktree sits deeper than the main
    # checkout, so the nearest ancestor holding shared/data is the one meant.
    for folder in PROJECT_ROOT.parents:
        candidate = folder / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def cdnow() -> Path:
    data = _shared_data()
    if data is None or not (data / "cdnow").is_dir():
        pytest.skip(f"reference data ../shared/data/cdnow not found above {PROJECT_ROOT}")
    return data / "cdnow"


@pytest.fixture
def shop(personas: dict[str, Any]) -> dict[str, Any]:
    """60 customers of sales1 and sales2 with a year of orders drawn from a BG/NBD-like
    process (seeded), a tenth of them in USD with a recorded rate, one cancelled order."""
    ensure_currencies()
    start = dt.date(2025, 1, 1)
    record_exchange_rate(
        actor=personas["manager"], base="USD", quote="IRR", date=start, rate="600000"
    )
    department = Department.objects.get(code="sales")
    rng = np.random.default_rng(7)
    customers = []
    orders: list[Order] = []
    for i in range(60):
        owner = personas["sales1" if i % 2 == 0 else "sales2"]
        customer = CustomerFactory(display_name=f"Shopper {i}", owner=owner, department=department)
        customers.append(customer)
        first = start + dt.timedelta(days=int(rng.integers(0, 120)))
        rate_per_day, lifetime = rng.gamma(0.8, 1 / 25), rng.exponential(250)
        days = [0]
        while True:
            days.append(days[-1] + 1 + int(rng.exponential(1 / rate_per_day)))
            if days[-1] > lifetime or first + dt.timedelta(days=days[-1]) > END:
                days.pop()
                break
        for day in days:
            currency = "USD" if i % 10 == 3 else "IRR"
            price = (
                Decimal(10) if currency == "USD" else Decimal(int(rng.integers(2, 20)) * 500_000)
            )
            when = dt.datetime.combine(first + dt.timedelta(days=day), dt.time(12))
            orders.append(
                Order(
                    number=f"T-{len(orders)}",
                    customer=customer,
                    ordered_at=timezone.make_aware(when),
                    total=Money(price, currency),
                )
            )
    # Bulk, because hundreds of audited create_order calls would dominate the suite's time;
    # the analytics read orders, how they were placed is the sales tests' concern.
    Order.objects.bulk_create(orders)
    cancelled = make_order(customers[0], unit_price="99000000", ordered_at=timezone.now())
    cancel_order(cancelled, actor=None)
    return {"customers": customers, "end": END}


END = dt.date(2025, 12, 31)
