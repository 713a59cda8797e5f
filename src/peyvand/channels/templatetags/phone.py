"""Click-to-call in templates: `{{ number|tel }}` is a tel: link with the number shown in
the reader's digits; `{% call_via_pbx number %}` adds the "call via PBX" button when a PBX is
configured."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from peyvand.core.text import normalize_phone, to_persian_digits

register = template.Library()


@register.filter
def tel(value: Any) -> SafeString | str:
    """A tel: link for a phone number (E.164 in the href); the text unchanged if it is not one."""
    text = "" if value is None else str(value)
    number = normalize_phone(text)
    if not number:
        return text
    shown = to_persian_digits(number) if (get_language() or "").startswith("fa") else number
    return format_html(
        '<a class="ltr tel" href="tel:{}" dir="ltr" data-number="{}">{}</a>', number, number, shown
    )


@register.simple_tag(takes_context=True)
def call_via_pbx(context: dict[str, Any], value: Any) -> SafeString | str:
    number = normalize_phone("" if value is None else str(value))
    request = context.get("request")
    if not number or request is None or not settings.PEYVAND_VOICE_CLICK_TO_CALL_URL:
        return ""
    return format_html(
        '<form method="post" action="{}" class="inline">'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<input type="hidden" name="number" value="{}">'
        '<input type="hidden" name="next" value="{}">'
        '<button type="submit" class="link">{}</button></form>',
        reverse("interactions:call_via_pbx"),
        get_token(request),
        number,
        request.get_full_path(),
        _("Call via PBX"),
    )
