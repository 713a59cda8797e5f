"""The sales dashboard and the targets screen: personas, both languages, charts, hostile
input, query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.sales.forecast import refresh_forecast_model
from peyvand.sales.forecast_data import generate_history
from peyvand.sales.models import ForecastModel, SalesTarget
from peyvand.sales.opportunities import ensure_default_pipeline, win_opportunity
from peyvand.sales.report_cache import invalidate
from tests.conftest import speak_persian
from tests.sales.pipeline_factories import make_opportunity

DASHBOARD = reverse("sales:dashboard")
TARGETS = reverse("sales:targets")


def _soon() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=3)


def test_a_rep_sees_only_own_deals_in_every_part_of_the_dashboard(
    client_for: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    make_opportunity(customer1, sales1, title="Mine", amount="1234000", expected_close_date=_soon())
    make_opportunity(
        customer2, sales2, title="Theirs", amount="9876000", expected_close_date=_soon()
    )
    win_opportunity(make_opportunity(customer2, sales2, amount="5550000"), actor=sales2)
    response = client_for(sales1).get(DASHBOARD)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Sara Ahmadi" in body
    assert "John Smith" not in body
    assert "9,876,000" not in body and "5,550,000" not in body
    other = client_for(sales2).get(DASHBOARD).content.decode()
    assert "John Smith" in other and "Sara Ahmadi" not in other


@pytest.mark.parametrize("persona", ["service1", "marketing1"])
def test_people_without_opportunities_get_404(
    client_for: Any, personas: dict[str, Any], persona: str
) -> None:
    assert client_for(personas[persona]).get(DASHBOARD).status_code == 404
    assert client_for(personas[persona]).get(TARGETS).status_code == 404


def test_charts_are_inline_svg_with_title_desc_and_a_table(
    client_for: Any, manager: Any, sales1: Any, customer1: Any
) -> None:
    make_opportunity(customer1, sales1, amount="2000000", expected_close_date=_soon())
    body = client_for(manager).get(DASHBOARD).content.decode()
    svgs = re.findall(r"<svg class=\"chart-svg\".*?</svg>", body, flags=re.S)
    assert svgs
    for svg in svgs:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        assert "<script" not in svg and "style=" not in svg
    assert "<rect" in svgs[0]
    assert '<details class="chart-data">' in body
    assert 'direction="ltr"' in svgs[0]


def test_persian_dashboard_is_mirrored_with_jalali_months_and_persian_digits(
    client_for: Any, sales1: Any, customer1: Any
) -> None:
    speak_persian(sales1)
    make_opportunity(customer1, sales1, amount="2000000", expected_close_date=_soon())
    body = client_for(sales1).get(DASHBOARD).content.decode()
    assert 'dir="rtl"' in body
    assert 'direction="rtl"' in body
    assert "داشبورد فروش" in body
    assert "۲,۰۰۰,۰۰۰" in body or "۲٬۰۰۰٬۰۰۰" in body
    months = [
        "فروردین",
        "اردیبهشت",
        "خرداد",
        "تیر",
        "مرداد",
        "شهریور",
        "مهر",
        "آبان",
        "آذر",
        "دی",
        "بهمن",
        "اسفند",
    ]
    assert any(month in body for month in months)


def test_date_range_filter_and_bad_dates(
    client_for: Any, manager: Any, sales1: Any, customer1: Any
) -> None:
    deal = win_opportunity(make_opportunity(customer1, sales1, amount="3300000"), actor=sales1)
    # Dates on the dashboard are days of the company's time zone, not of UTC.
    closed = timezone.localtime(deal.closed_at).date()
    inside = client_for(manager).get(
        DASHBOARD, {"start": closed.isoformat(), "end": closed.isoformat()}
    )
    assert inside.status_code == 200 and "3,300,000" in inside.content.decode()
    before = closed - dt.timedelta(days=40)
    outside = client_for(manager).get(
        DASHBOARD, {"start": before.isoformat(), "end": (before + dt.timedelta(days=5)).isoformat()}
    )
    assert "3,300,000" not in outside.content.decode()
    bad = client_for(manager).get(DASHBOARD, {"start": "<script>x</script>", "end": "2026-13-40"})
    assert bad.status_code == 400
    assert "<script>x</script>" not in bad.content.decode()
    reversed_range = client_for(manager).get(
        DASHBOARD, {"start": "2026-05-01", "end": "2026-01-01"}
    )
    assert reversed_range.status_code == 400
    assert "The end is before the start." in reversed_range.content.decode()


def test_names_are_escaped(client_for: Any, manager: Any, sales1: Any, customer1: Any) -> None:
    sales1.first_name, sales1.last_name = "<b>Sara</b>", "😀 احمدی"
    sales1.save()
    make_opportunity(customer1, sales1, amount="1000", expected_close_date=_soon())
    body = client_for(manager).get(DASHBOARD).content.decode()
    assert "<b>Sara</b>" not in body
    assert "&lt;b&gt;Sara&lt;/b&gt; 😀 احمدی" in body


def test_forecast_and_backtest_shown_once_learned_deal_rows_only_to_managers(
    client_for: Any, manager: Any, sales1: Any, personas: dict[str, Any], customer1: Any
) -> None:
    pipeline = ensure_default_pipeline()
    assert "has not been learned yet" in client_for(sales1).get(DASHBOARD).content.decode()
    generate_history(
        pipeline=pipeline,
        customers=[customer1],
        owners=[sales1],
        deals=400,
        advance=[0.7, 0.6, 0.8, 0.9],
        until=timezone.now() - dt.timedelta(days=1),
    )
    refresh_forecast_model(pipeline)
    rep = client_for(sales1).get(DASHBOARD).content.decode()
    assert "Stage conversion rates" in rep and "WAPE" in rep
    assert "Each cut-off" not in rep
    assert "Each cut-off" in client_for(manager).get(DASHBOARD).content.decode()


def test_only_managers_recompute_the_forecast(client_for: Any, manager: Any, sales1: Any) -> None:
    url = reverse("sales:dashboard_refresh")
    assert client_for(sales1).post(url).status_code == 404
    assert ForecastModel.objects.count() == 0
    response = client_for(manager).post(url)
    assert response.status_code == 302
    # The test settings run tasks immediately.
    assert ForecastModel.objects.filter(pipeline=ensure_default_pipeline()).count() == 1


def test_dashboard_query_count_does_not_grow_with_deals(
    client_for: Any, manager: Any, sales1: Any, customer1: Any, django_assert_num_queries: Any
) -> None:
    client = client_for(manager)

    def add(n: int) -> None:
        for i in range(n):
            currency = "USD" if i % 2 else "IRR"
            won = make_opportunity(customer1, sales1, amount=str(2000 + i), currency=currency)
            win_opportunity(won, actor=sales1)
            make_opportunity(customer1, sales1, amount=str(3000 + i), expected_close_date=_soon())

    add(2)
    client.get(DASHBOARD)
    invalidate()  # the figures are cached: compare computing them at both sizes
    with CaptureQueriesContext(connection) as few:
        client.get(DASHBOARD)
    add(30)
    # One query per currency and per kind of row, never per deal.
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(DASHBOARD)


def test_manager_sets_a_target_and_sees_attainment(
    client_for: Any, manager: Any, sales1: Any, customer1: Any
) -> None:
    client = client_for(manager)
    today = timezone.localdate()
    response = client.post(
        TARGETS,
        {"user": sales1.pk, "period": "month", "on": today.isoformat(), "amount": "۲۰۰۰۰۰۰"},
    )
    assert response.status_code == 302
    target = SalesTarget.objects.get()
    assert (target.user, target.amount) == (sales1, Decimal(2000000))
    assert ChangeLog.objects.filter(object_id=str(target.pk)).exists()
    win_opportunity(make_opportunity(customer1, sales1, amount="500000"), actor=sales1)
    page = client.get(TARGETS).content.decode()
    assert "25%" in page
    rep = client_for(sales1).get(DASHBOARD).content.decode()
    assert "Target attainment" in rep and "25%" in rep


def test_target_form_errors_change_nothing(client_for: Any, manager: Any, sales1: Any) -> None:
    client = client_for(manager)
    sales = Department.objects.get(code="sales")
    both = client.post(
        TARGETS,
        {
            "user": sales1.pk,
            "department": sales.pk,
            "period": "month",
            "on": "2026-01-01",
            "amount": "10",
        },
    )
    assert both.status_code == 400 and "not both" in both.content.decode()
    for data in (
        {"user": sales1.pk, "period": "month", "on": "2026-01-01", "amount": "-5"},
        {"user": sales1.pk, "period": "decade", "on": "2026-01-01", "amount": "5"},
        {"user": 999999, "period": "month", "on": "2026-01-01", "amount": "5"},
        {"user": sales1.pk, "period": "month", "on": "<script>", "amount": "abc"},
    ):
        response = client.post(TARGETS, data)
        assert response.status_code == 400, data
        assert "<script>" not in response.content.decode()
    assert SalesTarget.objects.count() == 0


def test_persian_target_form_reads_jalali_dates(client_for: Any, manager: Any, sales1: Any) -> None:
    speak_persian(manager)
    response = client_for(manager).post(
        TARGETS, {"user": sales1.pk, "period": "quarter", "on": "۱۴۰۵/۰۲/۱۰", "amount": "1000"}
    )
    assert response.status_code == 302
    target = SalesTarget.objects.get()
    assert (target.starts_on, target.ends_on) == (dt.date(2026, 3, 21), dt.date(2026, 6, 21))


def test_reps_cannot_set_or_remove_targets(client_for: Any, manager: Any, sales1: Any) -> None:
    target = SalesTarget.objects.create(
        user=sales1,
        period="month",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 1, 31),
        amount=Decimal(5),
        currency="IRR",
    )
    client = client_for(sales1)
    assert (
        client.post(
            TARGETS, {"user": sales1.pk, "period": "month", "on": "2026-02-01", "amount": "1"}
        ).status_code
        == 404
    )
    assert client.post(reverse("sales:target_delete", args=[target.pk])).status_code == 404
    assert (
        client_for(manager).post(reverse("sales:target_delete", args=[target.pk])).status_code
        == 302
    )
    assert not SalesTarget.objects.exists()
