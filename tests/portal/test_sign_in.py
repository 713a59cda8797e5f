"""Portal sign-in with a one-time code or magic link, against a real SMTP server and a real
HTTP SMS gateway: codes are hashed at rest, expire, work once, are rate limited per address
and per customer, and the answer never tells whether an address is on file."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peyvand.portal import signin
from peyvand.portal.models import SignInCode
from peyvand.portal.session import SESSION_KEY
from tests.channels.email.sink import SinkHandler

pytestmark = pytest.mark.django_db(transaction=True)

SIGN_IN = "/portal/sign-in/"
CODE = "/portal/sign-in/code/"


def _text(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def code_from(message: Any) -> str:
    match = re.search(r"\b(\d{6})\b", _text(message))
    assert match, _text(message)
    return match.group(1)


def link_from(message: Any) -> str:
    match = re.search(r"https?://\S+/portal/sign-in/link/\S+/", _text(message))
    assert match, _text(message)
    return match.group(0)


def _ask(client: Client, address: str) -> Any:
    return client.post(SIGN_IN, {"address": address})


def test_the_code_from_the_email_signs_the_customer_in(
    sink: SinkHandler, identity: Any, alice: Any
) -> None:
    client = Client()
    client.get(SIGN_IN, {"next": "/portal/tickets/"})
    response = _ask(client, " Alice@Example.com ")
    assert response.status_code == 302 and response["Location"] == CODE
    assert sink.count == 1
    message = sink.messages()[0]
    assert message["To"].addresses[0].addr_spec == "alice@example.com"
    code = code_from(message)
    assert code in str(message["Subject"])
    # Only keyed hashes are stored: neither the code nor the link's token is in the row.
    row = SignInCode.objects.get()
    link_token = link_from(message).rstrip("/").rsplit("/", 1)[1]
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert code not in stored and link_token not in stored and "alice" not in stored
    response = client.post(CODE, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/portal/tickets/"
    assert client.session[SESSION_KEY] == alice.pk
    # The portal speaks the customer's language from now on.
    assert response.cookies["django_language"].value == "en"
    assert client.get("/portal/tickets/").status_code == 200


def test_a_persian_customer_gets_the_message_in_persian(
    sink: SinkHandler, identity: Any, bob: Any
) -> None:
    _ask(Client(), "bob@example.com")
    message = sink.messages()[0]
    assert "کد ورود" in str(message["Subject"])
    assert "۱۰" in _text(message) or "10" in _text(message)


def test_an_address_not_on_file_gets_the_same_answer_and_no_email(
    sink: SinkHandler, identity: Any, alice: Any
) -> None:
    known, unknown = Client(), Client()
    a = _ask(known, "alice@example.com")
    b = _ask(unknown, "nobody@example.com")
    assert (a.status_code, a["Location"]) == (b.status_code, b["Location"])
    page_a = known.get(CODE).content.decode().replace("alice@example.com", "X")
    page_b = unknown.get(CODE).content.decode().replace("nobody@example.com", "X")
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub("", page_a) == strip.sub("", page_b)
    assert sink.count == 1
    wrong = unknown.post(CODE, {"code": "123456"})
    assert wrong.status_code == 200
    assert "This code is not right or has expired" in wrong.content.decode()
    assert SESSION_KEY not in unknown.session


def test_bad_input_is_refused_in_the_users_language(alice: Any) -> None:
    client = Client()
    response = _ask(client, "not an address")
    assert response.status_code == 200
    assert "Enter a valid email address or mobile number." in response.content.decode()
    client.cookies["django_language"] = "fa"
    response = _ask(client, "@@@")
    assert "یک نشانی ایمیل یا شماره همراه درست وارد کنید" in response.content.decode()
    assert not SignInCode.objects.exists()


def test_the_code_expires_after_ten_minutes(alice: Any, identity: Any, sink: SinkHandler) -> None:
    start = timezone.now()
    address = signin.parse_address("alice@example.com")
    signin.request_code(address, link_for=lambda t: f"http://x/{t}", now=start)
    code = code_from(sink.messages()[0])
    later = start + signin.CODE_LIFETIME + dt.timedelta(seconds=1)
    with pytest.raises(signin.ValidationError):
        signin.verify_code(address, code, now=later)
    assert signin.verify_code(address, code, now=start + dt.timedelta(minutes=9)) == alice


def test_a_code_and_its_link_work_once(alice: Any, identity: Any, sink: SinkHandler) -> None:
    client = Client()
    _ask(client, "alice@example.com")
    message = sink.messages()[0]
    code, link = code_from(message), link_from(message)
    assert client.post(CODE, {"code": code}).status_code == 302
    again = Client()
    again.session.save()
    session = again.session
    session["peyvand_portal_pending"] = ["email", "alice@example.com"]
    session.save()
    assert again.post(CODE, {"code": code}).status_code == 200
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert again.post(f"/{path}").status_code == 400
    assert SESSION_KEY not in again.session


def test_the_magic_link_signs_in_on_post_only(alice: Any, identity: Any, sink: SinkHandler) -> None:
    _ask(Client(), "alice@example.com")
    path = "/" + link_from(sink.messages()[0]).split("://", 1)[1].split("/", 1)[1]
    browser = Client()
    # A mail scanner opening the link uses nothing up.
    assert browser.get(path).status_code == 200
    assert browser.get(path).status_code == 200
    response = browser.post(path)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert browser.session[SESSION_KEY] == alice.pk
    assert Client().post(path).status_code == 400


def test_asking_again_retires_the_previous_code(
    alice: Any, identity: Any, sink: SinkHandler
) -> None:
    address = signin.parse_address("alice@example.com")
    signin.request_code(address, link_for=str)
    signin.request_code(address, link_for=str)
    first, second = (code_from(m) for m in sink.messages())
    if first != second:
        with pytest.raises(signin.ValidationError):
            signin.verify_code(address, first)
    assert signin.verify_code(address, second) == alice


def test_sends_are_rate_limited_per_address_alike_for_unknown_addresses(
    alice: Any, identity: Any, sink: SinkHandler
) -> None:
    limit = signin.SENDS_PER_ADDRESS[0]
    for address in ("alice@example.com", "nobody@example.com"):
        client = Client()
        for _ in range(limit):
            assert _ask(client, address).status_code == 302
        refused = _ask(client, address)
        assert refused.status_code == 429
        assert "Too many tries" in refused.content.decode()
    assert sink.count == limit


def test_the_window_reopens_when_the_clock_moves(
    alice: Any, identity: Any, sink: SinkHandler
) -> None:
    address = signin.parse_address("alice@example.com")
    start = timezone.now()
    limit, window = signin.SENDS_PER_ADDRESS
    for _ in range(limit):
        signin.request_code(address, link_for=str, now=start)
    with pytest.raises(signin.RateLimited) as refused:
        signin.request_code(address, link_for=str, now=start)
    assert 0 < refused.value.wait <= window
    signin.request_code(address, link_for=str, now=start + dt.timedelta(seconds=window))
    assert sink.count == limit + 1


def test_sends_are_limited_per_customer_across_their_addresses(
    alice: Any, identity: Any, gateway: Any, receiver: Any, sink: SinkHandler
) -> None:
    # At the start of a fixed window, so the whole run falls inside one.
    window = signin.SENDS_PER_CUSTOMER[1]
    now = timezone.now().timestamp()
    start = dt.datetime.fromtimestamp(now - now % window + 1, tz=dt.UTC)
    limit = signin.SENDS_PER_CUSTOMER[0]
    email = signin.parse_address("alice@example.com")
    phone = signin.parse_address("0912 111 1111")
    for i in range(limit + 2):
        # Spread over the per-address window so only the per-customer limit can stop it.
        at = start + dt.timedelta(minutes=16 * (i // 2))
        signin.request_code(email if i % 2 else phone, link_for=str, now=at)
    assert SignInCode.objects.filter(customer=alice).count() == limit


def test_wrong_codes_are_limited_and_kill_the_code(
    alice: Any, identity: Any, sink: SinkHandler
) -> None:
    address = signin.parse_address("alice@example.com")
    start = timezone.now()
    signin.request_code(address, link_for=str, now=start)
    code = code_from(sink.messages()[0])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(signin.MAX_FAILED_ATTEMPTS):
        with pytest.raises(signin.ValidationError):
            signin.verify_code(address, wrong, now=start)
    # Dead now, even with the right code.
    with pytest.raises(signin.ValidationError):
        signin.verify_code(address, code, now=start)
    for _ in range(signin.ATTEMPTS_PER_ADDRESS[0] - signin.MAX_FAILED_ATTEMPTS - 1):
        with pytest.raises(signin.ValidationError):
            signin.verify_code(address, wrong, now=start)
    with pytest.raises(signin.RateLimited):
        signin.verify_code(address, wrong, now=start)


def test_the_code_by_sms_reaches_the_gateway(alice: Any, gateway: Any, receiver: Any) -> None:
    client = Client()
    assert _ask(client, "+98 912 111 1111").status_code == 302
    assert len(receiver.hits) == 1
    sent = receiver.form()
    assert sent["to"] == ["+989121111111"]
    code = re.search(r"\b(\d{6})\b", sent["text"][0]).group(1)  # type: ignore[union-attr]
    assert client.post(CODE, {"code": code}).status_code == 302
    assert client.session[SESSION_KEY] == alice.pk


def test_a_customer_in_the_recycle_bin_cannot_sign_in(
    alice: Any, identity: Any, sink: SinkHandler, manager: Any
) -> None:
    from peyvand.customers.services import delete_customer

    delete_customer(alice, actor=manager)
    _ask(Client(), "alice@example.com")
    assert sink.count == 0


def test_sign_out_ends_the_portal_session(alice: Any, portal_client: Any) -> None:
    client = portal_client(alice)
    assert client.get("/portal/").status_code == 200
    assert client.post(reverse("portal:sign_out")).status_code == 302
    response = client.get("/portal/")
    assert response.status_code == 302 and response["Location"].startswith(SIGN_IN)
