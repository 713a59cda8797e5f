"""Display of exact decimals (rates, quantities) without trailing zeros or exponents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

from peyvand.core.templatetags.peyvand import digits

register = template.Library()


@register.filter
def plain(value: Any) -> str:
    """600000.0000000000 -> 600000, 1.5000 -> 1.5, in the reader's digits."""
    if value is None or value == "":
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    text = format(number.normalize(), "f")
    return digits(text)
