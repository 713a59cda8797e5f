"""The breach report (counts per day, queue, agent and policy; CSV with neutralised
cells) and the service analytics page (backlog, response and resolution times, SLA
attainment, categories, per queue), for the service agent over their own queue only,
refused to staff without ticket rights, in English and Persian."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.service.models import BusinessCalendar, SlaPolicy, Ticket
from peyvand.service.reports import selectors
from peyvand.service.reports.selectors import Period
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(service1: Any) -> dict[str, Ticket]:
    calendar = BusinessCalendar.objects.create(name="Office")
    policy = SlaPolicy.objects.create(
        name="Gold <i>", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    customer = CustomerFactory(display_name='=HYPERLINK("http://x")')
    service = Department.objects.get(code="service")
    sales = Department.objects.get(code="sales")
    now = timezone.now().replace(microsecond=0)
    day = dt.timedelta(days=1)

    def make(subject: str, queue: Any = service, **fields: Any) -> Ticket:
        fields.setdefault("created_at", now - 3 * day)
        return Ticket.objects.create(
            customer=customer, subject=subject, queue=queue, sla_policy=policy, **fields
        )

    return {
        "late": make(
            "<script>alert(1)</script> late",
            assignee=service1,
            category="printer",
            first_response_due=now - 2 * day,
            response_breached=True,
            resolution_due=now - day,
            resolution_breached=True,
            first_responded_at=now - 2 * day + dt.timedelta(hours=1),
        ),
        "met": make(
            "Met",
            category="printer",
            status="solved",
            first_responded_at=now - 3 * day + dt.timedelta(hours=2),
            resolved_at=now - 3 * day + dt.timedelta(hours=10),
            resolution_due=now - day,
        ),
        "open": make("Open", category="modem", first_responded_at=now - 2 * day),
        "old": make("Old", created_at=now - 90 * day, resolution_due=now - 80 * day,
                    resolution_breached=True),
        "sales": make("Sales queue", queue=sales, resolution_due=now - day,
                      resolution_breached=True),
    }  # fmt: skip


def test_breach_report_counts_the_agents_queue_only(
    client_for: Any, service1: Any, tickets: dict[str, Ticket]
) -> None:
    response = client_for(service1).get("/service/tickets/breaches/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "2 targets missed" in html  # the late ticket's two; old is outside, sales hidden
    assert "<svg" in html and "Gold &lt;i&gt;" in html and "<i>" not in html
    groups = dict(response.context["groups"])
    queue_rows = groups["Queue"]
    assert [(g.label, g.response, g.resolution) for g in queue_rows] == [("Customer service", 1, 1)]
    agents = groups["Agent"]
    assert [(g.label, g.total) for g in agents] == [("service1", 2)]


def test_breach_csv_neutralises_cells_and_follows_the_filters(
    client_for: Any, service1: Any, tickets: dict[str, Ticket]
) -> None:
    client = client_for(service1)
    response = client.get("/service/tickets/breaches.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "Ticket" and len(rows) == 3
    assert {row[6] for row in rows[1:]} == {"first response", "resolution"}
    assert all(row[2].startswith("'=") for row in rows[1:])
    assert rows[1][1] == "<script>alert(1)</script> late"
    policy = tickets["late"].sla_policy
    other = SlaPolicy.objects.create(
        name="Other", first_response_minutes=1, resolution_minutes=2, calendar=policy.calendar
    )
    none = client.get("/service/tickets/breaches.csv", {"sla_policy": other.pk})
    assert len(b"".join(none.streaming_content).decode("utf-8-sig").splitlines()) == 1


def test_reports_are_refused_without_ticket_rights(client_for: Any, sales1: Any) -> None:
    client = client_for(sales1)
    for url in (
        "/service/tickets/breaches/",
        "/service/tickets/breaches.csv",
        "/service/analytics/",
    ):
        assert client.get(url).status_code == 404


def test_bad_period_is_explained_and_the_default_used(
    client_for: Any, service1: Any, tickets: dict[str, Ticket]
) -> None:
    response = client_for(service1).get(
        "/service/analytics/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert response.context["period"] == selectors.last_days(30)


def test_analytics_figures(service1: Any, tickets: dict[str, Ticket]) -> None:
    from peyvand.service.tickets.selectors import tickets_visible_to

    visible = tickets_visible_to(service1)
    period = selectors.last_days(30)
    figures = {m.key: value for m, value in selectors.summary(visible, period)}
    assert figures["opened"] == 3
    # First responses after 1 h (late: a day later than opening plus an hour), 2 h, 24 h.
    assert figures["first_response_median"] == pytest.approx(24.0)
    assert figures["first_response_p90"] == pytest.approx(25.0)
    assert figures["resolution_median"] == pytest.approx(10.0)
    # Settled under an SLA: late (missed) and met: half attained.
    assert figures["sla_attainment"] == pytest.approx(50.0)
    assert selectors.top_categories(visible, period) == [("printer", 2), ("modem", 1)]
    backlog = dict(selectors.backlog(visible, period))
    today = timezone.localdate()
    # Open at the end of today: late, open and old (opened 90 days ago); met was solved.
    assert backlog[today] == 3
    assert backlog[today - dt.timedelta(days=29)] == 1
    queues = selectors.per_queue(visible, period)
    assert [name for name, _values in queues] == ["Customer service"]


def test_analytics_page_in_english_and_persian(
    client_for: Any, service1: Any, tickets: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    client = client_for(service1)
    client.get("/")
    # A fixed number per metric and per queue, none per ticket (ten metrics, one queue here).
    with django_assert_max_num_queries(40):
        response = client.get("/service/analytics/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "SLA attainment" in html and "50.0%" in html and html.count("<svg") == 2
    speak_persian(service1)
    persian = client_for(service1).get("/service/analytics/").content.decode()
    assert 'dir="rtl"' in persian and ("۵۰٫۰" in persian or "۵۰.۰" in persian)


def test_empty_period_shows_the_empty_state(client_for: Any, service1: Any) -> None:
    html = client_for(service1).get("/service/analytics/").content.decode()
    assert "No tickets in this period" in html
    html = client_for(service1).get("/service/tickets/breaches/").content.decode()
    assert "No SLA target was missed in this period" in html


def test_period_bounds_are_whole_local_days() -> None:
    period = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    assert list(period.days())[-1] == dt.date(2026, 3, 3)
    assert period.until - period.since == dt.timedelta(days=3)
