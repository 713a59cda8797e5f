"""Service orders: created from a ticket or as planned maintenance, the status flow, the
cost total in the order's currency (materials converted at the day's rate, time priced at
the department's rate), sign-off posting to cost to serve, the offline sync with its
version check, the staff screens, the 360 card and the API — each refused to the persona
that must not see it."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from peyvand.access.models import Department
from peyvand.analytics.models import CostEntry, DepartmentRate
from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import Currency, ExchangeRate, Product
from peyvand.service.models import ServiceOrder
from peyvand.service.orders import selectors, services
from peyvand.service.tickets import services as ticket_services
from tests.api.conftest import fields_of, problem_of
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def service_dept(personas: Any) -> Department:
    return Department.objects.get(code="service")


@pytest.fixture
def customer(service_dept: Department) -> Any:
    return CustomerFactory(department=service_dept, display_name="Kayhan <b>Print</b>")


@pytest.fixture
def order(service1: Any, customer: Any, service_dept: Department) -> ServiceOrder:
    return services.create_order(
        actor=service1,
        customer=customer,
        title="Replace the fuser",
        department=service_dept,
        technician=service1,
        window_start=START,
        window_end=START + dt.timedelta(hours=2),
    )


def test_order_from_ticket_takes_its_agreement_and_is_corrective(
    service1: Any, customer: Any, service_dept: Department
) -> None:
    ticket = ticket_services.open_ticket(
        actor=service1, customer=customer, subject="Printer jams", queue=service_dept
    )
    order = services.create_order(
        actor=service1,
        customer=customer,
        ticket=ticket,
        title=ticket.subject,
        department=service_dept,
        window_start=START,
        window_end=START + dt.timedelta(hours=1),
    )
    assert order.kind == "corrective" and order.ticket == ticket and order.version == 1
    assert ChangeLog.objects.filter(object_id=str(order.pk), customer_id=customer.pk).exists()


def test_bad_order_is_refused_per_field_and_nothing_written(
    service1: Any, sales1: Any, customer: Any, service_dept: Department
) -> None:
    other = CustomerFactory()
    ticket = ticket_services.open_ticket(
        actor=service1, customer=other, subject="Elsewhere", queue=service_dept
    )
    with pytest.raises(ValidationError) as caught:
        services.create_order(
            actor=service1,
            customer=customer,
            ticket=ticket,
            title=" ",
            department=service_dept,
            technician=sales1,  # not in the service team
            window_start=START,
            window_end=START,
            currency="XXX",
        )
    assert set(caught.value.message_dict) == {
        "title", "ticket", "window_end", "technician", "currency"
    }  # fmt: skip
    assert not ServiceOrder.objects.exists()


def test_status_flow_and_final_orders_are_frozen(order: ServiceOrder, service1: Any) -> None:
    with pytest.raises(ValidationError):
        services.set_status(order, actor=service1, status="done")  # not started yet
    order = services.set_status(order, actor=service1, status="in_progress")
    assert order.started_at is not None and order.version == 2
    order = services.set_status(order, actor=service1, status="done")
    with pytest.raises(ValidationError, match="signature"):
        services.set_status(order, actor=service1, status="signed_off")
    order = services.sign_off(order, actor=service1, name="Ali Rezaei", signature="Ali Rezaei")
    assert order.status == "signed_off" and order.signed_at is not None
    with pytest.raises(ValidationError):
        services.add_time(order, actor=service1, minutes=10)
    with pytest.raises(ValidationError):
        services.set_status(order, actor=service1, status="in_progress")


def test_cost_total_converts_materials_and_prices_time(
    order: ServiceOrder, service1: Any, service_dept: Department
) -> None:
    Currency.objects.get_or_create(code="EUR", defaults={"name": "Euro", "decimal_places": 2})
    ExchangeRate.objects.create(
        base_id="EUR", quote_id="IRR", date=START.date(), rate=Decimal("500000")
    )
    DepartmentRate.objects.create(department=service_dept, hourly_rate=Decimal("1200000"))
    product = Product.objects.create(
        sku="FUSER-1", name="Fuser unit", unit_price=Money(Decimal("3000000"), "IRR")
    )
    services.add_line(order, actor=service1, product=product, quantity=1)
    services.add_line(
        order,
        actor=service1,
        description="Screws",
        quantity=Decimal("4"),
        unit_cost=Money(Decimal("0.50"), "EUR"),
    )
    services.add_time(order, actor=service1, minutes=90, note="Fitting")
    order.refresh_from_db()
    # 3,000,000 + 4 × 0.50 EUR × 500,000 + 1.5 h × 1,200,000
    assert order.total_cost == Money(Decimal("5800000"), "IRR")
    assert order.status == "in_progress"  # recording time starts the work
    with pytest.raises(Exception, match="exchange rate"):
        services.add_line(
            order, actor=service1, description="x", quantity=1, unit_cost=Money(1, "USD")
        )
    assert order.lines.count() == 2


def test_sign_off_posts_cost_to_serve_once_and_the_selector_reads_it(
    order: ServiceOrder, service1: Any, customer: Any, sales1: Any
) -> None:
    services.add_line(
        order, actor=service1, description="Toner", quantity=2, unit_cost=Money(100_000, "IRR")
    )
    services.set_status(order, actor=service1, status="in_progress")
    services.set_status(order, actor=service1, status="done")
    with pytest.raises(ValidationError) as caught:
        services.sign_off(order, actor=service1, name="", signature="", kind="drawn")
    assert set(caught.value.message_dict) == {"signed_by", "signature"}
    services.sign_off(
        order,
        actor=service1,
        name="Ali",
        signature="data:image/png;base64,iVBORw0KGgo=",
        kind="drawn",
    )
    entry = CostEntry.objects.get(customer=customer)
    assert entry.kind == "service" and entry.amount == Decimal("200000") and entry.currency == "IRR"
    costs = selectors.customer_service_costs(customer, user=service1)
    assert costs["totals"] == [{"currency": "IRR", "count": 1, "total": Decimal("200000")}]
    assert selectors.customer_service_costs(customer, user=sales1)["totals"] == []


def _batch(order: ServiceOrder, version: int, *changes: dict[str, Any], batch: str = "b1") -> Any:
    return {"order": order.pk, "base_version": version, "batch_id": batch, "changes": list(changes)}


def test_offline_changes_apply_on_their_version_and_conflict_on_an_older_one(
    order: ServiceOrder, service1: Any
) -> None:
    time = {"id": "t-1", "type": "time", "minutes": 30, "note": "Diagnosis"}
    material = {"id": "m-1", "type": "material", "description": "Belt", "quantity": "1", "unit_cost": "50000"}  # fmt: skip
    outcome = services.apply_offline_changes(
        order, actor=service1, base_version=1, batch_id="b1", changes=[time, material]
    )
    assert outcome["result"] == "applied"
    order.refresh_from_db()
    assert order.version == outcome["version"] and order.lines.count() == 1
    # The answer was lost and the phone sends the same batch: applied, not doubled.
    again = services.apply_offline_changes(
        order, actor=service1, base_version=1, batch_id="b1", changes=[time, material]
    )
    assert again["result"] == "applied" and order.time_entries.count() == 1
    # The office edits the notes; the phone, still on the old version, edits them too.
    services.set_work_notes(order, actor=service1, text="Office: customer wants a call first")
    stale = services.apply_offline_changes(
        order,
        actor=service1,
        base_version=outcome["version"],
        batch_id="b2",
        changes=[{"id": "n-1", "type": "notes", "text": "Fixed the belt"}],
    )
    assert stale["result"] == "conflict"
    assert stale["conflicts"] == [
        {"field": "work_notes", "office": "Office: customer wants a call first", "theirs": "Fixed the belt"}
    ]  # fmt: skip
    order.refresh_from_db()
    assert order.work_notes == "Office: customer wants a call first"
    # A bad change in a batch: nothing of the batch is applied.
    rejected = services.apply_offline_changes(
        order,
        actor=service1,
        base_version=order.version,
        batch_id="b3",
        changes=[{"id": "t-2", "type": "time", "minutes": 5}, {"id": "t-3", "type": "time", "minutes": 0}],
    )  # fmt: skip
    assert rejected["result"] == "rejected" and order.time_entries.count() == 1


def test_sync_endpoint_only_for_the_technicians_own_orders(
    order: ServiceOrder, service1: Any, manager: Any, client_for: Any
) -> None:
    change = {"id": "t-9", "type": "time", "minutes": 15}
    url = "/service/orders/mobile/sync/"
    body = json.dumps(_batch(order, 1, change))
    answer = client_for(service1).post(url, body, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["order"]["time"] == [
        {"minutes": 15, "note": ""}
    ]
    stale = client_for(service1).post(
        url, json.dumps(_batch(order, 1, change, batch="other")), content_type="application/json"
    )
    assert stale.status_code == 409 and stale.json()["conflicts"][0]["field"] == "time"
    # The manager may see every order but is not its technician: not theirs to sync.
    assert client_for(manager).post(url, body, content_type="application/json").status_code == 404
    bad = client_for(service1).post(url, "{not json", content_type="application/json")
    assert bad.status_code == 400
    data = client_for(service1).get("/service/orders/mobile/orders.json").json()
    assert [o["id"] for o in data["orders"]] == [order.pk]


def test_mobile_page_manifest_and_worker(client_for: Any, service1: Any, sales1: Any) -> None:
    page = client_for(service1).get("/service/orders/mobile/")
    assert page.status_code == 200
    assert b'rel="manifest"' in page.content and b"<script>" not in page.content
    manifest = client_for(service1).get("/service/orders/mobile/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    assert manifest.json()["scope"] == "/service/orders/mobile/"
    worker = client_for(service1).get("/service/orders/mobile/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert b"/service/orders/mobile/" in worker.content
    assert client_for(sales1).get("/service/orders/mobile/").status_code == 404


def test_staff_screens_list_detail_mine_and_refusals(
    order: ServiceOrder,
    service1: Any,
    sales1: Any,
    manager: Any,
    customer: Any,
    client_for: Any,
    django_assert_num_queries: Any,
) -> None:
    agent = client_for(service1)
    agent.get("/service/orders/")  # warm the session and the role caches
    with django_assert_num_queries(7):
        listed = agent.get("/service/orders/")
    assert listed.status_code == 200 and b"Replace the fuser" in listed.content
    assert b"Kayhan &lt;b&gt;Print&lt;/b&gt;" in listed.content
    assert b"Replace the fuser" in agent.get("/service/orders/mine/").content
    assert (
        b"No service orders are scheduled"
        in client_for(manager).get("/service/orders/mine/").content
    )
    detail = agent.get(f"/service/orders/{order.pk}/")
    assert detail.status_code == 200 and b"Materials and parts" in detail.content
    assert client_for(sales1).get(f"/service/orders/{order.pk}/").status_code == 404
    assert client_for(sales1).get("/service/orders/").status_code == 404
    bad = agent.post(f"/service/orders/{order.pk}/time/", {"minutes": "0"})
    assert bad.status_code == 400 and order.time_entries.count() == 0
    added = agent.post(
        f"/service/orders/{order.pk}/time/", {"minutes": "45", "note": "<script>x</script>"}
    )
    assert added.status_code == 302
    page = agent.get(f"/service/orders/{order.pk}/")
    assert b"&lt;script&gt;x&lt;/script&gt;" in page.content and b"<script>x" not in page.content
    card = agent.get(f"/service/customers/{customer.pk}/orders/")
    assert card.status_code == 200 and b"Open service orders" in card.content
    assert client_for(sales1).get(f"/service/customers/{customer.pk}/orders/").status_code == 404


def test_new_order_screen_from_a_ticket(
    service1: Any, customer: Any, service_dept: Department, client_for: Any
) -> None:
    ticket = ticket_services.open_ticket(
        actor=service1, customer=customer, subject="Paper feed broken", queue=service_dept
    )
    agent = client_for(service1)
    form = agent.get(f"/service/customers/{customer.pk}/orders/new/?ticket={ticket.pk}")
    assert form.status_code == 200 and b"Paper feed broken" in form.content
    wrong = agent.post(
        f"/service/customers/{customer.pk}/orders/new/?ticket={ticket.pk}",
        {"title": "Fix feed", "department": service_dept.pk, "window_start": "2026-03-10T10:00",
         "window_end": "2026-03-10T09:00", "currency": "IRR"},
    )  # fmt: skip
    assert wrong.status_code == 200 and b"must end after it starts" in wrong.content
    created = agent.post(
        f"/service/customers/{customer.pk}/orders/new/?ticket={ticket.pk}",
        {"title": "Fix feed", "department": service_dept.pk, "technician": service1.pk,
         "window_start": "2026-03-10T10:00", "window_end": "2026-03-10T12:00", "currency": "IRR"},
    )  # fmt: skip
    assert created.status_code == 302
    assert ServiceOrder.objects.get().ticket == ticket


def test_persian_screens(order: ServiceOrder, service1: Any, client_for: Any) -> None:
    speak_persian(service1)
    page = client_for(service1).get(f"/service/orders/{order.pk}/")
    assert 'dir="rtl"' in page.content.decode() and "مواد و قطعات" in page.content.decode()
    assert (
        "دستورهای کار خدمات من"
        in client_for(service1).get("/service/orders/mine/").content.decode()
    )


def test_api_list_create_update_lines_and_conflict(
    api_client: Any, service1: Any, sales1: Any, customer: Any, service_dept: Department
) -> None:
    agent = api_client(service1)
    created = agent.post(
        "/api/v1/service-orders",
        {"customer": customer.pk, "title": "Annual check", "department": service_dept.pk,
         "technician": service1.pk, "window_start": "2026-04-01T06:00:00Z",
         "window_end": "2026-04-01T08:00:00Z"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "planned" and body["version"] == 1
    line = agent.post(
        f"/api/v1/service-orders/{body['id']}/lines",
        {"description": "Filter", "quantity": "2", "unit_cost": {"amount": "15000", "currency": "IRR"}},
        content_type="application/json",
    )  # fmt: skip
    assert line.status_code == 201 and line.json()["total_cost"]["amount"] == "30000.00"
    stale = agent.patch(
        f"/api/v1/service-orders/{body['id']}",
        {"base_version": 1, "work_notes": "late"},
        content_type="application/json",
    )
    assert problem_of(stale, 409)["code"] == "stale_version"
    fresh = agent.patch(
        f"/api/v1/service-orders/{body['id']}",
        {"base_version": line.json()["version"], "status": "in_progress"},
        content_type="application/json",
    )
    assert fresh.status_code == 200 and fresh.json()["status"] == "in_progress"
    assert [o["id"] for o in agent.get("/api/v1/service-orders?mine=true").json()["items"]] == [
        body["id"]
    ]
    problem_of(api_client(sales1).get(f"/api/v1/service-orders/{body['id']}"), 404)
    assert api_client(sales1).get("/api/v1/service-orders").json()["items"] == []
    invalid = agent.post(
        "/api/v1/service-orders",
        {"customer": customer.pk, "title": "x", "department": service_dept.pk,
         "window_start": "2026-04-01T08:00:00Z", "window_end": "2026-04-01T06:00:00Z"},
        content_type="application/json",
    )  # fmt: skip
    assert fields_of(problem_of(invalid, 422)) == {"window_end"}
    problem_of(
        api_client(service1, scopes=["service_orders:read"]).post(
            f"/api/v1/service-orders/{body['id']}/time",
            {"minutes": 5},
            content_type="application/json",
        ),
        403,
    )
    hidden = CustomerFactory(department=Department.objects.get(code="sales"))
    refused = api_client(sales1).post(
        "/api/v1/service-orders",
        {"customer": hidden.pk, "title": "x", "department": service_dept.pk,
         "window_start": "2026-04-01T06:00:00Z", "window_end": "2026-04-01T08:00:00Z"},
        content_type="application/json",
    )  # fmt: skip
    problem_of(refused, 403)
