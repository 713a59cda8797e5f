"""Staff screens of lead set-up: web forms with the embed snippet, assignment rules,
scoring; managers only (everyone else 404); both languages; escaping."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.sales.models import AssignmentRule, ScoringRule, WebForm
from tests.conftest import speak_persian
from tests.sales.lead_factories import closed_history

PAGES = [
    "/sales/leads/forms/",
    "/sales/leads/forms/new/",
    "/sales/leads/assignment/",
    "/sales/leads/scoring/",
]


@pytest.mark.parametrize("url", PAGES)
def test_only_managers_reach_the_set_up_screens(
    url: str, manager: Any, sales1: Any, marketing1: Any, client_for: Any
) -> None:
    assert client_for(manager).get(url).status_code == 200
    for persona in (sales1, marketing1):
        assert client_for(persona).get(url).status_code == 404
    if url != "/sales/leads/forms/":  # the list answers GET only
        assert client_for(sales1).post(url, {"name": "x"}).status_code == 404
    assert client_for(sales1).post("/sales/leads/scoring/retrain/").status_code == 404
    assert not WebForm.objects.exists() and not AssignmentRule.objects.exists()


def _web_form_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "name": "Contact <b>us</b>",
        "language": "fa",
        "department": Department.objects.get(code="sales").pk,
        "success_message_fa": "سپاس",
        "is_active": "on",
        "f_name_on": "on",
        "f_name_name": "full_name",
        "f_name_required": "on",
        "f_name_label_fa": "نام و نام خانوادگی",
        "f_email_on": "on",
        "f_email_name": "mail",
        "f_email_label_fa": "ایمیل",
    }
    data.update(overrides)
    return data


def test_creating_a_web_form_shows_the_embed_snippet(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    response = client.post("/sales/leads/forms/new/", _web_form_post())
    assert response.status_code == 302, response.content.decode()[:2000]
    web_form = WebForm.objects.get()
    assert [f["name"] for f in web_form.fields] == ["full_name", "mail"]
    page = client.get(response["Location"]).content.decode()
    assert f"/api/v1/public/forms/{web_form.key}" in page
    assert "peyvand/js/webform.js" in page
    # The snippet is shown as text, never as live HTML on our page.
    assert "&lt;form method=&quot;post&quot;" in page
    assert 'name="website"' not in page.replace("&quot;", '"').split("<textarea")[0]
    assert "Contact &lt;b&gt;us&lt;/b&gt;" in page
    # The snippet speaks the form's language.
    assert "نام و نام خانوادگی" in page


def test_bad_web_form_input_is_shown_and_nothing_saved(manager: Any, client_for: Any) -> None:
    response = client_for(manager).post(
        "/sales/leads/forms/new/",
        _web_form_post(redirect_url="http://192.168.0.1/", f_email_on=""),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "private network" in page and "email or a phone field" in page
    assert not WebForm.objects.exists()


def test_assignment_rules_screen_adds_and_lists_rules(
    manager: Any, sales2: Any, client_for: Any
) -> None:
    client = client_for(manager)
    response = client.post(
        "/sales/leads/assignment/",
        {
            "name": "Tabriz",
            "position": "1",
            "match_city": "تبریز",
            "action": "user",
            "user": sales2.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = AssignmentRule.objects.get()
    assert (rule.user, rule.match_city) == (sales2, "تبریز")
    page = client.get("/sales/leads/assignment/").content.decode()
    assert "Tabriz" in page and "تبریز" in page
    bad = client.post(
        "/sales/leads/assignment/", {"name": "X", "position": "0", "action": "round_robin"}
    )
    assert bad.status_code == 400 and AssignmentRule.objects.count() == 1


def test_editing_a_rule_on_the_screen_is_in_the_change_log(
    manager: Any, sales1: Any, sales2: Any, client_for: Any
) -> None:
    from peyvand.audit.models import ChangeLog

    client = client_for(manager)
    data = {
        "name": "Tabriz",
        "position": "1",
        "match_city": "تبریز",
        "action": "user",
        "user": sales2.pk,
        "is_active": "on",
    }
    client.post("/sales/leads/assignment/", data)
    rule = AssignmentRule.objects.get()
    edited = client.post(f"/sales/leads/assignment/{rule.pk}/", {**data, "user": sales1.pk})
    assert edited.status_code == 302
    change = ChangeLog.objects.filter(object_id=str(rule.pk), action="update").get()
    # The form changed the object before the service saw it; the log still has both sides.
    assert change.before["user_id"] == sales2.pk and change.after["user_id"] == sales1.pk


def test_scoring_screen_rules_history_and_retraining(
    manager: Any, sales1: Any, client_for: Any
) -> None:
    client = client_for(manager)
    page = client.get("/sales/leads/scoring/").content.decode()
    assert "Too little history" in page
    assert (
        client.post(
            "/sales/leads/scoring/",
            {
                "name": "Company",
                "field": "company",
                "condition": "is_set",
                "points": "10",
                "is_active": "on",
            },
        ).status_code
        == 302
    )
    assert ScoringRule.objects.get().points == 10
    closed_history(400, owner=sales1)
    response = client.post("/sales/leads/scoring/retrain/", follow=True)
    page = response.content.decode()
    assert "Holdout AUC" in page and "Too little history" not in page
    speak_persian(manager)
    page = client_for(manager).get("/sales/leads/scoring/").content.decode()
    assert 'dir="rtl"' in page and "امتیازدهی" in page
