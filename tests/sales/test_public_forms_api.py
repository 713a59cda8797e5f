"""The public web-to-lead endpoint: only the form's fields, honeypot, rate limit, body
limit, required fields in the form's language, UTM/referrer, browser posts, escaping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from peyvand.access.models import Department
from peyvand.sales.choices import LeadChannel
from peyvand.sales.models import Lead, LeadSource, WebForm
from peyvand.sales.webforms import FieldSpec, save_web_form
from tests.api.conftest import problem_of


@pytest.fixture
def web_form(manager: Any, sales1: Any, sales2: Any) -> WebForm:
    return save_web_form(
        WebForm(
            name="Contact us",
            language="fa",
            source=LeadSource.objects.create(code="web", name="Website", name_fa="وبسایت"),
            department=Department.objects.get(code="sales"),
            success_message="Thanks!",
            success_message_fa="سپاس! به زودی تماس می‌گیریم.",
        ),
        [
            FieldSpec("full_name", "name", required=True, label="Name", label_fa="نام"),
            FieldSpec("mail", "email", required=True, label="Email", label_fa="ایمیل"),
            FieldSpec("tel", "phone"),
            FieldSpec("message", "notes", label="Message", label_fa="پیام"),
        ],
        actor=manager,
    )


def _url(form: WebForm, query: str = "") -> str:
    return f"/api/v1/public/forms/{form.key}{query}"


def _post(form: WebForm, body: Any, client: Client | None = None, **extra: Any) -> Any:
    client = client or Client()
    return client.post(
        _url(form, extra.pop("query", "")),
        data=json.dumps(body),
        content_type="application/json",
        **extra,
    )


def test_a_json_post_captures_a_lead_with_utm_and_referrer(
    web_form: WebForm, sales1: Any, sales2: Any
) -> None:
    response = _post(
        web_form,
        {
            "full_name": "سارا کریمی",
            "mail": "Sara@Example.com",
            "message": "سلام 🙂",
            "utm_campaign": "spring",
        },
        query="?utm_source=google&utm_medium=cpc",
        HTTP_REFERER="https://shop.example.com/pricing",
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"message": "سپاس! به زودی تماس می‌گیریم."}
    lead = Lead.objects.get()
    assert (lead.name, lead.email, lead.notes) == ("سارا کریمی", "sara@example.com", "سلام 🙂")
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign) == ("google", "cpc", "spring")
    assert lead.referrer == "https://shop.example.com/pricing"
    assert lead.channel == LeadChannel.WEB_FORM and lead.web_form == web_form
    assert lead.source.code == "web" and lead.language == "fa"
    assert lead.owner in (sales1, sales2) and lead.respond_by is not None


def test_unknown_fields_are_refused_and_nothing_beyond_the_form_can_be_set(
    web_form: WebForm, sales2: Any
) -> None:
    for extra in ({"owner": sales2.pk}, {"status": "qualified"}, {"score": 99}, {"company": "X"}):
        body = problem_of(
            _post(web_form, {"full_name": "A", "mail": "a@example.com", **extra}), 400
        )
        assert body["errors"][0]["field"] == next(iter(extra))
        assert body["errors"][0]["code"] == "extra_forbidden"
    assert not Lead.objects.exists()


def test_missing_required_fields_answer_in_the_forms_language(web_form: WebForm) -> None:
    body = problem_of(_post(web_form, {"tel": "09121234567"}), 400)
    assert {e["field"] for e in body["errors"]} == {"full_name", "mail"}
    assert all(e["message"] == "پر کردن این فیلد الزامی است." for e in body["errors"])
    web_form.language = "en"
    web_form.save()
    body = problem_of(_post(web_form, {"full_name": "A"}), 400)
    assert body["errors"] == [
        {"field": "mail", "message": "This field is required.", "code": "missing"}
    ]
    body = problem_of(_post(web_form, {"full_name": "A", "mail": "not an email"}), 400)
    assert body["errors"][0]["field"] == "mail"
    assert not Lead.objects.exists()


def test_wrong_types_and_bad_json_are_refused(web_form: WebForm) -> None:
    body = problem_of(_post(web_form, {"full_name": {"x": 1}, "mail": "a@example.com"}), 400)
    assert body["errors"][0]["field"] == "full_name"
    problem_of(_post(web_form, ["full_name"]), 400)
    response = Client().post(_url(web_form), data="{nope", content_type="application/json")
    problem_of(response, 400)
    assert not Lead.objects.exists()


def test_the_honeypot_is_thanked_and_nothing_is_stored(web_form: WebForm) -> None:
    response = _post(web_form, {"full_name": "Bot", "mail": "bot@example.com", "website": "x"})
    assert response.status_code == 201
    assert response.json()["message"] == "سپاس! به زودی تماس می‌گیریم."
    assert not Lead.objects.exists()


def test_a_body_of_one_megabyte_is_refused(web_form: WebForm) -> None:
    response = _post(web_form, {"full_name": "A" * (1024 * 1024), "mail": "a@example.com"})
    body = problem_of(response, 413)
    assert body["detail"]
    assert not Lead.objects.exists()


def test_script_in_fields_is_stored_as_text(
    web_form: WebForm, manager: Any, client_for: Any
) -> None:
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert (
        _post(
            web_form, {"full_name": script, "mail": "s@example.com", "message": script}
        ).status_code
        == 201
    )
    lead = Lead.objects.get()
    assert lead.name == script and lead.notes == script
    page = client_for(manager).get(f"/sales/leads/{lead.pk}/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page


def test_a_hundred_posts_a_second_from_one_address_are_rate_limited(
    web_form: WebForm, settings: Any
) -> None:
    # A day-long window, so the burst cannot straddle two windows on a slow machine (the
    # window arithmetic itself is tested with a fixed clock in test_webforms.py).
    settings.PEYVAND_WEBFORM_RATE = "10/86400"
    statuses = []
    for i in range(100):
        response = _post(
            web_form,
            {"full_name": f"P{i}", "mail": f"p{i}@example.com"},
            REMOTE_ADDR="203.0.113.9",
        )
        statuses.append(response.status_code)
    assert statuses.count(201) == 10 and statuses.count(429) == 90
    limited = _post(
        web_form, {"full_name": "Q", "mail": "q@example.com"}, REMOTE_ADDR="203.0.113.9"
    )
    body = problem_of(limited, 429)
    assert 1 <= int(limited["Retry-After"]) <= 86400 and body["detail"]
    # Another address is not affected.
    other = _post(web_form, {"full_name": "R", "mail": "r@example.com"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 201
    assert Lead.objects.count() == 11


def test_a_browser_post_shows_the_thank_you_page_or_redirects(web_form: WebForm) -> None:
    response = Client(enforce_csrf_checks=True).post(
        _url(web_form), {"full_name": "مریم", "mail": "m@example.com", "website": ""}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'dir="rtl"' in page and "سپاس! به زودی تماس می‌گیریم." in page
    web_form.redirect_url = "https://www.example.com/thanks"
    web_form.save()
    response = Client().post(_url(web_form), {"full_name": "Ali", "mail": "ali@example.com"})
    assert (response.status_code, response["Location"]) == (303, "https://www.example.com/thanks")
    assert Lead.objects.count() == 2


def test_a_bad_browser_post_lists_the_errors_escaped(web_form: WebForm) -> None:
    web_form.language = "en"
    web_form.save()
    response = Client().post(_url(web_form), {"full_name": "", "<b>x</b>": "1"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    response = Client().post(_url(web_form), {"full_name": ""})
    assert "Name" in response.content.decode() and response.status_code == 400


def test_unknown_or_inactive_forms_are_not_found(web_form: WebForm) -> None:
    problem_of(
        Client().post("/api/v1/public/forms/nope", data="{}", content_type="application/json"), 404
    )
    web_form.is_active = False
    web_form.save()
    problem_of(_post(web_form, {"full_name": "A", "mail": "a@example.com"}), 404)
    assert not Lead.objects.exists()
