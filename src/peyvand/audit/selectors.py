"""Read side of the audit app: change-log pages, per-field history, the recycle bin."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import diff


def field_label(model: type[models.Model] | None, attname: str) -> str:
    """The translated verbose name of a field given its attname ("owner_id" -> "owner")."""
    if model is None:
        return attname
    for name in (attname, attname.removesuffix("_id")):
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        return str(getattr(model_field, "verbose_name", name))
    return attname


def display_value(value: Any) -> str:
    """A before/after value as text; the template escapes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    row: ChangeLog
    model: type[models.Model] | None
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return str(self.model._meta.verbose_name) if self.model is not None else ""


def field_changes(row: ChangeLog, model: type[models.Model] | None) -> list[FieldChange]:
    return [
        FieldChange(name, field_label(model, name), display_value(old), display_value(new))
        for name, (old, new) in diff(row.before, row.after).items()
    ]


def _model_of(content_type_model: type[models.Model] | str) -> type[models.Model]:
    if isinstance(content_type_model, str):
        return apps.get_model(content_type_model)
    return content_type_model


def field_history(
    *,
    content_type_model: type[models.Model] | str,
    object_id: Any,
    customer_id: int | None = None,
    exclude_models: Iterable[type[models.Model]] = (),
    limit: int = 100,
) -> list[HistoryEntry]:
    """The newest changes of one object, field by field, newest first.

    With `customer_id`, every change recorded against that customer is included too
    (contact points, consents, interactions...), which is what the customer page shows.
    `content_type_model` is a model class or an "app_label.Model" label.
    """
    model = _model_of(content_type_model)
    own_type = ContentType.objects.get_for_model(model)
    condition = models.Q(content_type=own_type, object_id=str(object_id))
    if customer_id is not None:
        condition |= models.Q(customer_id=customer_id)
    qs = ChangeLog.objects.filter(condition)
    excluded = list(ContentType.objects.get_for_models(*exclude_models).values())
    if excluded:
        qs = qs.exclude(content_type__in=excluded)
    rows = list(qs.select_related("actor").order_by("-seq")[:limit])
    entries = []
    for row in rows:
        row_model = ContentType.objects.get_for_id(row.content_type_id).model_class()
        entries.append(HistoryEntry(row, row_model, field_changes(row, row_model)))
    return entries


# --- the change-log page ------------------------------------------------------------------


def change_log(filters: dict[str, Any]) -> models.QuerySet[ChangeLog]:
    """Change-log rows matching cleaned filter values, newest first."""
    qs = ChangeLog.objects.select_related("actor", "content_type").order_by("-seq")
    if filters.get("content_type"):
        qs = qs.filter(content_type=filters["content_type"])
    if filters.get("object_id"):
        qs = qs.filter(object_id=filters["object_id"])
    if filters.get("actor"):
        qs = qs.filter(actor=filters["actor"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("since"):
        qs = qs.filter(at__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__lt=filters["until"])
    if filters.get("customer_id"):
        qs = qs.filter(customer_id=filters["customer_id"])
    return qs


@dataclass
class Page:
    """One page of keyset pagination over `seq`: no COUNT over millions of rows."""

    rows: list[ChangeLog]
    older_than: int | None


def keyset_page(qs: models.QuerySet[ChangeLog], *, before: int | None, size: int) -> Page:
    if before is not None:
        qs = qs.filter(seq__lt=before)
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows, rows[-1].seq if more else None)


# --- the recycle bin ----------------------------------------------------------------------


@dataclass(frozen=True)
class RecycledItem:
    obj: Any

    @property
    def label(self) -> str:
        return str(self.obj._meta.label_lower)

    @property
    def type_label(self) -> str:
        return str(self.obj._meta.verbose_name)


class DeletedItems:
    """The rows in the recycle bin across several models, newest deletion first, in the
    shape a Paginator wants (`count()` and slicing).

    A slice [a:b] reads the newest b rows of each model and merges them: cheap for the
    first pages, which is where people look in a recycle bin.
    """

    def __init__(self, querysets: list[models.QuerySet[Any]]) -> None:
        self.querysets = [
            qs.select_related("deleted_by").order_by("-deleted_at", "-pk") for qs in querysets
        ]

    def count(self) -> int:
        return sum(qs.count() for qs in self.querysets)

    def __getitem__(self, index: slice) -> list[RecycledItem]:
        start, stop = index.start or 0, index.stop
        if stop is None:
            raise TypeError("DeletedItems needs a bounded slice")
        rows = [obj for qs in self.querysets for obj in qs[:stop]]
        rows.sort(key=lambda obj: (obj.deleted_at, obj.pk), reverse=True)
        return [RecycledItem(obj) for obj in rows[start:stop]]
