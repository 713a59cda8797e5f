"""Turns ninja's plain-text 405 into problem+json, so every API error has one shape."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _

from peyvand.core.problems import problem

API_PREFIX = "/api/"


class ApiMethodNotAllowedMiddleware:
    # ninja answers a known path with an unknown method itself, before any of our
    # exception handlers run; this is the only place that response can be reshaped.
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if isinstance(response, HttpResponseNotAllowed) and request.path.startswith(API_PREFIX):
            reshaped = problem(
                request,
                405,
                _("Method not allowed"),
                detail=_("This endpoint accepts: %(methods)s.") % {"methods": response["Allow"]},
            )
            reshaped["Allow"] = response["Allow"]
            return reshaped
        return response
