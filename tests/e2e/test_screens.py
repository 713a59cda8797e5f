"""Every main staff screen, as the manager on a phone, in English and in Persian: the
document direction and language, no Content-Security-Policy violation in the console, nothing
wider than the screen, Jalali dates in Persian digits, and phone numbers kept left-to-right.

One test per language walks all screens (signing in and building the data once), and reports
every screen that fails rather than stopping at the first."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in

PHONE = {"width": 390, "height": 844}

# (name, path); {customer}, {task}, {order}, {interaction} are filled from the data below.
SCREENS = [
    ("desk", "/"),
    ("all-desks", "/desks/"),
    ("department-desk", "/desk/department/sales/"),
    ("task", "/tasks/{task}/"),
    ("customers", "/customers/"),
    ("customer-360", "/customers/{customer}/"),
    ("customer-form", "/customers/{customer}/edit/"),
    ("interaction", "/interactions/{interaction}/"),
    ("orders", "/sales/orders/"),
    ("order", "/sales/orders/{order}/"),
    ("products", "/catalog/products/"),
    ("exchange-rates", "/catalog/exchange-rates/"),
    ("imports", "/imports/"),
    ("recycle-bin", "/audit/recycle-bin/"),
    ("audit-log", "/audit/"),
    ("role-form", "/accounts/settings/roles/new/"),
    ("users", "/accounts/settings/users/"),
    ("profile", "/accounts/profile/"),
    ("cost-to-serve", "/analytics/costs/"),
    ("webhooks", "/interactions/webhooks/"),
]

# Screens that load part of themselves with htmx after the page: wait for those requests.
SETTLE = {"customer-360", "desk"}

# What each screen measures once loaded. Any element wider than the screen counts, whether
# it sticks out at the end (LTR) or at the start (RTL, where the page scrolls leftwards).
MEASURE = """() => {
  const ascii = /[0-9]/;
  const times = Array.from(document.querySelectorAll("main time"));
  const tel = document.querySelector("main a[href^='tel:']");
  return {
    dir: document.documentElement.dir,
    lang: document.documentElement.lang,
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    latinDates: times.filter((t) => ascii.test(t.textContent)).map((t) => t.textContent.trim()),
    telDirection: tel ? getComputedStyle(tel).direction : null,
  };
}"""


def _company(manager: Any) -> dict[str, int]:
    """A small company with a mixed-script customer, an order, a call and a task: enough for
    every screen to show real rows, with the English names and Latin codes that go wrong in RTL."""
    from peyvand.catalog.services import create_product, ensure_currencies
    from peyvand.channels.services import log_interaction
    from peyvand.customers.services import create_customer
    from peyvand.desk.services import create_task
    from peyvand.sales.services import create_order

    ensure_currencies()
    now = timezone.now()
    customer = create_customer(
        actor=manager,
        display_name="Atlas Motors A.Ş.",
        kind="organization",
        organization_name="Atlas Motors A.Ş.",
        currency="EUR",
        owner=manager,
        tags=["export", "B2B"],
        contact_points=[
            {"kind": "phone", "value": "+971 50 111 2233"},
            {"kind": "email", "value": "sales@atlas-motors.example"},
        ],
    )
    create_customer(
        actor=manager,
        display_name="علی کریمی",
        owner=manager,
        contact_points=[{"kind": "phone", "value": "09121234567"}],
    )
    product = create_product(
        actor=manager,
        sku="LAP-14-2026",
        name="Laptop 14 inch",
        name_fa="لپ‌تاپ ۱۴ اینچ",
        unit_price=Decimal("970.00"),
        currency="EUR",
        category="electronics",
        stock=12,
    )
    order = create_order(
        actor=manager,
        customer=customer,
        currency="EUR",
        lines=[{"product": product, "quantity": 2, "unit_price": Decimal("970.00")}],
    )
    interaction = log_interaction(
        actor=manager,
        customer=customer,
        channel="phone",
        direction="inbound",
        subject="Warranty question (SKU LAP-14-2026)",
        body="Asked whether the warranty covers the battery.",
        duration_seconds=300,
    )
    task = create_task(
        actor=manager,
        title="Call Atlas Motors back about the warranty!",
        customer=customer,
        priority=3,
        due_at=now - dt.timedelta(days=1),
    )
    create_task(actor=manager, title="بررسی گزارش فروش فصل", due_at=now + dt.timedelta(days=3))
    return {
        "customer": customer.pk,
        "order": order.pk,
        "interaction": interaction.pk,
        "task": task.pk,
    }


@pytest.mark.parametrize(("language", "direction"), [("en", "ltr"), ("fa", "rtl")])
@pytest.mark.django_db(transaction=True)
def test_main_screens_fit_a_phone_without_csp_violations(
    page: Any, personas: dict[str, Any], language: str, direction: str
) -> None:
    manager = personas["manager"]
    ids = _company(manager)
    if language == "fa":
        speak_persian(manager)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    page.set_viewport_size(PHONE)
    sign_in(page, "manager", PASSWORD)

    problems: list[str] = []
    for name, path in SCREENS:
        console.clear()
        response = page.goto(path.format(**ids))
        if name in SETTLE:
            page.wait_for_load_state("networkidle")
        seen = page.evaluate(MEASURE)
        screenshot(page, f"screen-{name}-{language}-phone")
        if response is None or response.status != 200:
            problems.append(f"{name}: HTTP {response.status if response else 'no response'}")
        if (seen["dir"], seen["lang"]) != (direction, language):
            problems.append(f"{name}: dir/lang {seen['dir']}/{seen['lang']}")
        csp = [text for text in console if "Content Security Policy" in text]
        errors = [text for text in console if text.startswith("page error")]
        if csp or errors:
            problems.append(f"{name}: console {csp + errors}")
        if seen["scrollWidth"] > seen["innerWidth"] + 1:
            problems.append(
                f"{name}: {seen['scrollWidth']}px wide on a {seen['innerWidth']}px screen"
            )
        if language == "fa" and seen["latinDates"]:
            problems.append(f"{name}: dates not in Persian digits {seen['latinDates']}")
        if seen["telDirection"] not in (None, "ltr"):
            problems.append(f"{name}: phone number runs {seen['telDirection']}")
    assert not problems, "\n".join(problems)
