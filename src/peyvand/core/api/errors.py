"""Every API error as RFC 9457 problem+json, with per-field messages in the caller's language."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from peyvand.core.problems import ServiceError, problem

logger = logging.getLogger("django.request")

# Titles are the HTTP reason phrases, so `type` can stay "about:blank" (RFC 9457 §4.2.1).
TITLES: dict[int, Any] = {
    400: gettext_lazy("Bad request"),
    401: gettext_lazy("Unauthorized"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not found"),
    405: gettext_lazy("Method not allowed"),
    409: gettext_lazy("Conflict"),
    422: gettext_lazy("Unprocessable content"),
    429: gettext_lazy("Too many requests"),
    500: gettext_lazy("Internal server error"),
}

# pydantic's messages are English only; these are the ones API clients actually meet.
_MESSAGES: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "extra_forbidden": gettext_lazy("Unknown field: it cannot be set here."),
    "string_type": gettext_lazy("Enter text."),
    "string_too_short": gettext_lazy("Enter at least %(min_length)s characters."),
    "string_too_long": gettext_lazy("Enter at most %(max_length)s characters."),
    "string_pattern_mismatch": gettext_lazy("Enter a valid value."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_type": gettext_lazy("Enter a number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_max_digits": gettext_lazy("Enter at most %(max_digits)s digits."),
    "decimal_max_places": gettext_lazy("Enter at most %(decimal_places)s decimal places."),
    "decimal_whole_digits": gettext_lazy("Enter at most %(whole_digits)s digits before the point."),
    "greater_than": gettext_lazy("Enter a value greater than %(gt)s."),
    "greater_than_equal": gettext_lazy("Enter a value of at least %(ge)s."),
    "less_than": gettext_lazy("Enter a value less than %(lt)s."),
    "less_than_equal": gettext_lazy("Enter a value of at most %(le)s."),
    "bool_type": gettext_lazy("Enter true or false."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "datetime_type": gettext_lazy("Enter a date and time (ISO 8601)."),
    "datetime_parsing": gettext_lazy("Enter a date and time (ISO 8601)."),
    "datetime_from_date_parsing": gettext_lazy("Enter a date and time (ISO 8601)."),
    "timezone_aware": gettext_lazy("Give the time zone of this date and time."),
    "date_type": gettext_lazy("Enter a date (YYYY-MM-DD)."),
    "date_parsing": gettext_lazy("Enter a date (YYYY-MM-DD)."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date (YYYY-MM-DD)."),
    "date_from_datetime_inexact": gettext_lazy("Enter a date (YYYY-MM-DD)."),
    "enum": gettext_lazy("Choose one of: %(expected)s."),
    "literal_error": gettext_lazy("Choose one of: %(expected)s."),
    "list_type": gettext_lazy("Enter a list."),
    "too_short": gettext_lazy("Enter at least %(min_length)s items."),
    "too_long": gettext_lazy("Enter at most %(max_length)s items."),
    "dict_type": gettext_lazy("Enter an object."),
    "model_type": gettext_lazy("Enter an object."),
    "model_attributes_type": gettext_lazy("Enter an object."),
    "uuid_parsing": gettext_lazy("Enter a valid UUID."),
    "url_parsing": gettext_lazy("Enter a valid URL."),
    "cursor_invalid": gettext_lazy("This cursor does not belong to this list; start without it."),
}

_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_path(loc: Iterable[Any]) -> str:
    """("body", "payload", "lines", 0, "quantity") -> "lines.0.quantity"."""
    parts = list(loc)
    if parts and parts[0] in _SOURCES:
        source = parts.pop(0)
        # ninja nests a body under the view's parameter name, which clients never see.
        if source == "body" and parts:
            parts.pop(0)
    return ".".join(str(p) for p in parts)


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = dict(error.get("ctx") or {})
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    template = _MESSAGES.get(kind)
    if template is None:
        return str(error.get("msg", _("Invalid value.")))
    try:
        return str(template) % ctx
    except (KeyError, TypeError, ValueError):
        return str(error.get("msg", _("Invalid value.")))


def field_errors_from_pydantic(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"field": field_path(e.get("loc", ())), "message": _message(e), "code": e.get("type")}
        for e in errors
    ]


def field_errors_from_django(exc: DjangoValidationError) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                message = error.message % error.params if error.params else error.message
                result.append(
                    {
                        "field": None if field == "__all__" else field,
                        "message": str(message),
                        "code": error.code or "invalid",
                    }
                )
        return result
    for error in exc.error_list:
        message = error.message % error.params if error.params else error.message
        result.append({"field": None, "message": str(message), "code": error.code or "invalid"})
    return result


def validation_problem(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    return problem(
        request,
        422,
        str(TITLES[422]),
        detail=_("The request has invalid fields; nothing was changed."),
        errors=errors,
    )


def _on_ninja_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return validation_problem(request, field_errors_from_pydantic(exc.errors))


def _on_django_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return validation_problem(request, field_errors_from_django(exc))


def _on_service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    errors = [{"field": exc.field, "message": exc.message, "code": exc.code}]
    if exc.status == 422:
        return validation_problem(request, errors)
    return problem(
        request,
        exc.status,
        str(TITLES.get(exc.status, TITLES[400])),
        detail=exc.message,
        errors=errors if exc.field else None,
        code=exc.code,
    )


def _on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(
        request, 404, str(TITLES[404]), detail=_("There is no such record, or it is not yours.")
    )


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem(
        request,
        401,
        str(TITLES[401]),
        detail=_("Send a valid API token as “Authorization: Bearer <token>”, or sign in."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="peyvand"'
    return response


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    detail = str(exc.message)
    if exc.status_code == 400 and detail == "Cannot parse request body":
        detail = _("The request body is not valid JSON.")
    elif exc.status_code == 403 and detail == "Forbidden":
        detail = _("You are not allowed to do this.")
    return problem(
        request, exc.status_code, str(TITLES.get(exc.status_code, TITLES[400])), detail=detail
    )


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    # Error reporters (and Django's test client) listen for this signal.
    got_request_exception.send(sender=None, request=request)
    return problem(request, 500, str(TITLES[500]), detail=_("Something went wrong on our side."))


_HANDLERS: dict[type[Exception], Callable[..., HttpResponse]] = {
    NinjaValidationError: _on_ninja_validation,
    DjangoValidationError: _on_django_validation,
    ServiceError: _on_service_error,
    Http404: _on_404,
    AuthenticationError: _on_authentication,
    HttpError: _on_http_error,
    Exception: _on_unexpected,
}


def install_problem_handlers(api: NinjaAPI) -> None:
    for exc_class, handler in _HANDLERS.items():
        api.add_exception_handler(exc_class, handler)


def not_found(request: HttpRequest, unmatched: str) -> HttpResponse:
    """Any /api/v1 path no endpoint answers: a 404 problem rather than an HTML page."""
    return _on_404(request, Http404())
