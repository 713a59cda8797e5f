from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peyvand.customers import querysets
from peyvand.customers.models import Customer
from peyvand.customers.search import name_key_for, search_text_for
from tests.factories import CustomFieldDefinitionFactory

pytestmark = pytest.mark.django_db


def _found(q: str) -> set[str]:
    return set(Customer.objects.alive().search(q).values_list("display_name", flat=True))


@pytest.fixture
def people(make_customer: Any) -> dict[str, Any]:
    CustomFieldDefinitionFactory(key="national_id", field_type="text", searchable=True)
    CustomFieldDefinitionFactory(key="secret", field_type="text", searchable=False)
    return {
        "ali": make_customer(
            display_name="علی کریمی",
            contact_points=[
                {"kind": "phone", "value": "09121234567"},
                {"kind": "email", "value": "ali.karimi@example.com"},
            ],
            tags=["طلایی"],
            custom={"national_id": "0012345678", "secret": "hidden-value"},
        ),
        "mitra": make_customer(
            display_name="میترا\u200cسادات یوسفی",
            contact_points=[{"kind": "phone", "value": "+98 935 765 4321"}],
        ),
        "acme": make_customer(
            display_name="Acme Trading LLC",
            kind="organization",
            contact_points=[{"kind": "email", "value": "Sales@Acme.example"}],
            tags=["wholesale"],
        ),
        "kazem": make_customer(display_name="کاظم علیزاده"),
    }


def test_persian_name_typed_with_arabic_letters(people: Any) -> None:
    assert _found("علي كريمي") == {"علی کریمی"}
    assert _found("كريمي") == {"علی کریمی"}


def test_fragment_matches_inside_words(people: Any) -> None:
    assert _found("ریم") == {"علی کریمی"}
    assert _found("trad") == {"Acme Trading LLC"}
    assert _found("ACME llc") == {"Acme Trading LLC"}


def test_zwnj_and_space_are_the_same(people: Any) -> None:
    assert _found("میترا سادات") == {"میترا\u200cسادات یوسفی"}
    assert _found("میترا\u200cسادات") == {"میترا\u200cسادات یوسفی"}


@pytest.mark.parametrize(
    "q",
    [
        "09121234567",
        "+989121234567",
        "00989121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "0912 123 4567",
        "(0912) 123-4567",
        "0912123",
        "۴۵۶۷",
    ],
)
def test_phone_in_any_format(people: Any, q: str) -> None:
    assert _found(q) == {"علی کریمی"}


def test_other_phone_formats(people: Any) -> None:
    assert _found("09357654321") == {"میترا\u200cسادات یوسفی"}
    assert _found("+98 935 765") == {"میترا\u200cسادات یوسفی"}


def test_email_exact_and_fragment(people: Any) -> None:
    assert _found("ALI.KARIMI@EXAMPLE.COM") == {"علی کریمی"}
    assert _found("sales@acme") == {"Acme Trading LLC"}
    assert _found("@example.com") == {"علی کریمی"}
    assert _found("nobody@example.com") == set()


def test_tag_and_searchable_custom_value(people: Any) -> None:
    assert _found("طلایی") == {"علی کریمی"}
    assert _found("wholesale") == {"Acme Trading LLC"}
    assert _found("0012345678") == {"علی کریمی"}
    assert _found("hidden-value") == set()


def test_short_query_is_a_name_prefix(people: Any) -> None:
    assert _found("ka") == set()
    assert _found("عل") == {"علی کریمی"}
    assert _found("کا") == {"کاظم علیزاده"}


def test_short_token_narrows_a_long_one(people: Any) -> None:
    assert _found("علی کر") == {"علی کریمی"}
    assert _found("علی zz") == set()


def test_no_match_and_empty_query(people: Any) -> None:
    assert _found("zzzz") == set()
    assert len(_found("   ")) == 4


def test_hostile_query_text_is_just_text(people: Any) -> None:
    for q in ['"; DROP TABLE x; --', "' OR 1=1 --", 'a" OR "b', "NEAR(ab cd)", "*", "%", "_"]:
        assert _found(q) == set()
    assert Customer.objects.count() == 4


def test_search_respects_visibility(make_customer: Any, sales1: Any, sales2: Any) -> None:
    make_customer(owner=sales1, display_name="Shared Name One")
    make_customer(owner=sales2, display_name="Shared Name Two")
    mine = Customer.objects.visible_to(sales1).alive().search("shared name")
    assert list(mine.values_list("display_name", flat=True)) == ["Shared Name One"]


@pytest.fixture
def many_matches(make_customer: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """More matches of one fragment than a page is cut from."""
    monkeypatch.setattr(querysets, "PAGE_CANDIDATES", 3)
    names = [f"Common Name {letter}" for letter in "EDCBA"]
    for name in names:
        make_customer(display_name=name)
    make_customer(display_name="Common Name Org", kind="organization")
    make_customer(display_name="Unrelated")
    return sorted([*names, "Common Name Org"])


def test_unsliced_search_holds_every_match(many_matches: list[str]) -> None:
    """An export iterates the whole result: the page bound must not truncate it."""
    assert _found("common name") == set(many_matches)
    assert Customer.objects.search("common name").count() == len(many_matches)


def test_a_page_of_a_common_fragment_is_bounded_and_in_order(many_matches: list[str]) -> None:
    page = list(
        Customer.objects.search("common name")
        .order_by("display_name", "pk")[:10]
        .values_list("display_name", flat=True)
    )
    assert len(page) == 3
    assert page == sorted(page)
    assert set(page) <= set(many_matches)


def test_filters_after_search_are_part_of_the_probe(many_matches: list[str]) -> None:
    """The organization was created last; a bound taken before the filter would miss it."""
    page = Customer.objects.search("common name").filter(kind="organization")[:10]
    assert [c.display_name for c in page] == ["Common Name Org"]


def test_a_page_below_the_bound_is_exact(make_customer: Any) -> None:
    for name in ("Rare Bb", "Rare Aa", "Rare Cc"):
        make_customer(display_name=name)
    qs = Customer.objects.search("rare").order_by("display_name", "pk")
    assert [c.display_name for c in qs[:2]] == ["Rare Aa", "Rare Bb"]
    assert [c.display_name for c in qs[1:3]] == ["Rare Bb", "Rare Cc"]
    assert qs.get(display_name="Rare Cc").display_name == "Rare Cc"


def test_the_probe_is_unordered_and_limited(many_matches: list[str]) -> None:
    """Unordered with a LIMIT is what lets the database stop early instead of sorting."""
    with CaptureQueriesContext(connection) as ctx:
        list(Customer.objects.search("common name").order_by("display_name")[:2])
    probe, page = (q["sql"] for q in ctx.captured_queries)
    assert "ORDER BY" not in probe and "LIMIT 3" in probe
    assert "ORDER BY" in page and "LIMIT 2" in page


def test_database_keeps_the_index_for_bulk_inserts(db: Any) -> None:
    """The importer and the seeder only fill `search_text`; the index follows by itself."""
    rows = [
        Customer(
            display_name=name,
            name_key=name_key_for(name),
            search_text=search_text_for(display_name=name, contact_values=[phone]),
        )
        for name, phone in [("رضا حسینی", "+989120000001"), ("Bulk Person", "+989120000002")]
    ]
    Customer.objects.bulk_create(rows)
    assert _found("رضا حسيني") == {"رضا حسینی"}
    assert _found("0912 000 0002") == {"Bulk Person"}
    # Updating the text moves the index with it, deleting removes the entry.
    Customer.objects.filter(display_name="Bulk Person").update(search_text="renamed person")
    assert _found("bulk") == set()
    assert _found("renamed") == {"Bulk Person"}
    Customer.objects.filter(display_name="Bulk Person").delete()
    assert _found("renamed") == set()


def test_search_uses_the_trigram_index(people: Any) -> None:
    """The fragment condition is one the database can answer from its index."""
    sql = str(Customer.objects.search("کریمی").query)
    if connection.vendor == "sqlite":
        assert "customers_customer_fts MATCH" in sql
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'customers_search_trgm'"
            )
            (indexdef,) = cursor.fetchone()
        assert "gin_trgm_ops" in indexdef
        assert "LIKE" in sql and "UPPER" not in sql


def test_name_key_ignores_honorifics_and_punctuation() -> None:
    assert name_key_for("آقای علي  كريمي.") == name_key_for("علی کریمی")
    assert name_key_for("Dr. Sara Ahmadi") == "sara ahmadi"


def test_search_text_is_normalised_and_deduplicated() -> None:
    text = search_text_for(
        display_name="علي كريمي",
        first_name="علی",
        last_name="کریمی",
        contact_values=["+989121234567"],
        tags=["VIP"],
        custom={"n": 5, "flag": True, "empty": ""},
    )
    assert text == "علی کریمی علی کریمی +989121234567 vip 5"
