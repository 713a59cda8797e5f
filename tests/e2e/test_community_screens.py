"""The community in a real browser, English and Persian: a signed-in customer reads a
thread with a staff answer, replies through the form and votes; the ideas board; the staff
moderation queue, thread and ideas list. Hostile titles and posts never run as script."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from djmoney.money import Money

from peyvand.catalog.models import Product
from peyvand.portal.community import services
from peyvand.portal.session import SESSION_KEY
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

XSS = '<img src=x onerror="window.__pwned=1">'


def _community(manager: Any, service1: Any, marketing1: Any) -> dict[str, Any]:
    product = Product.objects.create(
        sku="KEY-ROUTER", name="Keyhan router", name_fa="روتر کیهان", unit_price=Money(10, "IRR")
    )
    alice = CustomerFactory(display_name="Alice Asker")
    bob = CustomerFactory(display_name="بابک پاسخ‌گو")
    thread = services.start_thread(
        customer=bob,
        product=product,
        title=f"روتر شب‌ها قطع می‌شود {XSS}",
        body=f"هر شب ساعت ۲ {XSS}",
    )
    # Bob's first post waited for a moderator, who let it through.
    services.moderate(thread.posts.get(is_opening=True), actor=service1, action="approve")
    answer = services.reply(thread, body="Update the firmware to 2.4.", staff=service1)
    services.accept_answer(thread, answer, staff=service1)
    services.reply(thread, body="Me too, see http://spam.example", customer=alice)
    for title, votes in (("Dark mode", 2), (f"پشتیبانی از IPv6 {XSS}", 1)):
        idea = services.propose_idea(customer=bob, product=product, title=title, description=XSS)
        for _n in range(votes):
            services.vote_idea(idea, customer=CustomerFactory())
    services.set_idea_status(idea, actor=marketing1, status="planned", note="برای فصل بعد")
    return {"product": product, "thread": thread, "alice": alice}


def _sign_in_customer(page: Any, live_server: Any, customer: Any, language: str) -> None:
    session = SessionStore()
    session[SESSION_KEY] = customer.pk
    session.create()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )


@pytest.mark.parametrize("language", ["en", "fa"])
def test_community_screens(
    page: Any, live_server: Any, language: str, manager: Any, service1: Any, marketing1: Any
) -> None:
    data = _community(manager, service1, marketing1)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    direction = "rtl" if language == "fa" else "ltr"
    _sign_in_customer(page, live_server, data["alice"], language)

    page.goto(f"/portal/community/products/{data['product'].pk}/")
    assert page.locator("html").get_attribute("dir") == direction
    screenshot(page, f"community-forum-{language}")

    page.goto(f"/portal/community/threads/{data['thread'].pk}/")
    assert page.locator(".badge.staff").count() == 1
    assert page.locator(".cm-accepted").count() == 1
    # Alice's own post with a link waits for a moderator, and only she sees it.
    assert page.locator(".cm-post").count() == 3
    page.locator("textarea[name=body]").fill("Firmware 2.4 fixed it for me too.")
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".messages").count() == 1
    page.locator(".cm-post").first.locator("form[action$='/vote/'] button").click()
    page.wait_for_load_state()
    assert (
        page.locator(".cm-post")
        .first.locator(".badge", has_text="voted" if language == "en" else "رأی داده‌اید")
        .count()
        == 1
    )
    screenshot(page, f"community-thread-{language}")

    page.goto(f"/portal/community/products/{data['product'].pk}/ideas/")
    assert page.locator(".cm-idea").count() == 2
    screenshot(page, f"community-ideas-{language}")

    if language == "fa":
        speak_persian(manager)
    staff = page.context.browser.new_context(
        base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 900}
    )
    staff_page = staff.new_page()
    staff_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(staff_page, "manager", PASSWORD)
    staff_page.goto("/community/")
    assert staff_page.locator("html").get_attribute("dir") == direction
    assert staff_page.locator(".cm-queue-item").count() >= 2
    screenshot(staff_page, f"community-staff-queue-{language}")
    staff_page.goto(f"/community/threads/{data['thread'].pk}/")
    screenshot(staff_page, f"community-staff-thread-{language}")
    staff_page.goto("/community/ideas/")
    screenshot(staff_page, f"community-staff-ideas-{language}")
    assert staff_page.evaluate("window.__pwned") is None
    staff.close()

    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
