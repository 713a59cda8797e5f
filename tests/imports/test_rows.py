"""The per-row fast paths must agree with the slow, authoritative checks they short-cut."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from peyvand.core.text import normalize_phone
from peyvand.imports.rows import clean_cell, email_ok, phone_e164


def _django_accepts(email: str) -> bool:
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


_EMAILISH = st.one_of(
    st.emails().map(str.lower),
    st.text(alphabet="abc.-_+@1é%", min_size=1, max_size=30),
    st.from_regex(r"[a-z0-9.]{1,8}@[a-z0-9.-]{1,10}\.[a-z0-9-]{1,5}", fullmatch=True),
)


@settings(max_examples=300, deadline=None)
@given(_EMAILISH)
def test_fast_email_check_agrees_with_django(email: str) -> None:
    assert email_ok(email) == _django_accepts(email)


_PHONEISH = st.builds(
    lambda prefix, digits, sep: prefix + sep.join([digits[:3], digits[3:6], digits[6:]]),
    st.sampled_from(["0", "+98", "0098", "98", "", "+1", "0098 ", "۰"]),
    st.text(alphabet="0123456789۰۱۲۹", min_size=8, max_size=11),
    st.sampled_from(["", " ", "-"]),
)


@settings(max_examples=400, deadline=None)
@given(_PHONEISH)
def test_fast_phone_path_agrees_with_phonenumbers(raw: str) -> None:
    assert phone_e164(raw, "IR") == normalize_phone(raw, "IR")


def test_iranian_mobile_formats_are_one_number() -> None:
    forms = ["09121234567", "+989121234567", "00989121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "0912-123-4567"]
    assert {phone_e164(f, "IR") for f in forms} == {"+989121234567"}


def test_clean_cell_undoes_export_neutralisation_but_keeps_formula_text() -> None:
    assert clean_cell("'=1+2") == "=1+2"
    assert clean_cell("=1+2") == "=1+2"
    assert clean_cell("'quoted'") == "'quoted'"
    assert clean_cell(" a\x00b\x07 ") == "ab"
