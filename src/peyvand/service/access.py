"""Who may read and write the knowledge base: roles granted `kb_article` actions; `publish`
is the reviewer's right. Staff without any grant get 404 for its screens."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from peyvand.access.scopes import can, get_for
from peyvand.service.models import Article, Ticket
from peyvand.service.models.kb import OBJECT_TYPE
from peyvand.service.models.tickets import TICKET_OBJECT_TYPE


def require_kb(user: Any, action: str = "view") -> None:
    if not can(user, OBJECT_TYPE, action):
        raise Http404


def require_tickets(user: Any, action: str = "view") -> None:
    """Staff without the ticket right get 404 for the ticket screens and reports."""
    if not can(user, TICKET_OBJECT_TYPE, action):
        raise Http404


def get_article_for(user: Any, pk: Any, action: str = "view") -> Article:
    require_kb(user, action)
    return get_object_or_404(Article.objects.select_related("category", "author"), pk=pk)


def get_public_article(pk: Any) -> Article:
    """A published public article or 404: internal and unpublished ones do not exist here."""
    return get_object_or_404(Article, pk=pk, status="published", visibility="public")


def get_ticket_for(user: Any, pk: Any, action: str = "view") -> Ticket:
    """The ticket if the user may do `action` on it, else 404 (missing or not theirs)."""
    return get_for(
        user,
        Ticket.objects.select_related(
            "customer", "assignee", "queue", "agreement", "sla_policy", "parent"
        ),
        pk,
        action,
    )
