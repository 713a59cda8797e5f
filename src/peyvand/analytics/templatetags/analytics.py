"""The value panel of the customer 360 page: `{% customer_value_panel customer %}`."""

from __future__ import annotations

from typing import Any

from django import template

from peyvand.analytics.selectors import customer_value
from peyvand.core.templatetags.peyvand import digits

register = template.Library()


@register.inclusion_tag("analytics/partials/customer_value.html")
def customer_value_panel(customer: Any) -> dict[str, Any]:
    # The 360 view fetched the customer through get_customer_for: it is visible to the reader.
    return customer_value(customer)


@register.filter
def percent(value: float | None) -> str:
    """0.734 → "73%" (Persian digits in Persian)."""
    if value is None:
        return "—"
    return digits(f"{100 * float(value):.0f}%")


@register.filter
def percent_precise(value: float) -> str:
    """0.01 → "1.0%"."""
    return digits(f"{100 * float(value):.1f}%")
