"""Token and session authentication, scopes, and the language of the answers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from peyvand.access.models import ApiToken, Role, hash_token
from peyvand.access.services import revoke_token, set_user_active
from peyvand.core.api.auth import token_for
from peyvand.customers.services import create_customer
from tests.api.conftest import problem_of
from tests.conftest import speak_persian

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def test_valid_token_identifies_its_user(sales1) -> None:
    _token, raw = ApiToken.issue(sales1, scopes=["customers:read"])
    body = bearer(raw).get("/api/v1/me").json()
    assert body["username"] == "sales1"
    assert body["auth"] == "token"
    assert body["token_scopes"] == ["customers:read"]


def test_token_is_stored_only_as_its_hash(sales1) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    token.refresh_from_db()
    assert token.key_hash == hash_token(raw)
    assert raw not in {token.key_hash, token.key_prefix, token.name}
    assert not ApiToken.objects.filter(key_hash=raw).exists()


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer pvk_not-a-real-token", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_missing_or_invalid_credentials_are_401_problems(header: str) -> None:
    client = Client(headers={"Authorization": header}) if header else Client()
    problem = problem_of(client.get("/api/v1/customers"), 401)
    assert "Bearer" in problem["detail"]


def test_401_names_the_scheme(sales1) -> None:
    response = Client().get("/api/v1/me")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(sales1) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    token.revoked_at = timezone.now()
    token.save()
    problem_of(bearer(raw).get("/api/v1/me"), 401)


def test_expired_token_is_refused_and_a_live_one_accepted(sales1) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    token.expires_at = timezone.now() - dt.timedelta(seconds=1)
    token.save()
    problem_of(bearer(raw).get("/api/v1/me"), 401)
    token.expires_at = timezone.now() + dt.timedelta(days=1)
    token.save()
    assert bearer(raw).get("/api/v1/me").status_code == 200


def test_token_of_a_deactivated_user_is_refused(sales1) -> None:
    _token, raw = ApiToken.issue(sales1, scopes=["*"])
    sales1.is_active = False
    sales1.save()
    problem_of(bearer(raw).get("/api/v1/me"), 401)


def test_a_resolved_token_is_reused_without_queries(sales1, django_assert_num_queries) -> None:
    _token, raw = ApiToken.issue(sales1, scopes=["*"])
    first = token_for(RequestFactory().get("/"), raw)
    with django_assert_num_queries(0):
        again = token_for(RequestFactory().get("/"), raw)
    assert again is not None and first is not None
    assert (again.pk, again.user.pk) == (first.pk, sales1.pk)


def test_a_token_in_use_stops_working_when_revoked(sales1, manager) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    client = bearer(raw)
    assert client.get("/api/v1/me").status_code == 200
    revoke_token(token.pk, actor=manager)
    problem_of(client.get("/api/v1/me"), 401)


def test_a_token_in_use_stops_working_when_its_user_is_deactivated(sales1, manager) -> None:
    _token, raw = ApiToken.issue(sales1, scopes=["*"])
    client = bearer(raw)
    assert client.get("/api/v1/me").status_code == 200
    set_user_active(sales1.pk, False, actor=manager)
    problem_of(client.get("/api/v1/me"), 401)


def test_a_token_in_use_stops_working_when_it_expires(sales1, monkeypatch) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    token.expires_at = timezone.now() + dt.timedelta(seconds=5)
    token.save()
    client = bearer(raw)
    assert client.get("/api/v1/me").status_code == 200
    later = token.expires_at + dt.timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    problem_of(client.get("/api/v1/me"), 401)


def test_a_token_follows_its_users_roles_at_once(sales1) -> None:
    customer = create_customer(actor=sales1, owner=sales1, display_name="Mine")
    client = bearer(ApiToken.issue(sales1, scopes=["*"])[1])
    path = f"/api/v1/customers/{customer.pk}"
    assert client.get(path).status_code == 200
    roles = list(sales1.roles.all())
    sales1.roles.clear()
    problem_of(client.get(path), 404)
    sales1.roles.set(roles)
    assert client.get(path).status_code == 200
    # A role losing the right to see customers takes it from every token of its users.
    for role in roles:
        role.permissions = {k: v for k, v in role.permissions.items() if k != "customer"}
        role.save()
    assert not Role.objects.filter(users=sales1, permissions__has_key="customer").exists()
    problem_of(client.get(path), 404)


def test_wrong_scope_is_403_and_changes_nothing(api_client, sales1) -> None:
    client = api_client(sales1, ["customers:read"])
    problem = problem_of(
        client.post("/api/v1/tasks", {"title": "not allowed"}, content_type="application/json"),
        403,
    )
    assert "tasks:write" in problem["detail"]
    from peyvand.desk.models import Task

    assert not Task.objects.exists()
    problem_of(client.get("/api/v1/orders"), 403)
    assert client.get("/api/v1/customers").status_code == 200


def test_star_scope_grants_every_endpoint(api_client, sales1) -> None:
    client = api_client(sales1, ["*"])
    for path in ("/api/v1/customers", "/api/v1/orders", "/api/v1/tasks", "/api/v1/interactions"):
        assert client.get(path).status_code == 200, path


def test_last_used_at_is_written_at_most_once_a_minute(sales1) -> None:
    token, raw = ApiToken.issue(sales1, scopes=["*"])
    client = bearer(raw)
    client.get("/api/v1/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first
    # Saved like any change to the token, so that a cached copy goes too.
    token.last_used_at = first - dt.timedelta(minutes=2)
    token.save(update_fields=["last_used_at"])
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at > first


def test_session_works_for_reads_and_needs_csrf_for_writes(sales1) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(sales1, backend="django.contrib.auth.backends.ModelBackend")
    me = client.get("/api/v1/me").json()
    assert me["auth"] == "session" and me["token_scopes"] is None
    refused = client.post(
        "/api/v1/customers", {"display_name": "Via UI"}, content_type="application/json"
    )
    assert "CSRF" in problem_of(refused, 403)["detail"]
    request = RequestFactory().get("/")
    csrf = get_token(request)
    client.cookies["csrftoken"] = request.META["CSRF_COOKIE"]
    created = client.post(
        "/api/v1/customers",
        {"display_name": "Via UI"},
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert created.status_code == 201, created.content


def test_bad_token_does_not_fall_back_to_the_session(sales1) -> None:
    client = Client(headers={"Authorization": "Bearer wrong"})
    client.force_login(sales1, backend="django.contrib.auth.backends.ModelBackend")
    problem_of(client.get("/api/v1/me"), 401)


def test_answers_follow_accept_language_then_the_user(api_client, sales1, sales2) -> None:
    speak_persian(sales1)
    assert api_client(sales1).get("/api/v1/me")["Content-Language"] == "fa"
    assert api_client(sales2).get("/api/v1/me")["Content-Language"] == "en"
    response = api_client(sales1).get("/api/v1/me", headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "en"
