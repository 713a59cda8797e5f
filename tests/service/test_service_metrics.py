"""The satisfaction, deflection and cost metrics of the service analytics page, from
hand-built data whose answers are known; the CSAT chart; the page in English and Persian;
and the service reports in the navigation for ticket staff only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.access.models import Department
from peyvand.catalog.models import Currency, ExchangeRate
from peyvand.service.kb import services as kb_services
from peyvand.service.models import ArticleDeflection, ServiceOrder, Ticket
from peyvand.service.reports import selectors
from peyvand.service.tickets.selectors import tickets_visible_to
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(service1: Any, manager: Any) -> dict[str, Ticket]:
    service = Department.objects.get(code="service")
    sales = Department.objects.get(code="sales")
    customer = CustomerFactory(display_name="Kayhan <b>Print</b>")
    now = timezone.now().replace(microsecond=0)
    day = dt.timedelta(days=1)

    def ticket(subject: str, queue: Any = service, **fields: Any) -> Ticket:
        fields.setdefault("created_at", now - 2 * day)
        return Ticket.objects.create(customer=customer, subject=subject, queue=queue, **fields)

    tickets = {
        "great": ticket("Great", channel="portal", csat=5, csat_sent_at=now - day),
        "poor": ticket("Poor", channel="email", csat=2, csat_sent_at=now - day),
        "silent": ticket("Silent", channel="portal", csat_sent_at=now - day),
        "unsurveyed": ticket("Unsurveyed", channel="email"),
        # Outside what service1 sees, and outside the period: neither may count.
        "sales": ticket("Sales", queue=sales, channel="portal", csat=1, csat_sent_at=now),
        "old": ticket("Old", channel="portal", csat=1, csat_sent_at=now, created_at=now - 90 * day),
    }

    def order(on: Ticket | None, cost: Money) -> None:
        ServiceOrder.objects.create(
            customer=customer,
            ticket=on,
            title="Visit",
            department=service,
            window_start=now - day,
            window_end=now - day + dt.timedelta(hours=1),
            currency=str(cost.currency),
            total_cost=cost,
        )

    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro", "decimal_places": 2})
    ExchangeRate.objects.create(
        base_id="EUR", quote_id="IRR", date=timezone.localdate() - 5 * day, rate=Decimal(500000)
    )
    order(tickets["great"], Money(3_000_000, "IRR"))
    order(tickets["poor"], Money(10, "EUR"))  # 5,000,000 IRR at the rate of that day
    order(tickets["sales"], Money(99_000_000, "IRR"))
    order(tickets["old"], Money(99_000_000, "IRR"))
    order(None, Money(99_000_000, "IRR"))

    article = kb_services.save_article(
        None, actor=service1, title="Printer help", body="<p>Check the cable.</p>",
        language="en", visibility="public",
    )  # fmt: skip
    kb_services.record_deflection(article)
    kb_services.record_deflection(article)
    ArticleDeflection.objects.create(article=article, created_at=now - 40 * day)
    return tickets


def test_csat_deflection_and_cost_figures(service1: Any, data: dict[str, Ticket]) -> None:
    visible = tickets_visible_to(service1)
    period = selectors.last_days(30)
    figures = {m.key: value for m, value in selectors.summary(visible, period)}
    assert figures["opened"] == 4
    assert figures["csat_average"] == pytest.approx(3.5)  # (5 + 2) / 2
    assert figures["csat_response_rate"] == pytest.approx(200 / 3)  # 2 answered of 3 sent
    # Two deflections this month (the third is 40 days old), two portal tickets: half.
    assert figures["deflection_rate"] == pytest.approx(50.0)
    # (3,000,000 IRR + 10 EUR × 500,000) over 4 tickets.
    assert figures["cost_per_ticket"] == pytest.approx(2_000_000)
    assert selectors.csat_distribution(visible, period) == [(1, 0), (2, 1), (3, 0), (4, 0), (5, 1)]
    [(queue, values)] = selectors.per_queue(visible, period)
    per_queue = {m.key: value for m, value in values}
    assert queue == "Customer service"
    assert per_queue["csat_average"] == pytest.approx(3.5)
    assert per_queue["cost_per_ticket"] == pytest.approx(2_000_000)
    assert per_queue["deflection_rate"] is None  # deflections belong to no queue


def test_the_metrics_have_no_answer_without_data(service1: Any) -> None:
    figures = dict(
        (m.key, value)
        for m, value in selectors.summary(tickets_visible_to(service1), selectors.last_days(30))
    )
    for key in ("csat_average", "csat_response_rate", "deflection_rate", "cost_per_ticket"):
        assert figures[key] is None


def test_a_cost_without_an_exchange_rate_is_left_out(
    service1: Any, data: dict[str, Ticket]
) -> None:
    ExchangeRate.objects.all().delete()
    figures = {
        m.key: value
        for m, value in selectors.summary(tickets_visible_to(service1), selectors.last_days(30))
    }
    assert figures["cost_per_ticket"] == pytest.approx(750_000)  # only the IRR order, ÷ 4


def test_analytics_page_shows_the_new_metrics_in_english_and_persian(
    client_for: Any, service1: Any, data: dict[str, Ticket]
) -> None:
    html = client_for(service1).get("/service/analytics/").content.decode()
    assert "Satisfaction, average (1–5)" in html and "3.50" in html
    assert "66.7%" in html and "50.0%" in html and "2,000,000" in html
    assert "Satisfaction scores" in html and html.count("<svg") == 3
    speak_persian(service1)
    persian = client_for(service1).get("/service/analytics/").content.decode()
    assert "رضایت، میانگین (۱ تا ۵)" in persian and "امتیازهای رضایت" in persian
    assert "۳٫۵۰" in persian or "۳.۵۰" in persian
    assert "۲,۰۰۰,۰۰۰" in persian or "۲٬۰۰۰٬۰۰۰" in persian


def test_service_reports_are_in_the_navigation_for_ticket_staff_only(
    client_for: Any, service1: Any, sales1: Any
) -> None:
    html = client_for(service1).get("/service/tickets/breaches/").content.decode()
    nav = html[html.index("<nav") : html.index("</nav>")]
    assert 'href="/service/analytics/" aria-current="page"' in nav
    queue = client_for(service1).get("/service/tickets/").content.decode()
    for href in ("/service/macros/", "/service/tickets/breaches/", "/service/analytics/"):
        assert f'href="{href}"' in queue
    assert 'href="/service/analytics/"' not in client_for(sales1).get("/").content.decode()
