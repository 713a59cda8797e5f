"""Optional TOTP second factor: enrolment, the sign-in step, enforcement, turning it off."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from peyvand.access import services
from peyvand.access.middleware import OTP_REQUIRED_SESSION_KEY
from tests.access.helpers import audit_rows, in_language
from tests.conftest import PASSWORD

ENROL = "/accounts/profile/two-factor/"
VERIFY = "/accounts/login/verify/"


def code_for(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or `steps_ahead` periods later)."""
    return f"{totp(key, drift=steps_ahead):06d}"


@pytest.fixture
def no_throttle(settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


@pytest.fixture
def enrolled(sales1: Any) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=sales1, name="phone", confirmed=True)
    return device


def _sign_in(client: Client, username: str = "sales1", next_url: str = "") -> Any:
    url = "/accounts/login/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": PASSWORD})


def test_whole_flow_enrol_then_sign_in_with_a_code(
    client_for: Any, sales1: Any, no_throttle: None
) -> None:
    client = client_for(sales1)
    page = client.get(ENROL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "otpauth://totp/Peyvand%3Asales1?secret=" in body
    assert 'src="data:image/svg+xml;base64,' in body
    key = bytes.fromhex(client.session["peyvand_totp_enrol_key"])

    wrong = client.post(ENROL, {"code": f"{(int(code_for(key)) + 1) % 10**6:06d}"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"]
    assert not TOTPDevice.objects.filter(user=sales1).exists()

    enrolment_code = code_for(key)
    confirmed = client.post(ENROL, {"code": enrolment_code})
    assert confirmed.status_code == 302
    device = TOTPDevice.objects.get(user=sales1)
    assert device.confirmed and device.bin_key == key
    rows = audit_rows(device)
    assert [r.action for r in rows] == ["create"]
    assert "key" not in rows[0].after  # the secret never reaches the change log
    # The session that enrolled is already verified.
    assert client.get("/accounts/profile/").status_code == 200

    # A new sign-in stops at the code step; no staff page is reachable before it.
    fresh = Client()
    step1 = _sign_in(fresh, next_url="/accounts/profile/")
    assert step1.status_code == 302
    assert step1["Location"].startswith(VERIFY)
    blocked = fresh.get("/accounts/profile/")
    assert blocked.status_code == 302 and blocked["Location"].startswith(VERIFY)
    assert fresh.get(reverse("desk:my_desk")).status_code == 302

    # The code that confirmed the enrolment cannot be replayed.
    replay = fresh.post(VERIFY, {"code": enrolment_code, "next": "/accounts/profile/"})
    assert replay.status_code == 200
    assert replay.context["form"].errors["code"]

    ok = fresh.post(VERIFY, {"code": code_for(key, steps_ahead=1), "next": "/accounts/profile/"})
    assert ok.status_code == 302
    assert ok["Location"] == "/accounts/profile/"
    assert fresh.get("/accounts/profile/").status_code == 200


def test_code_typed_with_persian_digits_is_accepted(enrolled: TOTPDevice) -> None:
    client = Client()
    _sign_in(client)
    persian = code_for(enrolled.bin_key).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = client.post(VERIFY, {"code": persian})
    assert response.status_code == 302
    assert client.get("/accounts/profile/").status_code == 200


def test_user_without_a_device_signs_in_with_the_password_alone(sales2: Any) -> None:
    client = Client()
    response = _sign_in(client, "sales2")
    assert response["Location"] == reverse("desk:my_desk")
    assert client.session[OTP_REQUIRED_SESSION_KEY] is False
    assert client.get("/accounts/profile/").status_code == 200


def test_unverified_session_is_confined_to_the_code_page(enrolled: TOTPDevice) -> None:
    client = Client()
    _sign_in(client)
    for url in ["/accounts/settings/", "/customers/", "/accounts/profile/two-factor/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(VERIFY)
    htmx = client.get("/accounts/profile/", headers={"HX-Request": "true"})
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"].startswith(VERIFY)
    # Sign-out and the code page itself stay reachable.
    assert client.get(VERIFY).status_code == 200
    assert client.post(reverse("access:logout")).status_code == 302


def test_malformed_codes_get_a_field_error(enrolled: TOTPDevice) -> None:
    client = Client()
    _sign_in(client)
    for bad in ["", "12345", "abcdef", "<script>1</script>"]:
        response = client.post(VERIFY, {"code": bad})
        assert response.status_code == 200
        assert response.context["form"].errors["code"]
        assert "<script>1</script>" not in response.content.decode()
    assert client.get("/accounts/profile/").status_code == 302


def test_wrong_codes_are_throttled(enrolled: TOTPDevice, settings: Any) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    client = Client()
    _sign_in(client)
    client.post(VERIFY, {"code": f"{(int(code_for(enrolled.bin_key)) + 1) % 10**6:06d}"})
    # Right code, but inside the back-off window after a failure: still refused.
    response = client.post(VERIFY, {"code": code_for(enrolled.bin_key)})
    expected = in_language(
        enrolled.user.language, "Too many wrong codes. Wait a little and try again with a new code."
    )
    assert response.context["form"].errors["code"] == [expected]
    assert client.get("/accounts/profile/").status_code == 302


def test_turning_it_off_needs_a_current_code(
    enrolled: TOTPDevice, sales1: Any, no_throttle: None
) -> None:
    client = Client()
    _sign_in(client)
    client.post(VERIFY, {"code": code_for(enrolled.bin_key)})
    refused = client.post(reverse("access:two_factor_disable"), {"code": "000000"})
    assert refused.status_code == 400
    assert TOTPDevice.objects.filter(user=sales1).exists()
    ok = client.post(
        reverse("access:two_factor_disable"), {"code": code_for(enrolled.bin_key, steps_ahead=1)}
    )
    assert ok.status_code == 302
    assert not TOTPDevice.objects.filter(user=sales1).exists()
    assert [r.action for r in audit_rows(enrolled)] == ["delete"]
    # The next sign-in needs the password only.
    fresh = Client()
    assert _sign_in(fresh)["Location"] == reverse("desk:my_desk")


def test_manager_can_reset_a_lost_second_factor(
    client_for: Any, manager: Any, sales1: Any, enrolled: TOTPDevice
) -> None:
    client = client_for(manager)
    url = reverse("access:user_reset_two_factor", args=[sales1.pk])
    assert client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=sales1).exists()
    assert audit_rows(enrolled)[0].actor_id == manager.pk


def test_enable_totp_service_replaces_stale_unconfirmed_devices(sales1: Any) -> None:
    TOTPDevice.objects.create(user=sales1, name="abandoned", confirmed=False)
    device = services.enable_totp(sales1, key="00" * 20, last_t=5, actor=sales1)
    assert list(TOTPDevice.objects.filter(user=sales1)) == [device]
    assert device.last_t == 5
