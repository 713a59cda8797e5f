"""The OpenAPI document is valid and describes every request, response and problem."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

PROBLEM = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
def schema() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]


def test_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate(schema)


def test_the_required_endpoints_exist(schema: dict[str, Any]) -> None:
    paths = {(path, method) for path, method, _op in operations(schema)}
    for expected in [
        ("/api/v1/customers", "get"),
        ("/api/v1/customers", "post"),
        ("/api/v1/customers/search", "get"),
        ("/api/v1/customers/{customer_id}", "get"),
        ("/api/v1/customers/{customer_id}", "patch"),
        ("/api/v1/customers/{customer_id}", "delete"),
        ("/api/v1/customers/{customer_id}/timeline", "get"),
        ("/api/v1/interactions", "post"),
        ("/api/v1/interactions", "get"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders/{order_id}", "get"),
        ("/api/v1/orders/{order_id}/payments", "post"),
        ("/api/v1/products", "get"),
        ("/api/v1/products", "post"),
        ("/api/v1/tasks", "get"),
        ("/api/v1/tasks", "post"),
        ("/api/v1/tasks/{task_id}", "patch"),
        ("/api/v1/me", "get"),
    ]:
        assert expected in paths


def test_every_operation_is_typed_and_documents_its_problems(schema: dict[str, Any]) -> None:
    for path, method, op in operations(schema):
        if path.startswith("/api/v1/public/"):
            continue  # anonymous by design: see test_public_endpoints_are_anonymous
        success = [code for code in op["responses"] if str(code).startswith("2")]
        assert success, (path, method)
        for code in success:
            if str(code) != "204":
                assert op["responses"][code]["content"]["application/json"]["schema"], path
        assert op["security"], (path, method)
        for code in ("401", "403"):
            content = op["responses"][code]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM}}
        if "{" in path:
            assert "404" in op["responses"], path
        if "requestBody" in op:
            assert "422" in op["responses"] and "400" in op["responses"], path
            body_schema = op["requestBody"]["content"]["application/json"]["schema"]
            name = body_schema["$ref"].rsplit("/", 1)[1]
            assert schema["components"]["schemas"][name]["additionalProperties"] is False
        if method == "post":
            names = {p["name"] for p in op["parameters"]}
            assert "Idempotency-Key" in names, path


def test_public_endpoints_are_anonymous(schema: dict[str, Any]) -> None:
    public = [(p, m, op) for p, m, op in operations(schema) if p.startswith("/api/v1/public/")]
    assert public
    for _path, _method, op in public:
        assert not op.get("security")
        for code in ("400", "404", "413", "429"):
            assert op["responses"][code]["content"] == {
                "application/problem+json": {"schema": PROBLEM}
            }


def test_scopes_are_documented(schema: dict[str, Any]) -> None:
    op = schema["paths"]["/api/v1/customers"]["post"]
    assert op["x-required-scope"] == "customers:write"
    assert "customers:write" in op["description"]


def test_problem_schema(schema: dict[str, Any]) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "instance", "errors"} <= set(problem["properties"])
