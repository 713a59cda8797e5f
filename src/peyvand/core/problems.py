"""RFC 9457 problem+json: the one shape of every API error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def problem(
    request: HttpRequest | None,
    status: int,
    title: str,
    *,
    detail: str = "",
    type_: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> JsonResponse:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.get_full_path()
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JsonResponse(
        body,
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


class ServiceError(Exception):
    """A business rule refused the change. Views turn it into a form or problem+json error."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class Conflict(ServiceError):
    status = 409


def add_form_errors(form: Any, exc: ValidationError | ServiceError) -> None:
    """Show what a service refused on the form that asked for it: each message on its field
    when the form has one, otherwise at the top of the form."""
    if isinstance(exc, ServiceError):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
