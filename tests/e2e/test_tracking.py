"""The tracking snippet in a real browser: the test page sends a page view and a product
view, the add-to-cart button another event, identify(token) stitches them to a customer,
and the customer's 360 page shows the summary; the staff screens in English and Persian."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from peyvand.channels.inbox.models import Conversation, Message
from peyvand.tracking.links import tracked_text
from peyvand.tracking.models import Event, MessageEvent, TrackedSite
from peyvand.tracking.services import issue_identify_token, save_site, set_campaign_key
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

# A person's browser: headless Chromium says "HeadlessChrome" and navigator.webdriver, which
# the bot filter rightly refuses to count as a person.
PERSON_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)


@pytest.fixture
def person(browser: Any, live_server: Any, settings: Any) -> Iterator[Any]:
    settings.AXES_ENABLED = False
    context = browser.new_context(
        base_url=live_server.url,
        user_agent=PERSON_AGENT,
        locale="en-US",
        viewport={"width": 1280, "height": 900},
    )
    context.add_init_script("Object.defineProperty(navigator, 'webdriver', {get: () => false})")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the events did not arrive")
        time.sleep(0.2)


def test_snippet_events_are_stitched_and_summarised_on_the_360_page(
    person: Any, manager: Any
) -> None:
    site = save_site(TrackedSite(name="Shop"), origins=[], actor=manager)
    customer = CustomerFactory(display_name="Parisa <b>Tehrani</b>", owner=manager)
    problems: list[str] = []
    person.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    sign_in(person, "manager", PASSWORD)
    person.goto(f"/tracking/sites/{site.pk}/test-page/")
    person.get_by_role("button", name="Add to cart").click()
    person.evaluate("peyvand('flush')")
    wait_for(lambda: Event.objects.filter(site=site).count() >= 3)
    kinds = set(Event.objects.filter(site=site).values_list("type", flat=True))
    assert {"page_view", "product_view", "add_to_cart"} <= kinds
    assert not Event.objects.filter(is_bot=True).exists()
    assert not Event.objects.filter(customer__isnull=False).exists()

    person.evaluate("token => peyvand('identify', token)", issue_identify_token(site, customer))
    wait_for(lambda: Event.objects.filter(site=site, customer=customer).count() >= 4)
    assert not Event.objects.filter(site=site, customer__isnull=True).exists()

    person.goto(f"/customers/{customer.pk}/")
    card = person.locator("#cu-web")
    card.get_by_text("DEMO-TEA").wait_for()
    assert "Last visit" in card.inner_text()
    timeline = person.locator("ol.cu-timeline")
    timeline.get_by_text("Website visit").wait_for()
    assert "1 page, viewed 1 product, added 1 to cart" in timeline.inner_text()
    assert timeline.get_by_text("Website visit").count() == 1
    screenshot(person, "tracking-customer-360-en")
    assert problems == []


@pytest.mark.parametrize("language", ["en", "fa"])
def test_tracking_screens_in_both_languages(page: Any, manager: Any, language: str) -> None:
    site = save_site(
        TrackedSite(name="فروشگاه <i>Shop</i>"), origins=["https://shop.example"], actor=manager
    )
    if language == "fa":
        speak_persian(manager)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager", PASSWORD)
    for name, path in (
        ("sites", "/tracking/"),
        ("site", f"/tracking/sites/{site.pk}/"),
        ("test-page", f"/tracking/sites/{site.pk}/test-page/"),
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert not shot["wide"], name
        screenshot(page, f"tracking-{name}-{language}")
    page.goto(f"/tracking/sites/{site.pk}/")
    assert "<i>Shop</i>" in page.locator("h1").inner_text()
    assert problems == []


def test_a_tracked_link_lands_on_the_site_identified(
    person: Any, manager: Any, live_server: Any, settings: Any
) -> None:
    settings.PEYVAND_PUBLIC_URL = live_server.url
    site = save_site(TrackedSite(name="Shop"), origins=[live_server.url], actor=manager)
    customer = CustomerFactory(owner=manager)
    conversation = Conversation.objects.create(customer=customer, channel="email")
    message = Message.objects.select_related("conversation").get(
        pk=Message.objects.create(
            conversation=conversation,
            channel="email",
            direction="outbound",
            purpose="marketing",
            status="sent",
            subject="Tea week",
            body=f"See {live_server.url}/tracking/sites/{site.pk}/test-page/?from=mail",
            message_id="tea-week@test",
        ).pk
    )
    (link,) = [word for word in tracked_text(message).split() if "/t/c/" in word]
    sign_in(person, "manager", PASSWORD)
    person.goto(link)
    person.wait_for_url(lambda url: "test-page" in url and "pv_id" not in url)
    assert "utm_source=peyvand" in person.url and "from=mail" in person.url
    wait_for(lambda: Event.objects.filter(site=site, customer=customer).exists())
    views = Event.objects.filter(site=site, type="page_view")
    assert all("pv_id" not in url for url in views.values_list("url", flat=True))
    assert MessageEvent.objects.filter(message=message, kind="click", is_bot=False).count() == 1


@pytest.mark.parametrize("language", ["en", "fa"])
def test_engagement_screen_in_both_languages(page: Any, manager: Any, language: str) -> None:
    for key, sent, opened in (("spring-sale", 6, 4), ("حراج یلدا", 4, 1)):
        for n in range(sent):
            customer = CustomerFactory()
            conversation = Conversation.objects.create(customer=customer, channel="email")
            message = Message.objects.create(
                conversation=conversation,
                channel="email",
                direction="outbound",
                status="delivered" if n % 2 else "sent",
                subject=key,
                message_id=f"{key}-{n}@test",
            )
            set_campaign_key([message.pk], key)
            if n < opened:
                MessageEvent.objects.create(message=message, kind="open", is_first=True)
            if n < opened // 2:
                MessageEvent.objects.create(message=message, kind="click", is_first=True)
    if language == "fa":
        speak_persian(manager)
    sign_in(page, "manager", PASSWORD)
    page.goto("/tracking/engagement/")
    page.wait_for_load_state("networkidle")
    shot = page.evaluate(
        "() => ({dir: document.documentElement.dir,"
        " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
    )
    assert shot["dir"] == ("rtl" if language == "fa" else "ltr")
    assert not shot["wide"]
    assert page.locator("svg").count() >= 1
    screenshot(page, f"tracking-engagement-{language}")
