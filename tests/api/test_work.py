"""Orders, payments, interactions, tasks and products: personas, references, services."""

from __future__ import annotations

from decimal import Decimal

import pytest

from peyvand.catalog.services import create_product
from peyvand.channels.models import Interaction
from peyvand.desk.models import Task
from peyvand.sales.models import Order, Payment
from peyvand.sales.services import create_order
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory, InteractionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


# --- orders ---------------------------------------------------------------------------


def test_order_totals_come_from_the_lines(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    response = post(
        api_client(sales1),
        "/api/v1/orders",
        {
            "customer": customer.pk,
            "currency": "USD",
            "lines": [
                {"description": "A", "quantity": "2", "unit_price": "10.50"},
                {
                    "description": "B",
                    "quantity": "1",
                    "unit_price": "100",
                    "discount_percent": "10",
                },
            ],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == {"amount": "111.00", "currency": "USD"}
    assert body["balance"]["amount"] == "111.00"
    assert [line["line_total"]["amount"] for line in body["lines"]] == ["21.00", "90.00"]


def test_order_for_someone_elses_customer_is_404_and_creates_nothing(
    api_client, sales1, sales2
) -> None:
    customer = CustomerFactory(owner=sales1)
    response = post(
        api_client(sales2),
        "/api/v1/orders",
        {
            "customer": customer.pk,
            "currency": "IRR",
            "lines": [{"description": "x", "unit_price": "1"}],
        },
    )
    assert fields_of(problem_of(response, 404)) == {"customer"}
    assert not Order.objects.exists()


def test_payments_and_order_visibility(api_client, sales1, sales2) -> None:
    customer = CustomerFactory(owner=sales1)
    order = create_order(
        actor=sales1,
        customer=customer,
        currency="USD",
        lines=[{"description": "x", "quantity": 1, "unit_price": 100}],
    )
    url = f"/api/v1/orders/{order.pk}"
    problem_of(api_client(sales2).get(url), 404)
    problem_of(post(api_client(sales2), f"{url}/payments", {"amount": "5", "method": "cash"}), 404)
    assert api_client(sales2).get("/api/v1/orders").json()["items"] == []
    owner = api_client(sales1)
    paid = post(owner, f"{url}/payments", {"amount": "40", "method": "card"})
    assert paid.status_code == 201, paid.content
    too_much = post(owner, f"{url}/payments", {"amount": "70", "method": "card"})
    assert fields_of(problem_of(too_much, 400)) == {"amount"}
    detail = owner.get(url).json()
    assert detail["balance"]["amount"] == "60.00"
    assert [p["amount"]["amount"] for p in detail["payments"]] == ["40.00"]
    assert Payment.objects.count() == 1
    listed = owner.get(f"/api/v1/orders?customer={customer.pk}").json()["items"]
    assert [o["number"] for o in listed] == [order.number]


def test_service_agent_may_read_orders_but_not_create(api_client, service1) -> None:
    customer = CustomerFactory(department=service1.departments.first())
    client = api_client(service1)
    response = post(
        client,
        "/api/v1/orders",
        {
            "customer": customer.pk,
            "currency": "IRR",
            "lines": [{"description": "x", "unit_price": "1"}],
        },
    )
    problem_of(response, 403)
    assert client.get("/api/v1/orders").status_code == 200


# --- interactions ---------------------------------------------------------------------


def test_log_interaction_records_the_caller_as_agent(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    response = post(
        api_client(sales1),
        "/api/v1/interactions",
        {
            "customer": customer.pk,
            "channel": "phone",
            "direction": "inbound",
            "subject": "<b>Call</b>",
            "duration_seconds": 90,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["agent"]["username"] == "sales1"
    assert body["subject"] == "<b>Call</b>"
    assert Interaction.objects.get().subject == "<b>Call</b>"


def test_interactions_of_other_customers_are_hidden(api_client, sales1, sales2) -> None:
    theirs = InteractionFactory(customer=CustomerFactory(owner=sales1))
    client = api_client(sales2)
    problem_of(client.get(f"/api/v1/interactions/{theirs.pk}"), 404)
    assert client.get("/api/v1/interactions").json()["items"] == []
    response = post(
        client,
        "/api/v1/interactions",
        {"customer": theirs.customer_id, "channel": "note", "direction": "internal"},
    )
    assert fields_of(problem_of(response, 404)) == {"customer"}
    assert Interaction.objects.count() == 1


def test_interaction_enum_errors(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    response = post(
        api_client(sales1),
        "/api/v1/interactions",
        {"customer": customer.pk, "channel": "pigeon", "direction": "sideways"},
    )
    assert fields_of(problem_of(response, 422)) == {"channel", "direction"}
    assert not Interaction.objects.exists()


# --- tasks ----------------------------------------------------------------------------


def test_task_create_assign_complete(api_client, sales1, sales2) -> None:
    client = api_client(sales1)
    created = post(client, "/api/v1/tasks", {"title": "Follow up", "priority": 3})
    assert created.status_code == 201, created.content
    task_id = created.json()["id"]
    assert created.json()["assignee"]["username"] == "sales1"
    done = client.patch(
        f"/api/v1/tasks/{task_id}", {"status": "done"}, content_type="application/json"
    )
    assert done.json()["status"] == "done" and done.json()["completed_at"]
    reopened = client.patch(
        f"/api/v1/tasks/{task_id}", {"status": "open"}, content_type="application/json"
    )
    assert reopened.json()["status"] == "open"
    moved = client.patch(
        f"/api/v1/tasks/{task_id}", {"assignee": sales2.pk}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.content
    assert Task.objects.get(pk=task_id).assignee == sales2


def test_tasks_of_others_are_404(api_client, sales1, sales2) -> None:
    task = TaskFactory(assignee=sales1, title="Mine")
    client = api_client(sales2)
    problem_of(client.get(f"/api/v1/tasks/{task.pk}"), 404)
    problem_of(
        client.patch(
            f"/api/v1/tasks/{task.pk}", {"status": "done"}, content_type="application/json"
        ),
        404,
    )
    task.refresh_from_db()
    assert task.status == "open"
    assert client.get("/api/v1/tasks").json()["items"] == []


def test_task_for_a_hidden_customer_or_unknown_user_is_404(api_client, sales1, sales2) -> None:
    hidden = CustomerFactory(owner=sales1)
    client = api_client(sales2)
    problem = problem_of(post(client, "/api/v1/tasks", {"title": "x", "customer": hidden.pk}), 404)
    assert fields_of(problem) == {"customer"}
    problem = problem_of(post(client, "/api/v1/tasks", {"title": "x", "assignee": 999999}), 404)
    assert fields_of(problem) == {"assignee"}
    assert not Task.objects.exists()


def test_task_filters(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    TaskFactory(assignee=sales1, customer=customer, title="About customer")
    TaskFactory(assignee=sales1, title="Done", status="done")
    client = api_client(sales1)

    def titles(query: str) -> set[str]:
        return {t["title"] for t in client.get(f"/api/v1/tasks?{query}").json()["items"]}

    assert titles(f"customer={customer.pk}") == {"About customer"}
    assert titles("open=true") == {"About customer"}
    assert titles("open=false") == {"Done"}
    assert titles("status=done") == {"Done"}


# --- products -------------------------------------------------------------------------


def test_products(api_client, manager, sales1) -> None:
    client = api_client(manager)
    created = post(
        client,
        "/api/v1/products",
        {"sku": "P-1", "name": "Widget", "unit_price": {"amount": "12.50", "currency": "USD"}},
    )
    assert created.status_code == 201, created.content
    assert created.json()["unit_price"] == {"amount": "12.50", "currency": "USD"}
    duplicate = post(
        client,
        "/api/v1/products",
        {"sku": "P-1", "name": "Again", "unit_price": {"amount": "1", "currency": "USD"}},
    )
    assert fields_of(problem_of(duplicate, 400)) == {"sku"}
    assert [p["sku"] for p in client.get("/api/v1/products?q=widg").json()["items"]] == ["P-1"]
    # A sales rep may not add to the catalog.
    problem_of(
        post(
            api_client(sales1),
            "/api/v1/products",
            {"sku": "P-2", "name": "No", "unit_price": {"amount": "1", "currency": "USD"}},
        ),
        403,
    )


def test_product_needs_a_full_access_token(api_client, manager) -> None:
    response = post(
        api_client(manager, ["products:read"]),
        "/api/v1/products",
        {"sku": "P-3", "name": "No", "unit_price": {"amount": "1", "currency": "USD"}},
    )
    problem_of(response, 403)
    product = create_product(actor=manager, sku="P-4", name="Read me", unit_price=Decimal(1))
    assert (
        api_client(manager, ["products:read"]).get(f"/api/v1/products/{product.pk}").status_code
        == 200
    )
