"""The importer's shortcuts give exactly what the shared helpers give: the normaliser and
the search text are stored on customers that the rest of the product searches."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.core.text import normalize_text
from peyvand.customers.search import name_key_for, search_text_for
from peyvand.imports.rows import name_key, normalize
from peyvand.imports.services import _Importer

# Persian and Arabic letters, digits of three scripts, ZWNJ, marks and every kind of space.
PERSIAN = "آاأإبپتثجچحخدذرزژسشصضطظعغفقکكگلمنوؤهةیيئى۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩\u200c\u064b\u0640"
texts = st.text(st.sampled_from(PERSIAN) | st.characters(codec="utf-8"), max_size=30)
ascii_texts = st.text(st.characters(max_codepoint=127), max_size=30)


@given(value=texts | ascii_texts)
def test_normalize_is_normalize_text(value: str) -> None:
    assert normalize(value) == normalize_text(value)
    assert name_key(value) == name_key_for(value)


@pytest.mark.django_db
@given(
    values=st.fixed_dictionaries(
        {},
        optional={
            "display_name": texts,
            "first_name": ascii_texts,
            "last_name": texts,
            "organization_name": texts,
        },
    ),
    contacts=st.lists(texts | ascii_texts, max_size=3),
    tags=st.lists(texts, max_size=3),
    custom=st.dictionaries(
        st.sampled_from(["city", "code", "vip", "hidden"]),
        st.none() | st.booleans() | st.integers() | texts,
    ),
)
def test_search_text_is_the_customers_search_text(
    values: dict[str, str], contacts: list[str], tags: list[str], custom: dict[str, Any]
) -> None:
    importer = _Importer.__new__(_Importer)
    importer.searchable_keys = {"city", "code", "vip"}
    expected = search_text_for(
        display_name=values.get("display_name", ""),
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        organization_name=values.get("organization_name", ""),
        contact_values=contacts,
        tags=tags,
        custom={k: v for k, v in custom.items() if k in importer.searchable_keys},
    )
    assert importer._search_text(values, contacts, tags, custom) == expected


@pytest.mark.django_db
@given(
    values=st.fixed_dictionaries(
        {"display_name": texts},
        optional={
            "kind": st.sampled_from(["person", "organization"]),
            "notes": texts,
            "external_ref": ascii_texts,
            "currency": st.just("USD"),
        },
    ),
    email=st.sampled_from(["", "a@example.com"]),
    address=texts,
    tags=st.lists(texts, max_size=3, unique=True),
    custom=st.dictionaries(ascii_texts, st.none() | st.integers() | texts, max_size=2),
    extra=st.booleans(),
)
def test_new_customer_audit_json_is_the_canonical_snapshot(
    values: dict[str, str],
    email: str,
    address: str,
    tags: list[str],
    custom: dict[str, Any],
    extra: bool,
) -> None:
    from django.utils import timezone

    from peyvand.audit.services import canonical_json
    from peyvand.imports.rows import ParsedRow
    from peyvand.imports.services import _CustomerTemplate, _writer_for_connection

    template = _CustomerTemplate(
        now=timezone.now(), owner_id=3, dept_id=None, writer=_writer_for_connection()
    )
    if extra:
        # A column the fast path does not know falls back to the plain snapshot.
        values = {**values, "preferred_channel": "sms"}
    row = ParsedRow(
        line=2,
        values=values,
        display_name=values["display_name"],
        name_key=name_key(values["display_name"]),
        email=email,
        address=address,
        tags=tags,
        custom=custom,
    )
    contacts = row.contacts()
    assert template.after_json(41, row, contacts) == canonical_json(
        template.snapshot(41, row, contacts)
    )
