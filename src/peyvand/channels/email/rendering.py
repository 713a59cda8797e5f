"""Personalisation of email templates: `{{ token }}` or `{{ token | fallback }}`.

Only the tokens below exist (no attribute access, no template language: the text is
staff-authored but must not reach into the database). In the HTML part every substituted
value, and the template's own text, is escaped; the HTML is built from the text, so no
markup typed into a template or a customer's name can reach a mail client as markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _

# Dotted names ("customer.name") are the tokens of ticket macros (peyvand.service.macros).
TOKEN_RE = re.compile(r"\{\{\s*([a-z_][a-z_.]*)\s*(?:\|\s*(.*?)\s*)?\}\}")
TOKENS = ("first_name", "last_name", "name", "organization", "email", "agent")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def context_for(customer: Any, *, recipient: str, actor: Any) -> dict[str, str]:
    agent = ""
    if getattr(actor, "is_authenticated", False):
        agent = actor.get_full_name() or actor.get_username()
    return {
        "first_name": getattr(customer, "first_name", "") or "",
        "last_name": getattr(customer, "last_name", "") or "",
        "name": getattr(customer, "display_name", "") or "",
        "organization": getattr(customer, "organization_name", "") or "",
        "email": recipient,
        "agent": agent,
    }


def check_tokens(text: str, field: str, known: tuple[str, ...] = TOKENS) -> None:
    """Refuse a template that names a token we do not know (a typo would go out verbatim)."""
    unknown = sorted({m.group(1) for m in TOKEN_RE.finditer(text)} - set(known))
    if unknown:
        raise ValidationError(
            {
                field: _("Unknown personalisation token: %(tokens)s. Known tokens: %(known)s.")
                % {"tokens": ", ".join(unknown), "known": ", ".join(known)}
            }
        )


def substitute(text: str, context: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        value = context.get(match.group(1), "").strip()
        return value or (match.group(2) or "")

    return TOKEN_RE.sub(replace, text)


def text_to_html(
    text: str,
    *,
    direction: str,
    paragraph: Callable[[str], str] = escape,
    end: str = "",
) -> str:
    """The HTML part of a text. `paragraph` turns one paragraph into safe HTML (escaping it;
    tracking also makes its links anchors); `end` is markup put before </body>."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    body = "".join(
        "<p>" + paragraph(p.strip()).replace("\n", "<br>\n") + "</p>\n" for p in paragraphs
    )
    return (
        f'<!doctype html><html dir="{direction}"><head><meta charset="utf-8"></head>'
        f'<body dir="{direction}">\n{body}{end}</body></html>'
    )


def render(
    subject: str, body: str, context: dict[str, str], *, signature: str, language: str
) -> Rendered:
    text = substitute(body, context).strip()
    if signature.strip():
        text = f"{text}\n\n-- \n{signature.strip()}"
    # A subject is one line: a newline in a value would be refused by the mail library.
    subject_line = " ".join(substitute(subject, context).split())
    direction = "rtl" if language == "fa" else "ltr"
    return Rendered(subject=subject_line, text=text, html=text_to_html(text, direction=direction))
