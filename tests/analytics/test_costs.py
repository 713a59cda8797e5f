"""Cost to serve: agent time at department rates, discounts, the ledger, the report and its
personas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.analytics.costs.services import (
    post_cost,
    refresh_costs_to_serve,
    set_department_rate,
)
from peyvand.analytics.models import CostEntry, CustomerCost, DepartmentRate
from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import ExchangeRate
from peyvand.sales.services import create_order
from tests.conftest import speak_persian
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def _order(customer: Any, actor: Any, currency: str, price: str, qty: str, discount: str) -> Any:
    return create_order(
        actor=actor,
        customer=customer,
        currency=currency,
        lines=[
            {
                "product": None,
                "description": "Support plan",
                "quantity": Decimal(qty),
                "unit_price": Decimal(price),
                "discount_percent": Decimal(discount),
            }
        ],
    )


@pytest.fixture
def world(manager: Any, sales1: Any, sales2: Any, service1: Any) -> dict[str, Any]:
    service = service1.departments.get()
    set_department_rate(service, Decimal("600000"), actor=manager)
    mine = CustomerFactory(
        display_name="<b>Mine</b> مشتری", owner=sales1, department=sales1.departments.first()
    )
    theirs = CustomerFactory(display_name="Theirs", owner=sales2)
    # 90 minutes of a service agent at 600,000 IRR an hour = 900,000 IRR.
    InteractionFactory(customer=mine, agent=service1, duration_seconds=3600)
    InteractionFactory(customer=mine, agent=service1, duration_seconds=1800)
    # An agent whose department has no rate costs time but no money.
    InteractionFactory(customer=mine, agent=sales1, duration_seconds=600)
    InteractionFactory(customer=theirs, agent=service1, duration_seconds=360)
    ExchangeRate.objects.create(
        base_id="USD",
        quote_id="IRR",
        date=timezone.localdate() - dt.timedelta(days=400),
        rate=Decimal(500000),
    )
    _order(mine, sales1, "IRR", "1000000", "2", "10")  # 200,000 IRR of discount
    _order(mine, sales1, "USD", "100", "1", "5")  # 5 USD = 2,500,000 IRR
    post_cost(mine, "marketing", Decimal("300000"), "IRR", description="Catalogue mailing")
    return {"mine": mine, "theirs": theirs, "service": service}


def test_costs_add_up_per_kind_in_the_reporting_currency(world: dict[str, Any]) -> None:
    assert refresh_costs_to_serve() == 2
    cost = CustomerCost.objects.get(customer=world["mine"])
    assert cost.agent_minutes == 100
    assert cost.service == Decimal("900000.00")
    assert cost.discounts == Decimal("2700000.00")
    assert cost.marketing == Decimal("300000.00")
    assert cost.total == Decimal("3900000.00")
    assert CustomerCost.objects.get(customer=world["theirs"]).service == Decimal("60000.00")


def test_a_rebuild_forgets_costs_that_left_the_window(world: dict[str, Any]) -> None:
    refresh_costs_to_serve()
    world["theirs"].interactions.update(occurred_at=timezone.now() - dt.timedelta(days=500))
    assert refresh_costs_to_serve() == 1
    assert not CustomerCost.objects.filter(customer=world["theirs"]).exists()


def test_a_cost_posted_twice_for_one_source_counts_once(world: dict[str, Any]) -> None:
    order = world["mine"].orders.first()
    first = post_cost(world["mine"], "retention", Decimal("50000"), "IRR", source=order)
    again = post_cost(world["mine"], "retention", Decimal("99999"), "IRR", source=order)
    assert first.pk == again.pk and CostEntry.objects.filter(kind="retention").count() == 1
    with pytest.raises(ValidationError):
        post_cost(world["mine"], "retention", Decimal("-1"), "IRR")
    with pytest.raises(ValidationError):
        post_cost(world["mine"], "bribes", Decimal("1"), "IRR")


def test_only_managers_set_rates_and_every_change_is_audited(manager: Any, sales1: Any) -> None:
    department = Department.objects.get(code="sales")
    with pytest.raises(PermissionDenied):
        set_department_rate(department, Decimal(1), actor=sales1)
    with pytest.raises(ValidationError):
        set_department_rate(department, Decimal(-5), actor=manager)
    assert not DepartmentRate.objects.filter(department=department).exists()
    set_department_rate(department, Decimal(700000), actor=manager)
    set_department_rate(department, Decimal(800000), actor=manager)
    assert DepartmentRate.objects.get(department=department).hourly_rate == Decimal(800000)
    assert ChangeLog.objects.filter(content_type__model="departmentrate").count() == 2


def test_the_report_shows_only_customers_the_reader_may_see(
    world: dict[str, Any], client_for: Any, sales1: Any, sales2: Any, manager: Any
) -> None:
    refresh_costs_to_serve()
    own = client_for(sales1).get("/analytics/costs/")
    assert own.status_code == 200
    assert "&lt;b&gt;Mine&lt;/b&gt; مشتری" in own.text and "<b>Mine</b>" not in own.text
    assert "Theirs" not in own.text and "Hourly rates" not in own.text
    other = client_for(sales2).get("/analytics/costs/")
    assert "Theirs" in other.text and "Mine" not in other.text
    everyone = client_for(manager).get("/analytics/costs/")
    assert "Theirs" in everyone.text and "Mine" in everyone.text and "Hourly rates" in everyone.text
    assert "<svg" in everyone.text


def test_rates_and_recompute_are_for_managers(
    world: dict[str, Any], client_for: Any, sales1: Any, manager: Any
) -> None:
    department = world["service"]
    refused = client_for(sales1).post(
        "/analytics/costs/rates/", {"department": department.pk, "hourly_rate": "1"}
    )
    assert refused.status_code == 404
    assert client_for(sales1).post("/analytics/costs/recompute/").status_code == 404
    assert DepartmentRate.objects.get(department=department).hourly_rate == Decimal(600000)

    client = client_for(manager)
    bad = client.post("/analytics/costs/rates/", {"department": department.pk, "hourly_rate": "-3"})
    assert bad.status_code == 400
    saved = client.post(
        "/analytics/costs/rates/", {"department": department.pk, "hourly_rate": "1200000"}
    )
    assert saved.status_code == 302
    assert client.post("/analytics/costs/recompute/").status_code == 302
    # The test task backend runs the job at once: the new rate is in the figures.
    assert CustomerCost.objects.get(customer=world["mine"]).service == Decimal("1800000.00")


def test_the_report_speaks_persian(world: dict[str, Any], client_for: Any, manager: Any) -> None:
    speak_persian(manager)
    client = client_for(manager)
    assert "هزینه‌ها هنوز محاسبه نشده‌اند." in client.get("/analytics/costs/").text
    refresh_costs_to_serve()
    page = client.get("/analytics/costs/").text
    assert 'dir="rtl"' in page and "هزینهٔ خدمت‌رسانی به تفکیک دپارتمان" in page
    assert "۹۰۰٬۰۰۰" in page
