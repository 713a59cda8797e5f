"""The NinjaAPI of Peyvand: problem+json errors, Idempotency-Key, and an OpenAPI document
that says both (ninja describes only the success responses by itself)."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from peyvand.core.api.auth import API_AUTH
from peyvand.core.api.errors import install_problem_handlers
from peyvand.core.api.idempotency import HEADER, idempotent
from peyvand.core.api.schemas import Problem
from peyvand.core.problems import PROBLEM_CONTENT_TYPE

_REF = "#/components/schemas/{model}"

_IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Any unique string (a UUID). A retry with the same key and body within 24 hours "
        "gets the first response again, marked `Idempotent-Replayed: true`, and does not "
        "run twice; the same key with another body is refused with 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}},
    }


def _document_problems(schema: OpenAPISchema) -> None:
    definitions = Problem.model_json_schema(ref_template=_REF)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions.pop("$defs", {}))
    components["Problem"] = definitions
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            errors: dict[int, str] = {}
            if operation.get("security"):
                errors[401] = "Missing, invalid, revoked or expired credentials."
                errors[403] = "The token lacks the scope, or the role lacks the action."
            if "{" in path:
                errors[404] = "No such record, or it is outside what the caller may see."
            if operation.get("parameters") or operation.get("requestBody"):
                errors[422] = "Invalid input: see `errors` for each field."
            if operation.get("requestBody"):
                errors[400] = "The body is not valid JSON."
            if method == "post":
                errors[409] = "A request with the same Idempotency-Key is still running."
                operation.setdefault("parameters", []).append(dict(_IDEMPOTENCY_PARAMETER))
            for status, description in errors.items():
                responses.setdefault(status, _problem_response(description))


class PeyvandAPI(NinjaAPI):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(auth=API_AUTH, **kwargs)
        install_problem_handlers(self)
        self.add_decorator(idempotent, mode="view")

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _document_problems(schema)
        return schema
