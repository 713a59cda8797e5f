"""The "add a line" step shared by the order and quote forms (HTMX)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peyvand.sales.forms import MAX_LINES


def extra_line(request: HttpRequest, make_line: Callable[[str], forms.Form]) -> HttpResponse:
    """One more empty line (built by `make_line(prefix)`) and the formset's new line count;
    nothing once the form holds MAX_LINES."""
    try:
        index = int(request.GET.get("lines-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    if not 0 <= index < MAX_LINES:
        return HttpResponse(status=204)
    return render(
        request,
        "sales/partials/order_line.html",
        {"line": make_line(f"lines-{index}"), "index": index, "total": index + 1, "oob": True},
    )
