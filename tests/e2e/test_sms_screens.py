"""The SMS and phone screens in the browser, English and Persian: the compose box counts
segments live (the same rules as the server), the gateway screen and the call log form."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.channels.sms.models import SmsGateway
from peyvand.channels.sms.segments import count_segments
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import ContactPointFactory, CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page: Any, username: str, language: str) -> None:
    if language == "en":
        sign_in(page, username, PASSWORD)
        return
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_sms_and_call_screens(page: Any, personas: dict[str, Any], language: str) -> None:
    sales1, manager = personas["sales1"], personas["manager"]
    if language == "fa":
        speak_persian(sales1, manager)
    SmsGateway.objects.create(
        name="Kavenegar", url="https://api.example.com/sms", response_id_path="entries.0.id"
    )
    customer = CustomerFactory(owner=sales1, display_name="مریم رضایی")
    ContactPointFactory(
        customer=customer, kind="phone", value="09123456789", normalized="+989123456789"
    )
    _sign_in(page, "sales1", language)
    page.goto(f"/interactions/sms/new/{customer.pk}/")
    box = page.locator("textarea[name=body]")
    counter = page.locator("#sms-count")
    for text in ("سلام " * 15, "Hello [world] " * 12, "a" * 160):
        box.fill(text)
        expected = count_segments(text.strip())
        assert counter.get_attribute("data-segments") == str(expected.segments)
    text = "سلام، سفارش شما ارسال شد و فردا به دستتان می‌رسد. با سپاس از خرید شما از فروشگاه ما"
    assert count_segments(text).segments == 2
    box.fill(text)
    screenshot(page, f"sms-compose-{language}")
    if language == "fa":
        assert "۲ پیامک" in counter.inner_text()
    else:
        assert "2 SMS" in counter.inner_text()
    page.goto(f"/interactions/voice/log/{customer.pk}/")
    screenshot(page, f"voice-call-log-{language}")
    page.goto(f"/customers/{customer.pk}/")
    screenshot(page, f"customer-360-phone-{language}")
    page.context.clear_cookies()
    _sign_in(page, "manager", language)
    page.goto("/interactions/sms/gateways/")
    screenshot(page, f"sms-gateways-{language}")
