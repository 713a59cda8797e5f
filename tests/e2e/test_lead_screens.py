"""Lead set-up and lead screens in the browser, English and Persian: direction, no CSP
violation, nothing wider than the page; and the embed snippet posted from a "customer's
site" reaching the public endpoint and its thank-you page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.sales.models import AssignmentRule, Lead, LeadSource, ScoringRule, WebForm
from peyvand.sales.scoring import train_lead_model
from peyvand.sales.webforms import FieldSpec, save_web_form
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.sales.lead_factories import closed_history
from tests.sales.pipeline_factories import make_lead

SCRIPT = Path(__file__).resolve().parents[2] / "src/peyvand/static/peyvand/js/webform.js"


def _data(manager: Any, sales2: Any) -> dict[str, Any]:
    source = LeadSource.objects.create(code="web", name="Website", name_fa="وبسایت")
    web_form = save_web_form(
        WebForm(
            name="Contact us",
            language="fa",
            source=source,
            department=Department.objects.get(code="sales"),
            success_message_fa="سپاس! به‌زودی تماس می‌گیریم.",
        ),
        [
            FieldSpec("full_name", "name", required=True, label="Name", label_fa="نام"),
            FieldSpec("mail", "email", required=True, label="Email", label_fa="ایمیل"),
            FieldSpec("message", "notes", label="Message", label_fa="پیام"),
        ],
        actor=manager,
    )
    AssignmentRule.objects.create(
        name="Tehran to John", match_city="تهران", action="user", user=sales2
    )
    ScoringRule.objects.create(name="Has a company", field="company", points=15)
    closed_history(300, owner=sales2)
    train_lead_model(force=True)
    lead = make_lead(manager, name="مریم <i>Late</i>", company="آریان", email="late@example.com")
    Lead.objects.filter(pk=lead.pk).update(respond_by=timezone.now() - dt.timedelta(hours=3))
    return {"web_form": web_form, "lead": lead}


SCREENS = [
    ("desk-leads", "/"),
    ("lead-list", "/sales/leads/"),
    ("lead-detail", "/sales/leads/{lead}/"),
    ("web-forms", "/sales/leads/forms/"),
    ("web-form", "/sales/leads/forms/{web_form}/"),
    ("assignment-rules", "/sales/leads/assignment/"),
    ("scoring", "/sales/leads/scoring/"),
]


@pytest.mark.parametrize("language", ["en", "fa"])
def test_lead_screens_in_both_languages(
    page: Any, manager: Any, sales2: Any, language: str
) -> None:
    data = _data(manager, sales2)
    if language == "fa":
        speak_persian(manager)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager", PASSWORD)
    for name, path in SCREENS:
        page.goto(path.format(lead=data["lead"].pk, web_form=data["web_form"].pk))
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir, lang: document.documentElement.lang,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert shot["lang"] == language, name
        assert not shot["wide"], name
        screenshot(page, f"leads-{name}-{language}")
    assert page.locator("main").inner_text()  # the last screen rendered
    page.goto(f"/sales/leads/{data['lead'].pk}/")
    assert "<i>Late</i>" in page.locator("h1").inner_text()
    assert problems == []


def test_the_embed_snippet_posts_a_lead_from_another_site(
    page: Any, manager: Any, sales2: Any, live_server: Any
) -> None:
    data = _data(manager, sales2)
    sign_in(page, "manager", PASSWORD)
    page.goto(f"/sales/leads/forms/{data['web_form'].pk}/")
    snippet = page.locator("#snippet").input_value()
    assert f"{live_server.url}/api/v1/public/forms/{data['web_form'].key}" in snippet
    # Plain http: an https page may not load a script from the http test server.
    customer_site = page.context.new_page()
    # Chromium refuses a public page's script from a loopback server (Private Network
    # Access): serve the product's own script file under the same URL instead.
    customer_site.route(
        "**/static/peyvand/js/webform.js",
        lambda route: route.fulfill(
            status=200, content_type="text/javascript", body=SCRIPT.read_text(encoding="utf-8")
        ),
    )
    customer_site.route(
        "http://shop.example.com/landing?utm_source=google&utm_campaign=spring",
        lambda route: route.fulfill(
            status=200,
            content_type="text/html; charset=utf-8",
            body=f"<!doctype html><html><body><h1>Shop</h1>{snippet}</body></html>",
        ),
    )
    customer_site.goto("http://shop.example.com/landing?utm_source=google&utm_campaign=spring")
    customer_site.wait_for_load_state("networkidle")
    customer_site.get_by_label("نام").fill("سارا کریمی <b>")
    customer_site.get_by_label("ایمیل").fill("sara@example.com")
    customer_site.get_by_role("button", name="ارسال").click()
    customer_site.wait_for_load_state()
    assert "سپاس! به‌زودی تماس می‌گیریم." in customer_site.content()
    screenshot(customer_site, "leads-public-thank-you-fa")
    lead = Lead.objects.get(email="sara@example.com")
    assert lead.name == "سارا کریمی <b>"
    assert (lead.utm_source, lead.utm_campaign) == ("google", "spring")
    assert lead.referrer.startswith("http://shop.example.com/landing")
    assert lead.web_form == data["web_form"]
