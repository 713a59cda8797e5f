from __future__ import annotations

from typing import Any

import pytest

from peyvand.customers.dedupe import find_duplicate_groups
from peyvand.customers.models import Customer

pytestmark = pytest.mark.django_db


def _groups(qs: Any = None, **kwargs: Any) -> list[set[str]]:
    qs = Customer.objects.all() if qs is None else qs
    return [{c.display_name for c in g.customers} for g in find_duplicate_groups(qs, **kwargs)]


def test_same_phone_in_different_formats(make_customer: Any) -> None:
    make_customer(display_name="Reza", contact_points=[{"kind": "phone", "value": "09121112233"}])
    make_customer(
        display_name="R. Hosseini", contact_points=[{"kind": "phone", "value": "+98 912 111 2233"}]
    )
    make_customer(display_name="Someone else")
    assert _groups() == [{"Reza", "R. Hosseini"}]


def test_same_email_ignoring_case(make_customer: Any) -> None:
    make_customer(display_name="Neda", contact_points=[{"kind": "email", "value": "N@X.example"}])
    make_customer(display_name="Rahimi", contact_points=[{"kind": "email", "value": "n@x.example"}])
    (group,) = find_duplicate_groups(Customer.objects.all())
    assert group.reasons == ["same email"]
    assert group.score == 100


def test_similar_names_across_scripts_and_spellings(make_customer: Any) -> None:
    make_customer(display_name="علی کریمی")
    make_customer(display_name="علي كريمي")  # Arabic keyboard
    make_customer(display_name="آقای علی کریمی")  # honorific
    make_customer(display_name="Mohammad Rezaei")
    make_customer(display_name="Mohammad Rezaee")
    make_customer(display_name="Maryam Karimi")
    groups = _groups(threshold=90)
    assert {"علی کریمی", "علي كريمي", "آقای علی کریمی"} in groups
    assert {"Mohammad Rezaei", "Mohammad Rezaee"} in groups
    assert all("Maryam Karimi" not in g for g in groups)


def test_threshold_and_limit(make_customer: Any) -> None:
    names = ["Parisa Ahmadi", "Hossein Moradi", "Leila Sadeghi", "Babak Jafari", "Nasrin Ghasemi"]
    for name in names:
        make_customer(display_name=name)
        make_customer(display_name=name + "e")
    assert len(_groups(limit=2)) == 2
    assert len(_groups(limit=50)) == 5
    assert _groups(threshold=100) == []


def test_only_the_given_rows_are_compared(make_customer: Any, sales1: Any, sales2: Any) -> None:
    make_customer(owner=sales1, display_name="Twin Name")
    make_customer(owner=sales2, display_name="Twin Name")
    assert _groups(Customer.objects.visible_to(sales1)) == []
    assert _groups(Customer.objects.all()) == [{"Twin Name"}]


def test_deleted_customers_are_not_candidates(manager: Any, make_customer: Any) -> None:
    from peyvand.customers.services import delete_customer

    make_customer(display_name="Gone Twin")
    twin = make_customer(display_name="Gone Twin")
    delete_customer(twin, actor=manager)
    assert _groups() == []
