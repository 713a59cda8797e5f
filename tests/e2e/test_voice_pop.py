"""Screen pop in a real browser: an agent's page holds the voice WebSocket; the PBX posts a
signed "ringing" event; the popup with the customer's name and 360 link appears.

pytest-django's live server speaks WSGI only, so the whole ASGI application (pages, static
files and WebSockets) is served by daphne, in a thread of the test process so that it shares
the test database.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest

from peyvand.channels.sms.signing import signed_headers
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import ContactPointFactory, CustomerFactory

SECRET = "pbx-secret-e2e"


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def post_event(port: int, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps(payload).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        connection.request(
            "POST",
            "/interactions/voice/hooks/",
            body=body,
            headers={"Content-Type": "application/json", **signed_headers(SECRET, body)},
        )
        response = connection.getresponse()
        assert response.status == 200, response.read()
        return json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_incoming_call_pops_up_on_the_agents_page(
    browser: Any, asgi_server_url: str, personas: dict[str, Any], settings: Any, language: str
) -> None:
    settings.AXES_ENABLED = False
    settings.PEYVAND_VOICE_WEBHOOK_SECRET = SECRET
    sales1 = personas["sales1"]
    if language == "fa":
        speak_persian(sales1)
    customer = CustomerFactory(owner=sales1, display_name="نگار <i>احمدی</i>")
    ContactPointFactory(
        customer=customer, kind="phone", value="09121112233", normalized="+989121112233"
    )
    context = browser.new_context(base_url=asgi_server_url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        if language == "fa":
            page.goto("/accounts/login/")
            page.fill("input[name=username]", "sales1")
            page.fill("input[name=password]", PASSWORD)
            page.locator("form button[type=submit]").last.click()
            page.wait_for_url(lambda url: "/accounts/login/" not in url)
        else:
            sign_in(page, "sales1", PASSWORD)
        page.goto("/customers/")
        page.locator("body[data-voice='connected']").wait_for(state="attached")
        answer = post_event(
            _port(asgi_server_url),
            {"event": "ringing", "call_id": f"e2e-{language}", "from": "۰۹۱۲۱۱۱۲۲۳۳"},
        )
        assert answer["customer"] == customer.pk
        pop = page.locator("#call-pop")
        pop.wait_for()
        # The name is shown as text: the markup in it is not interpreted.
        assert pop.locator(".call-pop-name").inner_text() == "نگار <i>احمدی</i>"
        assert pop.locator("i").count() == 0
        link = pop.locator("a")
        assert link.get_attribute("href") == f"/customers/{customer.pk}/"
        if language == "fa":
            assert "تماس ورودی" in pop.inner_text()
            assert "+۹۸۹۱۲۱۱۱۲۲۳۳" in pop.inner_text()
        else:
            assert "Incoming call" in pop.inner_text()
        screenshot(page, f"voice-screen-pop-{language}")
        link.click()
        page.wait_for_url(f"**/customers/{customer.pk}/")
        assert page.locator('a[href="tel:+989121112233"]').count() == 1
    finally:
        context.close()
