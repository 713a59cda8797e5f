"""The currencies every Peyvand starts with, and how many decimals each is shown and rounded to."""

from __future__ import annotations

from typing import TypedDict


class CurrencySpec(TypedDict):
    code: str
    name: str
    name_fa: str
    decimal_places: int


DEFAULT_CURRENCIES: list[CurrencySpec] = [
    {"code": "IRR", "name": "Iranian Rial", "name_fa": "ریال ایران", "decimal_places": 0},
    {"code": "USD", "name": "US Dollar", "name_fa": "دلار آمریکا", "decimal_places": 2},
    {"code": "EUR", "name": "Euro", "name_fa": "یورو", "decimal_places": 2},
    {"code": "AED", "name": "UAE Dirham", "name_fa": "درهم امارات", "decimal_places": 2},
    {"code": "GBP", "name": "British Pound", "name_fa": "پوند انگلیس", "decimal_places": 2},
    {"code": "TRY", "name": "Turkish Lira", "name_fa": "لیر ترکیه", "decimal_places": 2},
]
