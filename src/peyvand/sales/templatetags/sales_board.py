"""The Kanban board's cards, drawn in Python: a board shows a hundred cards and the same
markup through the template language cost several milliseconds each (two URL reversals,
a stage list and a dozen localised numbers per card), most of the page's time. Plain
f-strings with `html.escape` on every piece of user text: `format_html` alone doubled
the cost."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from peyvand.core.templatetags.peyvand import amount, jdate
from peyvand.sales.models import Opportunity, Stage

register = template.Library()


def _url_maker(name: str) -> Any:
    """`reverse(name, args=[pk])` for many pks from one reversal."""
    head, _sep, tail = reverse(name, args=[0]).rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


@register.simple_tag(takes_context=True)
def board_cards(
    context: template.Context,
    cards: Sequence[Opportunity],
    stage: Stage,
    stages: Sequence[Stage],
    can_move: bool,
    moved: int | None = None,
) -> SafeString:
    """The `<li>` of each card of one column (`stage`); with `can_move`, each card is
    draggable and carries a "Move to" form that works without JavaScript."""
    move_url = _url_maker("sales:opportunity_move")
    detail_url = _url_maker("sales:opportunity_detail")
    csrf = escape(str(context.get("csrf_token", "")))
    # Every card of a column sits in the same stage: one list of options serves them all.
    options = "".join(
        f'<option value="{option.pk}"{" selected" if option.pk == stage.pk else ""}>'
        f"{escape(str(option))}</option>"
        for option in stages
    )
    close_word, move_to, move = (escape(_(w)) for w in ("Close", "Move to", "Move"))
    items = []
    for card in cards:
        pk, title = card.pk, escape(card.title)
        close = (
            f'<span class="muted">{close_word}: {escape(jdate(card.expected_close_date))}</span>'
            if card.expected_close_date
            else ""
        )
        attributes = form = ""
        if can_move:
            attributes = f' draggable="true" data-move-url="{move_url(pk)}"'
            form = (
                f'<form method="post" action="{move_url(pk)}" class="move-form">'
                f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                '<input type="hidden" name="return_to" value="board">'
                f'<label for="move-{pk}">{move_to}<span class="sr-only"> ({title})</span></label>'
                f'<select id="move-{pk}" name="stage">{options}</select>'
                f'<button type="submit">{move}</button></form>'
            )
        if moved == pk:
            text = _("%(title)s moved to %(stage)s.") % {"title": card.title, "stage": stage}
            attributes += f' data-moved data-moved-text="{escape(text)}"'
        items.append(
            f'<li class="kanban-card" id="opportunity-{pk}" tabindex="0" '
            f'aria-labelledby="card-{pk}"{attributes}>'
            f'<a id="card-{pk}" class="card-title" href="{detail_url(pk)}">{title}</a>'
            f'<span class="muted">{escape(card.customer.display_name)}</span>'
            f'<span class="card-amount">{escape(amount(card.amount))}</span>{close}{form}</li>'
        )
    # Every piece of user text above went through escape().
    return mark_safe("".join(items))  # noqa: S308
