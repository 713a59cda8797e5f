"""The Kanban board's cards, drawn in Python: a board shows a hundred cards and the same
markup through the template language cost several milliseconds each (two URL reversals,
a stage list and a dozen localised numbers per card), most of the page's time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
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
    csrf = str(context.get("csrf_token", ""))
    # Every card of a column sits in the same stage: one list of options serves them all.
    options = format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((option.pk, " selected" if option.pk == stage.pk else "", option) for option in stages),
    )
    words = {"close": _("Close"), "move_to": _("Move to"), "move": _("Move")}
    items = []
    for card in cards:
        pk = card.pk
        close = (
            format_html(
                '<span class="muted">{}: {}</span>', words["close"], jdate(card.expected_close_date)
            )
            if card.expected_close_date
            else ""
        )
        attributes = ""
        form = ""
        if can_move:
            attributes = format_html(' draggable="true" data-move-url="{}"', move_url(pk))
            form = format_html(
                '<form method="post" action="{url}" class="move-form">'
                '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                '<input type="hidden" name="return_to" value="board">'
                '<label for="move-{pk}">{move_to}<span class="sr-only"> ({title})</span></label>'
                '<select id="move-{pk}" name="stage">{options}</select>'
                '<button type="submit">{move}</button></form>',
                url=move_url(pk), csrf=csrf, pk=pk, move_to=words["move_to"], title=card.title,
                options=options, move=words["move"],
            )  # fmt: skip
        if moved == pk:
            text = _("%(title)s moved to %(stage)s.") % {"title": card.title, "stage": stage}
            attributes += format_html(' data-moved data-moved-text="{}"', text)
        items.append(
            format_html(
                '<li class="kanban-card" id="opportunity-{pk}" tabindex="0" '
                'aria-labelledby="card-{pk}"{attributes}>'
                '<a id="card-{pk}" class="card-title" href="{detail}">{title}</a>'
                '<span class="muted">{customer}</span>'
                '<span class="card-amount">{amount}</span>{close}{form}</li>',
                pk=pk, attributes=attributes, detail=detail_url(pk), title=card.title,
                customer=card.customer.display_name, amount=amount(card.amount), close=close,
                form=form,
            )  # fmt: skip
        )
    return SafeString("".join(items))
