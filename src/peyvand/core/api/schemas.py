"""Schemas shared by every app's API: problems, money, people."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict


class InputSchema(Schema):
    """Base of every request body: an unknown field is an error, so nothing the client
    was not offered (owner, department, id…) can be set by adding it to the JSON."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(Schema):
    field: str | None = Field(
        description="Dotted path of the offending field (`lines.0.quantity`); null for the request as a whole."
    )
    message: str = Field(description="What is wrong, in the language of the request.")
    code: str = Field(description="Machine-readable reason, e.g. `missing`, `extra_forbidden`.")


class Problem(Schema):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str = Field("about:blank", description="A URI naming the problem type.")
    title: str = Field(description="Short summary: the HTTP reason phrase, translated.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(None, description="What happened, in the language of the request.")
    instance: str | None = Field(None, description="The path of the request.")
    errors: list[FieldError] | None = Field(None, description="Per-field errors.")


class MoneyOut(Schema):
    amount: str = Field(
        description="Decimal amount as a string, so no precision is lost.", examples=["1500000.00"]
    )
    currency: str = Field(description="ISO 4217 code.", examples=["IRR"])


class MoneyIn(InputSchema):
    amount: Decimal = Field(max_digits=20, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3, pattern="^[A-Z]{3}$")


def money_out(value: Any) -> dict[str, str] | None:
    """A django-money Money as {amount, currency}."""
    if value is None:
        return None
    return {"amount": str(value.amount), "currency": str(value.currency)}


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj.get_full_name() or obj.username)


class DepartmentRef(Schema):
    id: int
    code: str
    name: str

    @staticmethod
    def resolve_name(obj: Any) -> str:
        return str(obj)


class CustomerRef(Schema):
    id: int
    display_name: str
