"""Template filters for bilingual display: Jalali dates and Persian digits in Persian."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import jdatetime
from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from djmoney.money import Money

from peyvand.core.text import to_persian_digits

register = template.Library()


def _is_fa() -> bool:
    return (get_language() or "en").startswith("fa")


@register.filter
def digits(value: Any) -> str:
    """Persian digits in Persian, unchanged otherwise."""
    text = "" if value is None else str(value)
    return to_persian_digits(text) if _is_fa() else text


@register.filter
def jdate(value: dt.date | dt.datetime | None, fmt: str = "") -> str:
    """A date (or datetime, in local time) as Jalali with Persian digits in Persian,
    Gregorian ISO-like otherwise."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        if _is_fa():
            return to_persian_digits(
                jdatetime.datetime.fromgregorian(datetime=value).strftime(fmt or "%Y/%m/%d %H:%M")
            )
        return value.strftime(fmt or "%Y-%m-%d %H:%M")
    if _is_fa():
        return to_persian_digits(
            jdatetime.date.fromgregorian(date=value).strftime(fmt or "%Y/%m/%d")
        )
    return value.strftime(fmt or "%Y-%m-%d")


@register.filter
def amount(value: Any) -> str:
    """A money amount or number, grouped, in the reader's digits."""
    if value is None:
        return ""
    currency = getattr(value, "currency", None)
    number = getattr(value, "amount", value)
    if isinstance(number, (int, float, Decimal)):
        places = 0 if currency is not None and str(currency) == "IRR" else 2
        text = number_format(
            Decimal(number).quantize(Decimal(1).scaleb(-places)), places, force_grouping=True
        )
    else:
        text = str(number)
    if currency is not None:
        text = f"{text} {currency}"
    return digits(text)


@register.filter
def money(value: Any, currency: str) -> str:
    """A bare number as an amount of `currency` ("1,500,000 IRR"), in the reader's digits."""
    if value is None or value == "":
        return ""
    return amount(Money(Decimal(str(value)), currency))
