"""Visibility rules of access.scopes: own vs department vs all, per persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from peyvand.access.models import Department, Role, User
from peyvand.access.scopes import can, get_for, is_manager, restrict, scope_for
from peyvand.customers.models import Customer
from tests.factories import CustomerFactory


@pytest.fixture
def book(personas: dict[str, Any]) -> dict[str, Customer]:
    """One customer per ownership situation the rules distinguish."""
    dept = {d.code: d for d in Department.objects.all()}
    return {
        "sales1_own": CustomerFactory(owner=personas["sales1"], department=dept["sales"]),
        "sales2_own": CustomerFactory(owner=personas["sales2"], department=dept["sales"]),
        "sales_unowned": CustomerFactory(owner=None, department=dept["sales"]),
        "service_dept": CustomerFactory(owner=None, department=dept["service"]),
        "service1_in_sales": CustomerFactory(owner=personas["service1"], department=dept["sales"]),
        "marketing_dept": CustomerFactory(owner=personas["sales2"], department=dept["marketing"]),
        "nobody": CustomerFactory(owner=None, department=None),
    }


EXPECTED_VIEW = {
    "manager": {
        "sales1_own",
        "sales2_own",
        "sales_unowned",
        "service_dept",
        "service1_in_sales",
        "marketing_dept",
        "nobody",
    },
    "sales1": {"sales1_own"},
    "sales2": {"sales2_own", "marketing_dept"},
    "service1": {"service_dept", "service1_in_sales"},
    "marketing1": {"marketing_dept"},
}


def _names(qs: Any, book: dict[str, Customer]) -> set[str]:
    by_pk = {c.pk: name for name, c in book.items()}
    return {by_pk[pk] for pk in qs.values_list("pk", flat=True)}


@pytest.mark.parametrize("username", sorted(EXPECTED_VIEW))
def test_restrict_returns_exactly_the_persona_rows(
    personas: dict[str, Any], book: dict[str, Customer], username: str
) -> None:
    user = personas[username]
    assert _names(restrict(Customer.objects.all(), user), book) == EXPECTED_VIEW[username]
    assert _names(Customer.objects.visible_to(user), book) == EXPECTED_VIEW[username]


@pytest.mark.parametrize(
    "username, action, expected",
    [
        ("sales1", "delete", {"sales1_own"}),
        ("service1", "change", {"service_dept", "service1_in_sales"}),
        ("service1", "delete", set()),
        ("marketing1", "export", {"marketing_dept"}),
        ("marketing1", "change", set()),
        ("manager", "merge", set(EXPECTED_VIEW["manager"])),
    ],
)
def test_restrict_follows_the_action(
    personas: dict[str, Any],
    book: dict[str, Customer],
    username: str,
    action: str,
    expected: set[str],
) -> None:
    assert _names(restrict(Customer.objects.all(), personas[username], action), book) == expected


def test_get_for_answers_404_for_missing_and_for_not_yours(
    personas: dict[str, Any], book: dict[str, Customer]
) -> None:
    sales1 = personas["sales1"]
    assert get_for(sales1, Customer.objects.all(), book["sales1_own"].pk) == book["sales1_own"]
    for pk in [book["sales2_own"].pk, 10**9, "not-a-number"]:
        with pytest.raises(Http404):
            get_for(sales1, Customer.objects.all(), pk)


def test_widest_scope_of_several_roles_wins(personas: dict[str, Any], book: Any) -> None:
    sales1 = personas["sales1"]
    sales1.roles.add(Role.objects.get(code="service_agent"))
    fresh = User.objects.get(pk=sales1.pk)
    assert scope_for(fresh, "customer", "view") == "department"
    # Department scope reaches the sales department; "delete" stays own-only (sales_rep).
    assert _names(Customer.objects.visible_to(fresh), book) == {
        "sales1_own",
        "sales2_own",
        "sales_unowned",
        "service1_in_sales",
    }
    assert _names(restrict(Customer.objects.all(), fresh, "delete"), book) == {"sales1_own"}


def test_inactive_anonymous_and_roleless_users_see_nothing(
    personas: dict[str, Any], book: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    roleless = User.objects.create(username="roleless")
    roleless.departments.add(Department.objects.get(code="sales"))
    inactive = User.objects.get(pk=personas["manager"].pk)
    inactive.is_active = False
    for user in [AnonymousUser(), roleless, inactive]:
        assert not restrict(Customer.objects.all(), user).exists()
        assert not is_manager(user)
        assert not can(user, "customer", "view")


def test_superuser_sees_everything(personas: dict[str, Any], book: Any) -> None:
    root = User.objects.create(username="root", is_superuser=True)
    assert _names(Customer.objects.visible_to(root), book) == EXPECTED_VIEW["manager"]
