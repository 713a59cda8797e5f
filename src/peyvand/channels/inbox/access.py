"""Fetch-and-authorise for the inbox: 404 for a conversation that is missing *and* for one
the user may not see."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can
from peyvand.channels.inbox.models import Conversation
from peyvand.channels.inbox.selectors import visible_conversations


def get_conversation_for(user: Any, pk: Any, action: str = "view") -> Conversation:
    try:
        conversation = (
            visible_conversations(user)
            .select_related("customer", "assignee", "department")
            .get(pk=pk)
        )
    except (Conversation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if action != "view" and not can(user, ObjectType.INTERACTION, action):
        raise PermissionDenied
    return conversation


def may_see_conversation(user: Any, pk: int) -> bool:
    return visible_conversations(user).filter(pk=pk).exists()
