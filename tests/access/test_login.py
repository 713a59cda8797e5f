"""Sign-in through the real form: rate limiting with a cool-off, sign-out, CSRF and CSP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _post_login(client: Client, username: str, password: str) -> Any:
    return client.post(LOGIN, {"username": username, "password": password})


def test_login_page_renders_with_labels_and_csrf(db: Any) -> None:
    response = Client().get(LOGIN)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in body
    assert '<label for="id_username"' in body
    assert '<label for="id_password"' in body


def test_sign_in_with_the_right_password_reaches_the_desk(sales1: Any) -> None:
    client = Client()
    response = _post_login(client, "sales1", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:my_desk")
    assert client.session["_auth_user_id"] == str(sales1.pk)


def test_wrong_password_shows_an_error_and_signs_nobody_in(sales1: Any) -> None:
    client = Client()
    response = _post_login(client, "sales1", "wrong-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_next_parameter_is_followed_but_only_on_this_site(sales1: Any) -> None:
    client = Client()
    response = client.post(
        LOGIN + "?next=/accounts/profile/", {"username": "sales1", "password": PASSWORD}
    )
    assert response["Location"] == "/accounts/profile/"
    client = Client()
    response = client.post(
        LOGIN + "?next=https://evil.example/", {"username": "sales1", "password": PASSWORD}
    )
    assert response["Location"] == reverse("desk:my_desk")


def test_repeated_failures_lock_the_account_until_the_cool_off_ends(sales1: Any) -> None:
    client = Client()
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        assert _post_login(client, "sales1", "wrong-password").status_code == 200
    locked = _post_login(client, "sales1", "wrong-password")
    assert locked.status_code == 429
    assert "access/locked_out.html" in [t.name for t in locked.templates]
    assert "Too many failed sign-in attempts" in locked.content.decode()

    # While locked, even the right password is refused and nobody is signed in.
    refused = _post_login(client, "sales1", PASSWORD)
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session

    # Another user from the same address is not affected (username + IP lock-out).
    assert _post_login(Client(), "sales2", PASSWORD).status_code == 302

    # Time travel past the cool-off: the failures expire and the right password works.
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME) + dt.timedelta(minutes=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= cool_off
        attempt.save(update_fields=["attempt_time"])
    response = _post_login(client, "sales1", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(sales1.pk)


def test_success_resets_the_failure_count(sales1: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post_login(client, "sales1", "wrong-password")
    assert _post_login(client, "sales1", PASSWORD).status_code == 302
    client.post(reverse("access:logout"))
    # A fresh run of failures starts from zero: one more failure does not lock.
    assert _post_login(client, "sales1", "wrong-password").status_code == 200


def test_sign_out_is_post_only_and_ends_the_session(client_for: Any, sales1: Any) -> None:
    client = client_for(sales1)
    assert client.get(reverse("access:logout")).status_code == 405
    response = client.post(reverse("access:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("access:login")
    assert "_auth_user_id" not in client.session


def test_login_form_is_csrf_protected(sales1: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    response = _post_login(client, "sales1", PASSWORD)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_page_sends_a_strict_content_security_policy(db: Any) -> None:
    response = Client().get(LOGIN)
    policy = response["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert "'self'" in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"]
    # The page itself needs nothing the policy forbids.
    body = response.content.decode()
    assert "<script>" not in body
    assert 'style="' not in body


def test_session_and_csrf_cookies_are_hardened(sales1: Any) -> None:
    client = Client()
    response = _post_login(client, "sales1", PASSWORD)
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize("username", ["", "x" * 500])
def test_malformed_sign_in_input_is_rejected_calmly(db: Any, username: str) -> None:
    response = _post_login(Client(), username, "whatever")
    assert response.status_code == 200
    assert not response.context["form"].is_valid()
