"""Email identities, templates and the compose page in the browser, English and Persian: direction, no CSP
violation, nothing wider than the page."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import ContactPointFactory, CustomerFactory


def _data() -> dict[str, Any]:
    identity = SendingIdentity.objects.create(
        name="Service",
        department=Department.objects.get(code="service"),
        from_name_en="Peyvand Service",
        from_name_fa="خدمات پیوند",
        address="service@shop.example",
        reply_domain="reply.shop.example",
        signature_en="The service team",
        signature_fa="تیم خدمات پیوند",
    )
    template = EmailTemplate.objects.create(
        name="Order shipped",
        identity=identity,
        subject_en="Your order is on its way, {{ first_name | friend }}",
        body_en="Hello {{ first_name | friend }},\n\nYour order left our warehouse today.",
        subject_fa="سفارش شما ارسال شد، {{ first_name | مشتری گرامی }}",
        body_fa="سلام {{ first_name | دوست عزیز }}،\n\nسفارش شما امروز از انبار ارسال شد.",
    )
    customer = CustomerFactory(display_name="سارا <b>محمدی</b>", first_name="سارا")
    ContactPointFactory(customer=customer, value="sara@example.com")
    return {"identity": identity, "template": template, "customer": customer}


SCREENS = [
    ("identities", "/interactions/email/identities/"),
    ("identity", "/interactions/email/identities/{identity}/"),
    ("templates", "/interactions/email/templates/"),
    ("template", "/interactions/email/templates/{template}/"),
    ("compose-search", "/interactions/inbox/compose/?q=sara@example.com"),
    ("compose", "/interactions/inbox/compose/?customer={customer}"),
]


@pytest.mark.parametrize("language", ["en", "fa"])
def test_email_screens_in_both_languages(page: Any, manager: Any, language: str) -> None:
    data = _data()
    # The shared machines are slow under load; the screens themselves are light.
    page.set_default_timeout(90_000)
    page.set_default_navigation_timeout(90_000)
    if language == "fa":
        speak_persian(manager)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager", PASSWORD)
    for name, path in SCREENS:
        page.goto(
            path.format(
                identity=data["identity"].pk,
                template=data["template"].pk,
                customer=data["customer"].pk,
            )
        )
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir, lang: document.documentElement.lang,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert shot["lang"] == language, name
        assert not shot["wide"], name
        screenshot(page, f"email-{name}-{language}")
    assert not problems
