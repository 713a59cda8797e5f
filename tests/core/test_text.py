from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.core.text import normalize_email, normalize_phone, normalize_text, phone_search_key


def test_arabic_letters_match_persian() -> None:
    assert normalize_text("علي كريمي") == normalize_text("علی کریمی")


def test_zwnj_and_diacritics_are_ignored() -> None:
    assert normalize_text("می\u200cخواهم") == normalize_text("می خواهم")
    assert normalize_text("مُحَمَّد") == normalize_text("محمد")


def test_digits_and_case() -> None:
    assert normalize_text("Shop ۱۲۳ ٤٥") == "shop 123 45"
    assert normalize_text("ACME  Ltd") == "acme ltd"


@pytest.mark.parametrize(
    "raw",
    [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "0912 123 4567",
        "٠٩١٢١٢٣٤٥٦٧",
    ],
)
def test_iranian_mobile_formats_give_one_e164(raw: str, settings) -> None:
    settings.PHONE_DEFAULT_REGION = "IR"
    assert normalize_phone(raw) == "+989121234567"


def test_not_a_phone(settings) -> None:
    settings.PHONE_DEFAULT_REGION = "IR"
    assert normalize_phone("hello") == ""
    assert normalize_phone("12") == ""
    assert phone_search_key("1234") == "1234"


def test_email() -> None:
    assert normalize_email("  Ali@Example.COM ") == "ali@example.com"


@given(st.text())
def test_normalize_text_is_idempotent(value: str) -> None:
    once = normalize_text(value)
    assert normalize_text(once) == once
