"""Every error is RFC 9457 problem+json with per-field errors, and bad input changes nothing."""

from __future__ import annotations

import pytest
from django.utils import translation

from peyvand.customers.models import Customer
from tests.api.conftest import fields_of, problem_of
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_wrong_types_name_each_field(api_client, sales1) -> None:
    response = api_client(sales1).post(
        "/api/v1/orders",
        {
            "customer": "not-a-number",
            "currency": "IRR",
            "lines": [{"quantity": "lots", "unit_price": "12"}],
        },
        content_type="application/json",
    )
    problem = problem_of(response, 422)
    assert fields_of(problem) == {"customer", "lines.0.quantity"}
    codes = {e["field"]: e["code"] for e in problem["errors"]}
    assert codes["customer"] == "int_parsing"
    assert all(e["message"] for e in problem["errors"])


def test_missing_field_is_reported_in_the_callers_language(api_client, sales1, sales2) -> None:
    problem = problem_of(
        api_client(sales2).post("/api/v1/tasks", {}, content_type="application/json"), 422
    )
    assert problem["errors"] == [
        {"field": "title", "message": "This field is required.", "code": "missing"}
    ]
    speak_persian(sales1)
    persian = problem_of(
        api_client(sales1).post("/api/v1/tasks", {}, content_type="application/json"), 422
    )
    assert persian["errors"][0]["field"] == "title"
    with translation.override("fa"):
        expected = translation.gettext("This field is required.")
    assert expected != "This field is required."
    assert persian["errors"][0]["message"] == expected


@pytest.mark.parametrize("field", ["owner", "department", "id", "deleted_at", "search_text"])
def test_no_mass_assignment_on_create(api_client, sales1, sales2, field: str) -> None:
    value = sales2.pk if field in {"owner", "id"} else 1
    response = api_client(sales1).post(
        "/api/v1/customers",
        {"display_name": "Mass", field: value},
        content_type="application/json",
    )
    problem = problem_of(response, 422)
    assert problem["errors"][0] == {
        "field": field,
        "message": "Unknown field: it cannot be set here.",
        "code": "extra_forbidden",
    }
    assert not Customer.objects.exists()


def test_no_mass_assignment_on_update(api_client, sales1, sales2) -> None:
    customer = CustomerFactory(owner=sales1, display_name="Mine")
    response = api_client(sales1).patch(
        f"/api/v1/customers/{customer.pk}",
        {"display_name": "Changed", "owner": sales2.pk, "id": 999},
        content_type="application/json",
    )
    assert fields_of(problem_of(response, 422)) == {"owner", "id"}
    customer.refresh_from_db()
    assert (customer.display_name, customer.owner_id, customer.pk) == (
        "Mine",
        sales1.pk,
        customer.pk,
    )


def test_malformed_json_is_400(api_client, sales1) -> None:
    response = api_client(sales1).post(
        "/api/v1/customers", '{"display_name": ', content_type="application/json"
    )
    assert "JSON" in problem_of(response, 400)["detail"]
    assert not Customer.objects.exists()


def test_json_that_is_not_an_object_is_422(api_client, sales1) -> None:
    response = api_client(sales1).post(
        "/api/v1/customers", "[1, 2]", content_type="application/json"
    )
    problem_of(response, 422)


def test_service_validation_errors_become_field_problems(api_client, sales1) -> None:
    response = api_client(sales1).post(
        "/api/v1/customers",
        {"display_name": "X", "contact_points": [{"kind": "email", "value": "not an email"}]},
        content_type="application/json",
    )
    problem = problem_of(response, 422)
    assert fields_of(problem) == {"contact_points.0.value"}
    assert not Customer.objects.exists()


def test_service_error_keeps_its_status_and_field(api_client, sales1) -> None:
    customer = CustomerFactory(owner=sales1)
    response = api_client(sales1).post(
        "/api/v1/orders",
        {"customer": customer.pk, "currency": "XXX", "lines": [{"unit_price": "1"}]},
        content_type="application/json",
    )
    problem = problem_of(response, 400)
    assert fields_of(problem) == {"currency"}


def test_unknown_path_and_record_are_404_problems(api_client, sales1) -> None:
    client = api_client(sales1)
    problem_of(client.get("/api/v1/no-such-thing"), 404)
    problem_of(client.get("/api/v1/customers/999999"), 404)
    assert fields_of(problem_of(client.get("/api/v1/customers/not-a-number"), 422)) == {
        "customer_id"
    }


def test_messages_follow_the_language(api_client, sales2) -> None:
    response = api_client(sales2).get("/api/v1/customers/999999", headers={"Accept-Language": "fa"})
    assert response["Content-Language"] == "fa"
    assert problem_of(response, 404)["title"]


def test_invalid_query_parameters_are_422(api_client, sales1) -> None:
    client = api_client(sales1)
    assert fields_of(problem_of(client.get("/api/v1/customers?limit=201"), 422)) == {"limit"}
    assert fields_of(problem_of(client.get("/api/v1/customers?limit=0"), 422)) == {"limit"}
    assert fields_of(problem_of(client.get("/api/v1/customers?kind=robot"), 422)) == {"kind"}


def test_wrong_method_is_a_problem_naming_the_allowed_ones(api_client, sales1) -> None:
    response = api_client(sales1).delete("/api/v1/customers/search?q=x")
    problem = problem_of(response, 405)
    assert response["Allow"] == "GET"
    assert "GET" in problem["detail"]
    assert Customer.objects.count() == 0


def test_wrong_method_is_explained_in_the_callers_language(api_client, sales1) -> None:
    # ninja answers before authentication, so the browser's language is what is known.
    response = api_client(sales1).put("/api/v1/me", headers={"Accept-Language": "fa"})
    problem = problem_of(response, 405)
    with translation.override("fa"):
        assert problem["title"] == translation.gettext("Method not allowed")
    assert problem["title"] != "Method not allowed"
