"""Small helpers shared by the access tests."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import translation

from peyvand.audit.models import ChangeLog


def audit_rows(obj: models.Model) -> list[ChangeLog]:
    """Change-log rows about one object, oldest first."""
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk)
        ).order_by("seq")
    )


def form_errors(response: Any, field: str, form: str = "form") -> list[str]:
    return list(response.context[form].errors.get(field, []))


def in_language(language: str, message: str) -> str:
    """`message` as a user with that UI language sees it."""
    with translation.override(language):
        return translation.gettext(message)
