"""Settings screens: managers only (404 for everyone else), audited changes, bad input
changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peyvand.access.models import Department, Role, User
from peyvand.audit.models import ChangeLog
from tests.access.helpers import audit_rows, form_errors, in_language
from tests.conftest import PASSWORD

REFUSED = ["sales1", "service1", "marketing1"]


def _urls(personas: dict[str, Any]) -> dict[str, list[str]]:
    dept = Department.objects.get(code="sales")
    role = Role.objects.get(code="sales_rep")
    user = personas["sales2"]
    return {
        "get": [
            reverse("access:settings"),
            reverse("access:department_list"),
            reverse("access:department_create"),
            reverse("access:department_edit", args=[dept.pk]),
            reverse("access:role_list"),
            reverse("access:role_create"),
            reverse("access:role_edit", args=[role.pk]),
            reverse("access:user_list"),
            reverse("access:user_create"),
            reverse("access:user_edit", args=[user.pk]),
            reverse("access:token_list"),
        ],
        "post": [
            reverse("access:department_create"),
            reverse("access:department_edit", args=[dept.pk]),
            reverse("access:role_create"),
            reverse("access:role_edit", args=[role.pk]),
            reverse("access:role_delete", args=[role.pk]),
            reverse("access:user_create"),
            reverse("access:user_edit", args=[user.pk]),
            reverse("access:user_set_active", args=[user.pk]),
            reverse("access:user_password", args=[user.pk]),
            reverse("access:user_reset_two_factor", args=[user.pk]),
            reverse("access:token_list"),
        ],
    }


@pytest.mark.parametrize("username", REFUSED)
def test_non_managers_get_404_on_every_settings_url(
    personas: dict[str, Any], client_for: Any, username: str
) -> None:
    client = client_for(personas[username])
    urls = _urls(personas)
    before = ChangeLog.objects.count()
    for url in urls["get"]:
        assert client.get(url).status_code == 404, url
    for url in urls["post"]:
        data = {"code": "x", "name": "X", "username": "x", "active": "0", "scopes": ["*"]}
        assert client.post(url, data).status_code == 404, url
    assert ChangeLog.objects.count() == before
    assert Role.objects.filter(code="sales_rep").exists()
    assert personas["sales2"].__class__.objects.get(pk=personas["sales2"].pk).is_active


def test_manager_is_served_every_settings_page(personas: dict[str, Any], client_for: Any) -> None:
    client = client_for(personas["manager"])
    for url in _urls(personas)["get"]:
        assert client.get(url).status_code == 200, url


def test_anonymous_is_sent_to_sign_in(personas: dict[str, Any]) -> None:
    response = Client().get(reverse("access:settings"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("access:login"))


def test_landing_page_links_every_settings_area(manager: Any, client_for: Any) -> None:
    body = client_for(manager).get(reverse("access:settings")).content.decode()
    for href in [
        reverse("access:department_list"),
        reverse("access:role_list"),
        reverse("access:user_list"),
        reverse("access:token_list"),
        "/customers/custom-fields/",
    ]:
        assert f'href="{href}"' in body


# --- departments ----------------------------------------------------------


def test_create_and_edit_a_department(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    response = client.post(
        reverse("access:department_create"),
        {"code": "finance", "name": "Finance", "name_fa": "مالی", "is_active": "on"},
    )
    assert response.status_code == 302
    dept = Department.objects.get(code="finance")
    assert (dept.name, dept.name_fa, dept.is_active) == ("Finance", "مالی", True)
    # The code is fixed after creation even if a request tries to change it.
    client.post(
        reverse("access:department_edit", args=[dept.pk]),
        {"code": "hacked", "name": "Finance & Accounts", "name_fa": "مالی"},
    )
    dept.refresh_from_db()
    assert (dept.code, dept.name, dept.is_active) == ("finance", "Finance & Accounts", False)
    rows = audit_rows(dept)
    assert [r.action for r in rows] == ["create", "update"]
    assert rows[1].before["name"] == "Finance" and rows[1].after["name"] == "Finance & Accounts"
    assert all(r.actor_id == manager.pk for r in rows)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"code": "", "name": "X"}, "code"),
        ({"code": "has space", "name": "X"}, "code"),
        ({"code": "sales", "name": "Duplicate"}, "code"),
        ({"code": "ok", "name": ""}, "name"),
        ({"code": "ok", "name": "x" * 121}, "name"),
    ],
)
def test_bad_department_input_saves_nothing(
    manager: Any, client_for: Any, data: dict[str, str], field: str
) -> None:
    before = (Department.objects.count(), ChangeLog.objects.count())
    response = client_for(manager).post(reverse("access:department_create"), data)
    assert response.status_code == 400
    assert form_errors(response, field)
    assert (Department.objects.count(), ChangeLog.objects.count()) == before


def test_department_names_are_escaped(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    client.post(
        reverse("access:department_create"),
        {"code": "xss", "name": "<script>alert(1)</script>", "name_fa": "<b>x</b>"},
    )
    body = client.get(reverse("access:department_list")).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;b&gt;x&lt;/b&gt;" in body


# --- roles ----------------------------------------------------------------


def test_role_grid_saves_the_permissions_json(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    response = client.post(
        reverse("access:role_create"),
        {
            "code": "auditor",
            "name": "Auditor",
            "name_fa": "حسابرس",
            "scope": "department",
            # Deliberately out of order: the saved JSON follows the grid's order.
            "grants": ["task:add", "customer:export", "customer:view", "audit:view"],
        },
    )
    assert response.status_code == 302
    role = Role.objects.get(code="auditor")
    assert role.permissions == {
        "customer": ["view", "export"],
        "task": ["add"],
        "audit": ["view"],
    }
    assert role.scope == "department" and not role.is_manager
    assert audit_rows(role)[0].after["permissions"] == role.permissions

    # The edit page shows exactly the saved boxes ticked.
    page = client.get(reverse("access:role_edit", args=[role.pk])).content.decode()
    assert 'id="id_grant_customer_export" name="grants" value="customer:export" checked' in page
    assert 'id="id_grant_customer_add" name="grants" value="customer:add">' in page

    client.post(
        reverse("access:role_edit", args=[role.pk]),
        {"code": "auditor", "name": "Auditor", "scope": "all", "grants": ["order:view"]},
    )
    role.refresh_from_db()
    assert role.permissions == {"order": ["view"]}
    assert role.scope == "all"
    last = audit_rows(role)[-1]
    assert last.before["permissions"]["customer"] == ["view", "export"]
    assert last.after["permissions"] == {"order": ["view"]}


@pytest.mark.parametrize(
    "data, field",
    [
        ({"code": "r", "name": "R", "scope": "own", "grants": ["customer:fly"]}, "grants"),
        ({"code": "r", "name": "R", "scope": "own", "grants": ["weird:view"]}, "grants"),
        ({"code": "r", "name": "R", "scope": "everything"}, "scope"),
        ({"code": "sales_rep", "name": "R", "scope": "own"}, "code"),
    ],
)
def test_bad_role_input_saves_nothing(
    manager: Any, client_for: Any, data: dict[str, Any], field: str
) -> None:
    before = (Role.objects.count(), ChangeLog.objects.count())
    response = client_for(manager).post(reverse("access:role_create"), data)
    assert response.status_code == 400
    assert form_errors(response, field)
    assert (Role.objects.count(), ChangeLog.objects.count()) == before


def test_removing_the_last_manager_right_is_refused(manager: Any, client_for: Any) -> None:
    role = Role.objects.get(code="manager")
    response = client_for(manager).post(
        reverse("access:role_edit", args=[role.pk]),
        {"code": "manager", "name": "Manager", "scope": "all"},
    )
    assert response.status_code == 400
    expected = in_language(manager.language, "At least one active manager must remain.")
    assert list(response.context["form"].non_field_errors()) == [expected]
    role.refresh_from_db()
    assert role.is_manager


def test_delete_a_role(manager: Any, sales1: Any, client_for: Any) -> None:
    role = Role.objects.get(code="sales_rep")
    snapshot_pk = role.pk
    response = client_for(manager).post(reverse("access:role_delete", args=[role.pk]))
    assert response.status_code == 302
    assert not Role.objects.filter(pk=snapshot_pk).exists()
    assert not sales1.roles.exists()
    rows = audit_rows(role)
    assert rows[-1].action == "delete" and rows[-1].before["code"] == "sales_rep"


# --- users ----------------------------------------------------------------


def _new_user_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "username": "newbie",
        "first_name": "Ali",
        "last_name": "Rezaei",
        "email": "ali@example.com",
        "phone": "",
        "language": "fa",
        "departments": [Department.objects.get(code="service").pk],
        "roles": [Role.objects.get(code="service_agent").pk],
        "password1": "a-long-unusual-passphrase",
        "password2": "a-long-unusual-passphrase",
    }
    data.update(overrides)
    return data


def test_create_a_user(manager: Any, client_for: Any) -> None:
    response = client_for(manager).post(reverse("access:user_create"), _new_user_data())
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert user.check_password("a-long-unusual-passphrase")
    assert user.language == "fa"
    assert list(user.departments.values_list("code", flat=True)) == ["service"]
    assert list(user.roles.values_list("code", flat=True)) == ["service_agent"]
    row = audit_rows(user)[0]
    assert row.action == "create"
    assert "password" not in row.after
    assert user.password not in str(row.after)
    assert row.after["roles"] == [Role.objects.get(code="service_agent").pk]
    # The new account can sign in through the real form.
    assert (
        Client()
        .post("/accounts/login/", {"username": "newbie", "password": "a-long-unusual-passphrase"})
        .status_code
        == 302
    )


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "password1"),
        ({"password2": "something-else-entirely"}, "password2"),
        ({"username": "sales1"}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"language": "xx"}, "language"),
        ({"roles": [999999]}, "roles"),
    ],
)
def test_bad_user_input_saves_nothing(
    manager: Any, client_for: Any, overrides: dict[str, Any], field: str
) -> None:
    before = (User.objects.count(), ChangeLog.objects.count())
    response = client_for(manager).post(reverse("access:user_create"), _new_user_data(**overrides))
    assert response.status_code == 400
    assert form_errors(response, field)
    assert (User.objects.count(), ChangeLog.objects.count()) == before


def test_user_edit_page_shows_current_memberships(
    manager: Any, sales1: Any, client_for: Any
) -> None:
    response = client_for(manager).get(reverse("access:user_edit", args=[sales1.pk]))
    form = response.context["form"]
    assert {d.pk for d in form["departments"].initial} == {Department.objects.get(code="sales").pk}
    assert {r.pk for r in form["roles"].initial} == {Role.objects.get(code="sales_rep").pk}
    body = response.content.decode()
    checked_roles = re.findall(
        r'<input type="checkbox" name="roles" value="(\d+)"[^>]* checked', body
    )
    assert checked_roles == [str(Role.objects.get(code="sales_rep").pk)]


def test_edit_a_users_roles_and_language(manager: Any, sales2: Any, client_for: Any) -> None:
    marketer = Role.objects.get(code="marketer")
    response = client_for(manager).post(
        reverse("access:user_edit", args=[sales2.pk]),
        {
            "first_name": "John",
            "last_name": "Smith",
            "email": "john@example.com",
            "language": "fa",
            "is_active": "on",
            "departments": [Department.objects.get(code="marketing").pk],
            "roles": [marketer.pk],
        },
    )
    assert response.status_code == 302
    sales2.refresh_from_db()
    assert sales2.language == "fa"
    assert list(sales2.roles.all()) == [marketer]
    row = audit_rows(sales2)[-1]
    assert row.before["roles"] == [Role.objects.get(code="sales_rep").pk]
    assert row.after["roles"] == [marketer.pk]


def test_deactivate_and_reactivate_a_user(manager: Any, sales2: Any, client_for: Any) -> None:
    client = client_for(manager)
    url = reverse("access:user_set_active", args=[sales2.pk])
    client.post(url, {"active": "0"})
    sales2.refresh_from_db()
    assert not sales2.is_active
    assert (
        Client().post("/accounts/login/", {"username": "sales2", "password": PASSWORD}).status_code
        == 200
    )
    client.post(url, {"active": "1"})
    sales2.refresh_from_db()
    assert sales2.is_active
    assert [r.after["is_active"] for r in audit_rows(sales2)] == [False, True]


def test_a_manager_cannot_deactivate_themselves(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    response = client.post(
        reverse("access:user_set_active", args=[manager.pk]), {"active": "0"}, follow=True
    )
    expected = in_language(manager.language, "You cannot deactivate your own account.")
    assert [str(m) for m in response.context["messages"]] == [expected]
    manager.refresh_from_db()
    assert manager.is_active


def test_reset_a_users_password(manager: Any, sales2: Any, client_for: Any) -> None:
    client = client_for(manager)
    url = reverse("access:user_password", args=[sales2.pk])
    bad = client.post(url, {"password1": "short", "password2": "short"})
    assert bad.status_code == 400
    assert form_errors(bad, "password1", form="password_form")
    sales2.refresh_from_db()
    assert sales2.check_password(PASSWORD)

    ok = client.post(
        url, {"password1": "brand-new-passphrase", "password2": "brand-new-passphrase"}
    )
    assert ok.status_code == 302
    sales2.refresh_from_db()
    assert sales2.check_password("brand-new-passphrase")
    row = audit_rows(sales2)[-1]
    assert row.after == {"password": "new"}
    assert sales2.password not in str(row.after)


def test_user_list_query_count_does_not_grow_with_users(
    manager: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    sales = Department.objects.get(code="sales")
    rep = Role.objects.get(code="sales_rep")
    for i in range(25):
        user = User.objects.create(username=f"bulk{i}")
        user.departments.add(sales)
        user.roles.add(rep)
    client = client_for(manager)
    # session, user, the viewer's roles, users, and one prefetch each for departments and roles
    with django_assert_max_num_queries(6):
        response = client.get(reverse("access:user_list"))
    assert response.status_code == 200
    assert response.content.decode().count("bulk") >= 25


def test_user_names_are_escaped_in_the_list(manager: Any, client_for: Any) -> None:
    User.objects.create(username="evil", first_name="<img src=x onerror=alert(1)>")
    body = client_for(manager).get(reverse("access:user_list")).content.decode()
    assert "<img src=x" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
