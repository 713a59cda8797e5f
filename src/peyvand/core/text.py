"""Normalisation of Persian, Arabic and mixed-script text for search and dedupe.

Persian text arrives typed on Arabic keyboards (ي, ك), with Persian or Arabic-Indic digits,
zero-width non-joiners and diacritics. Two strings a person reads as the same must
normalise to the same key.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from django.conf import settings

_LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
    }
)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_TO_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# ZWNJ, ZWJ, ZWSP, BOM, LRM/RLM and bidi embeddings: invisible in print, fatal to equality.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad\u0640]")
# Arabic harakat, tanwin, superscript alef: optional marks that most input omits.
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACE = re.compile(r"\s+")


def normalize_digits(value: str) -> str:
    return value.translate(_DIGITS)


def to_persian_digits(value: str) -> str:
    return value.translate(_TO_PERSIAN_DIGITS)


def normalize_text(value: str | None) -> str:
    """The search/dedupe key of free text: case-folded, one spelling of each letter."""
    if not value:
        return ""
    value = unicodedata.normalize("NFKC", value)
    value = _INVISIBLE.sub(" ", value)
    value = _MARKS.sub("", value)
    value = value.translate(_LETTERS).translate(_DIGITS)
    return _SPACE.sub(" ", value).strip().casefold()


def normalize_email(value: str | None) -> str:
    if not value:
        return ""
    return normalize_digits(_INVISIBLE.sub("", value)).strip().lower()


def normalize_phone(value: str | None, region: str | None = None) -> str:
    """E.164 for a valid number, "" when the text is not a phone number.

    0912…, +98912…, 0098912… and ۰۹۱۲… all give +98912….
    """
    if not value:
        return ""
    raw = normalize_digits(_INVISIBLE.sub("", value)).strip()
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        number = phonenumbers.parse(raw, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_search_key(value: str) -> str:
    """The digits a partial phone query must match inside stored E.164 numbers."""
    full = normalize_phone(value)
    if full:
        return full
    digits = re.sub(r"\D", "", normalize_digits(value))
    return digits.lstrip("0")
