"""Keyset (cursor) pagination: stable under inserts, constant cost at any depth.

The cursor is opaque to clients: URL-safe base64 of the last row's (sort key, id). The
next page starts strictly after that pair, so rows are never repeated or skipped while
clients page, however deep they go.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q
from ninja import Field, Schema
from ninja.errors import ValidationError as NinjaValidationError

M = TypeVar("M", bound=models.Model)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageParams(Schema):
    cursor: str | None = Field(
        None, description="The `next_cursor` of the previous page; omit for the first page."
    )
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")


@dataclass(frozen=True)
class Ordering:
    """Sort by one non-null field, then by primary key to break ties."""

    field: str
    descending: bool = False

    def order_by(self) -> tuple[str, str]:
        sign = "-" if self.descending else ""
        return f"{sign}{self.field}", f"{sign}pk"


@dataclass
class Page(Generic[M]):
    items: list[M]
    next_cursor: str | None


def _invalid_cursor() -> NinjaValidationError:
    return NinjaValidationError(
        [{"loc": ("query", "cursor"), "type": "cursor_invalid", "msg": "Invalid cursor"}]
    )


def _json_value(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(ordering: Ordering, obj: models.Model) -> str:
    field = obj._meta.get_field(ordering.field)
    value = getattr(obj, field.attname)  # type: ignore[union-attr]
    raw = json.dumps([ordering.field, _json_value(value), obj.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(model: type[models.Model], ordering: Ordering, cursor: str) -> tuple[Any, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, pk = json.loads(raw)
        if name != ordering.field or value is None:
            raise _invalid_cursor()
        field = model._meta.get_field(ordering.field)
        return field.to_python(value), model._meta.pk.to_python(pk)  # type: ignore[union-attr]
    except (
        binascii.Error,
        UnicodeDecodeError,
        json.JSONDecodeError,
        TypeError,
        ValueError,
        DjangoValidationError,
    ) as exc:
        raise _invalid_cursor() from exc


def paginate(qs: models.QuerySet[M], params: PageParams, ordering: Ordering) -> Page[M]:
    qs = qs.order_by(*ordering.order_by())
    if params.cursor:
        value, pk = decode_cursor(qs.model, ordering, params.cursor)
        after = "lt" if ordering.descending else "gt"
        if ordering.field in ("pk", "id"):
            qs = qs.filter(**{f"pk__{after}": pk})
        else:
            qs = qs.filter(
                Q(**{f"{ordering.field}__{after}": value})
                | Q(**{ordering.field: value, f"pk__{after}": pk})
            )
    rows = list(qs[: params.limit + 1])
    items = rows[: params.limit]
    has_more = len(rows) > params.limit
    return Page(items=items, next_cursor=encode_cursor(ordering, items[-1]) if has_more else None)


class TimeCursor:
    """Cursor over a stream merged from several tables (the timeline): the time of the last
    entry shown; the next page holds what is strictly older."""

    @staticmethod
    def encode(at: dt.datetime) -> str:
        return base64.urlsafe_b64encode(at.isoformat().encode()).decode().rstrip("=")

    @staticmethod
    def decode(cursor: str) -> dt.datetime:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            at = dt.datetime.fromisoformat(raw)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise _invalid_cursor() from exc
        if at.tzinfo is None:
            raise _invalid_cursor()
        return at
