"""The profile page: name and language, and a user's own API tokens."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from peyvand.access.models import ApiToken, User, hash_token
from peyvand.audit.models import ChangeLog
from tests.access.helpers import audit_rows, form_errors


def test_profile_saves_name_and_language(sales2: Any, client_for: Any) -> None:
    client = client_for(sales2)
    assert client.get(reverse("access:profile")).status_code == 200
    response = client.post(
        reverse("access:profile"), {"first_name": "Jon", "last_name": "Smith", "language": "fa"}
    )
    assert response.status_code == 302
    sales2.refresh_from_db()
    assert (sales2.first_name, sales2.language) == ("Jon", "fa")
    row = audit_rows(sales2)[-1]
    assert row.actor_id == sales2.pk
    assert row.before["language"] == "en" and row.after["language"] == "fa"
    # The saved language now drives the UI.
    assert client.get(reverse("access:profile")).content.decode().count('lang="fa"') >= 1


def test_bad_profile_input_changes_nothing(sales2: Any, client_for: Any) -> None:
    before = ChangeLog.objects.count()
    response = client_for(sales2).post(
        reverse("access:profile"), {"first_name": "x" * 200, "language": "klingon"}
    )
    assert response.status_code == 400
    assert form_errors(response, "language") and form_errors(response, "first_name")
    sales2.refresh_from_db()
    assert (sales2.first_name, sales2.language) == ("John", "en")
    assert ChangeLog.objects.count() == before


def test_create_a_token_shows_it_once_and_stores_only_its_hash(
    sales1: Any, client_for: Any
) -> None:
    client = client_for(sales1)
    response = client.post(
        reverse("access:token_create"),
        {"name": "Zapier <b>", "scopes": ["customers:read", "orders:write"]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    raw = response.context["raw"]
    assert raw.startswith("pvk_") and raw in response.content.decode()
    token = ApiToken.objects.get(user=sales1)
    assert token.key_hash == hash_token(raw)
    assert token.scopes == ["customers:read", "orders:write"]
    assert audit_rows(token)[0].action == "create"
    # The profile lists the prefix, never the token.
    page = client.get(reverse("access:profile")).content.decode()
    assert token.key_prefix in page
    assert raw not in page
    assert "Zapier &lt;b&gt;" in page


def test_token_without_scopes_is_refused(sales1: Any, client_for: Any) -> None:
    client = client_for(sales1)
    for data in [{"name": "x"}, {"name": "x", "scopes": ["everything"]}]:
        response = client.post(reverse("access:token_create"), data)
        assert response.status_code == 400
        assert form_errors(response, "scopes", form="token_form")
    assert not ApiToken.objects.exists()


def test_revoke_own_token(sales1: Any, client_for: Any) -> None:
    token, _raw = ApiToken.issue(sales1, scopes=["*"])
    response = client_for(sales1).post(reverse("access:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert not ApiToken.objects.usable().filter(pk=token.pk).exists()
    assert audit_rows(token)[-1].after["revoked_at"] is not None


def test_someone_elses_token_is_404_but_a_manager_may_revoke_it(
    sales1: Any, sales2: Any, manager: Any, client_for: Any
) -> None:
    token, _raw = ApiToken.issue(sales1, scopes=["*"])
    url = reverse("access:token_revoke", args=[token.pk])
    assert client_for(sales2).post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert client_for(manager).post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_manager_issues_a_token_for_another_user(
    manager: Any, sales2: Any, client_for: Any
) -> None:
    response = client_for(manager).post(
        reverse("access:token_list"),
        {"user": sales2.pk, "name": "ERP", "scopes": ["customers:read"]},
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=sales2)
    assert token.key_hash == hash_token(response.context["raw"])
    assert audit_rows(token)[0].actor_id == manager.pk


def test_token_scope_rules() -> None:
    token = ApiToken(scopes=["customers:write", "tasks:read"])
    assert token.has_scope("customers:read")
    assert token.has_scope("customers:write")
    assert token.has_scope("tasks:read")
    assert not token.has_scope("tasks:write")
    assert not token.has_scope("orders:read")
    assert ApiToken(scopes=["*"]).has_scope("orders:write")
    assert not ApiToken(scopes=[]).has_scope("customers:read")


def test_inactive_users_tokens_are_not_usable(sales1: Any) -> None:
    token, _raw = ApiToken.issue(sales1, scopes=["*"])
    User.objects.filter(pk=sales1.pk).update(is_active=False)
    assert not ApiToken.objects.usable().filter(pk=token.pk).exists()
