from __future__ import annotations

from typing import Any

from django import template

from peyvand.core.templatetags.peyvand import digits

register = template.Library()


@register.filter
def percent(fraction: Any) -> str:
    """0.123 → 12.3% in the reader's digits."""
    if fraction is None or fraction == "":
        return "—"
    return digits(f"{100 * float(fraction):.1f}%")
