"""The management dashboard: each figure over the customers the reader may see, one
department's when asked, and orders of the chosen period; charts in both languages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from peyvand.analytics.models import ChurnScore, ClvFit, CustomerValue
from peyvand.analytics.overview import management_figures
from peyvand.analytics.rfm.services import compute_rfm
from peyvand.sales.services import create_order
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _order(customer: Any, actor: Any, price: str, channel: str, days_ago: int = 3) -> None:
    create_order(
        actor=actor,
        customer=customer,
        currency="IRR",
        channel=channel,
        ordered_at=timezone.now() - dt.timedelta(days=days_ago),
        lines=[
            {
                "product": None,
                "description": "x",
                "quantity": Decimal(1),
                "unit_price": Decimal(price),
            }
        ],
    )


@pytest.fixture
def company(sales1: Any, sales2: Any) -> dict[str, Any]:
    mine = [CustomerFactory(owner=sales1, department=sales1.departments.first()) for _ in range(3)]
    theirs = CustomerFactory(owner=sales2, department=sales2.departments.first())
    _order(mine[0], sales1, "1000", "web")
    _order(mine[1], sales1, "2000", "phone", days_ago=200)
    _order(theirs, sales2, "5000", "store")
    compute_rfm()
    fit = ClvFit.objects.create(
        history_end=timezone.localdate(),
        calibration_end=timezone.localdate(),
        currency="IRR",
        customers=4,
        bgnbd_params={},
        bgnbd_log_likelihood=-1.0,
        monthly_discount=0.01,
        holdout_predicted=0,
        holdout_actual=0,
    )
    for customer, clv in ((mine[0], 100), (mine[1], 300), (mine[2], 10_000), (theirs, 50)):
        CustomerValue.objects.create(
            customer=customer,
            fit=fit,
            probability_alive=0.5,
            expected_30=0.1,
            expected_90=0.2,
            expected_365=1,
            expected_spend=Decimal(10),
            clv=Decimal(clv),
        )
    for customer, risk in ((mine[0], 0.9), (mine[1], 0.4), (theirs, 0.7)):
        ChurnScore.objects.create(
            customer=customer, model_version=1, probability=risk, scored_at=timezone.now()
        )
    return {"mine": mine, "theirs": theirs}


def test_figures_cover_only_what_the_reader_may_see(
    company: dict[str, Any], sales1: Any, manager: Any
) -> None:
    mine = management_figures(sales1)
    assert mine.customers == 3
    assert sum(n for _label, n in mine.segments) == 2
    assert sum(mine.clv_counts) == 3
    assert mine.churn_bands == {"low": 0, "medium": 1, "high": 1}
    assert mine.revenue.by_channel == {"phone": Decimal(2000), "web": Decimal(1000)}
    everyone = management_figures(manager)
    assert everyone.customers == 4 and everyone.revenue.by_channel["store"] == Decimal(5000)
    assert everyone.churn_bands["high"] == 2


def test_the_period_filters_orders_and_the_department_filters_customers(
    company: dict[str, Any], manager: Any, sales2: Any
) -> None:
    recent = management_figures(manager, since=timezone.localdate() - dt.timedelta(days=30))
    assert "phone" not in recent.revenue.by_channel and "web" in recent.revenue.by_channel
    department = sales2.departments.first()
    one = management_figures(manager, department=department)
    expected = sum(1 for c in [*company["mine"], company["theirs"]] if c.department == department)
    assert one.customers == expected


def test_the_page_draws_every_chart_and_refuses_bad_dates(
    company: dict[str, Any], client_for: Any, manager: Any
) -> None:
    client = client_for(manager)
    page = client.get("/analytics/overview/")
    assert page.status_code == 200
    for title in (
        "Customers per segment",
        "Distribution of lifetime value",
        "Churn risk",
        "Revenue by channel",
        "Revenue by campaign source",
        "Cost to serve",
    ):
        assert title in page.text
    assert page.text.count('class="chart"') >= 5
    bad = client.get("/analytics/overview/?since=2026-05-01&until=2026-01-01")
    assert bad.status_code == 400 and "must not be before" in bad.text
    jalali = client.get("/analytics/overview/?since=۱۴۰۵/۰۱/۰۱")
    assert jalali.status_code == 200
    speak_persian(manager)
    persian = client_for(manager).get("/analytics/overview/")
    assert 'dir="rtl"' in persian.text and "داشبورد مدیریت" in persian.text
