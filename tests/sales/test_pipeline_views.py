"""Lead, board and opportunity screens, each against the persona that must be refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from peyvand.customers.models import Customer
from peyvand.sales.choices import LeadStatus
from peyvand.sales.models import Lead, Opportunity, StageHistory
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.sales.pipeline_factories import make_lead, make_opportunity

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _stage_pk(name: str) -> int:
    return ensure_default_pipeline().stages.get(name=name).pk


def test_lead_list_shows_own_leads_escaped_with_pinned_queries(
    sales1: Any, sales2: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(5):
        make_lead(sales1, name=f"Mine {index} {SCRIPT}", email=f"m{index}@example.com")
    make_lead(sales2, name="Not yours", email="n@example.com")
    client = client_for(sales1)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sales:lead_list"))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count(ESCAPED) == 5 and SCRIPT not in body
    assert "Not yours" not in body
    filtered = client.get(reverse("sales:lead_list"), {"status": "converted"}).content.decode()
    assert "Mine 0" not in filtered


def test_lead_search_stays_in_scope_and_marks_overdue_leads(
    sales1: Any, sales2: Any, manager: Any, client_for: Any
) -> None:
    mine = make_lead(sales1, name="Shared Name A", email="a@example.com")
    make_lead(sales2, name="Shared Name B", email="b@example.com", phone="09121234567")
    Lead.objects.filter(pk=mine.pk).update(respond_by=timezone.now() - dt.timedelta(hours=2))
    url = reverse("sales:lead_list")
    body = client_for(sales1).get(url, {"q": "shared name"}).content.decode()
    assert "Shared Name A" in body and "Shared Name B" not in body
    assert 'class="sla-breached"' in body and "Response overdue" in body
    assert (
        "Shared Name B" not in client_for(sales1).get(url, {"q": "0912 123 4567"}).content.decode()
    )
    found = client_for(manager).get(url, {"q": "۰۹۱۲۱۲۳۴۵۶۷"}).content.decode()
    assert "Shared Name B" in found and "Shared Name A" not in found


@pytest.mark.parametrize(
    "name", ["sales:lead_list", "sales:lead_create", "sales:board"], ids=["list", "new", "board"]
)
def test_service_and_marketing_are_refused(
    name: str, service1: Any, marketing1: Any, client_for: Any
) -> None:
    for user in (service1, marketing1):
        assert client_for(user).get(reverse(name)).status_code == 404


def test_create_lead_through_the_form(sales1: Any, client_for: Any) -> None:
    response = client_for(sales1).post(
        reverse("sales:lead_create"),
        {"name": SCRIPT, "company": "Arian", "phone": "09121234567", "utm_source": "ads"},
    )
    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    assert (lead.owner, lead.department.code, lead.phone) == (sales1, "sales", "+989121234567")
    assert lead.utm_source == "ads"
    detail = client_for(sales1).get(response["Location"]).content.decode()
    assert ESCAPED in detail and SCRIPT not in detail


def test_bad_lead_form_shows_field_errors_and_creates_nothing(sales1: Any, client_for: Any) -> None:
    response = client_for(sales1).post(
        reverse("sales:lead_create"), {"name": "", "email": "nope", "phone": "12"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the person" in body
    assert "Enter a valid email address." in body
    assert "Enter a valid phone number." in body
    assert not Lead.objects.exists()


def test_round_robin_from_the_form_may_hand_the_lead_to_a_colleague(
    sales1: Any, sales2: Any, client_for: Any
) -> None:
    client = client_for(sales2)
    client.post(
        reverse("sales:lead_create"), {"name": "A", "email": "a@example.com", "round_robin": "on"}
    )
    response = client.post(
        reverse("sales:lead_create"), {"name": "B", "email": "b@example.com", "round_robin": "on"}
    )
    assert {lead.owner for lead in Lead.objects.all()} == {sales1, sales2}
    # Whichever lead went to sales1, sales2 is sent to the list, not to a page it cannot see.
    handed = Lead.objects.get(owner=sales1)
    if handed.name == "B":
        assert response["Location"] == reverse("sales:lead_list")


def test_lead_detail_is_404_for_another_rep_and_lists_duplicates(
    sales1: Any, sales2: Any, client_for: Any
) -> None:
    lead = make_lead(sales1, email="same@example.com")
    make_lead(sales1, name="Twin", email="same@example.com")
    url = reverse("sales:lead_detail", args=[lead.pk])
    assert client_for(sales2).get(url).status_code == 404
    body = client_for(sales1).get(url).content.decode()
    assert "Possible duplicates" in body and "Twin" in body
    assert "Convert lead" in body
    for name in ("sales:lead_status", "sales:lead_convert"):
        assert client_for(sales2).post(reverse(name, args=[lead.pk])).status_code == 404


def test_status_form_changes_the_status(sales1: Any, client_for: Any) -> None:
    lead = make_lead(sales1)
    url = reverse("sales:lead_status", args=[lead.pk])
    assert client_for(sales1).post(url, {"status": "converted"}).status_code == 400
    assert client_for(sales1).post(url, {"status": "contacted"}).status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED and lead.first_response_at is not None


def test_convert_through_the_form(sales1: Any, client_for: Any, currencies: None) -> None:
    lead = make_lead(sales1, name="Sara", company="Arian Co")
    url = reverse("sales:lead_convert", args=[lead.pk])
    bad = client_for(sales1).post(url, {"amount": "-3", "currency": "IRR"})
    assert bad.status_code == 400 and "The amount cannot be negative." in bad.content.decode()
    assert not Customer.objects.exists()
    response = client_for(sales1).post(
        url, {"title": "Deal", "amount": "۱۲۰۰", "currency": "IRR", "expected_close_date": ""}
    )
    opportunity = Opportunity.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:opportunity_detail", args=[opportunity.pk])
    assert opportunity.amount.amount == 1200 and opportunity.customer.display_name == "Arian Co"
    page = client_for(sales1).get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "Convert lead" not in page and "Arian Co" in page


def test_board_shows_own_cards_escaped_with_column_totals(
    sales1: Any, sales2: Any, customer1: Any, customer2: Any, client_for: Any
) -> None:
    make_opportunity(customer1, sales1, title=SCRIPT, amount="1000")
    make_opportunity(customer1, sales1, title="Second", amount="2000")
    make_opportunity(customer2, sales2, title="Theirs")
    response = client_for(sales1).get(reverse("sales:board"))
    body = response.content.decode()
    assert response.status_code == 200
    assert ESCAPED in body and SCRIPT not in body
    assert "Second" in body and "Theirs" not in body
    assert "3,000" in body
    assert 'draggable="true"' in body and "Move to" in body
    assert "kanban.js" in body


def test_board_query_count_is_pinned(
    sales1: Any, customer1: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(20):
        make_opportunity(customer1, sales1, title=f"Deal {index}")
    client = client_for(sales1)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("sales:board")).status_code == 200


def test_unknown_pipeline_is_404(sales1: Any, client_for: Any) -> None:
    assert client_for(sales1).get(reverse("sales:board"), {"pipeline": "x"}).status_code == 404
    assert client_for(sales1).get(reverse("sales:board"), {"pipeline": "999"}).status_code == 404


def test_move_by_form_and_by_htmx(sales1: Any, customer1: Any, client_for: Any) -> None:
    deal = make_opportunity(customer1, sales1, title="Moving")
    url = reverse("sales:opportunity_move", args=[deal.pk])
    client = client_for(sales1)
    response = client.post(url, {"stage": _stage_pk("Proposal"), "return_to": "board"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("sales:board"))
    assert response["Location"].endswith(f"#opportunity-{deal.pk}")
    partial = client.post(url, {"stage": _stage_pk("Negotiation")}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert partial.status_code == 200
    assert body.lstrip().startswith('<div id="board"') and "<html" not in body
    assert "data-moved" in body
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Negotiation"
    assert StageHistory.objects.filter(opportunity=deal).count() == 3


def test_bad_move_is_refused_and_changes_nothing(
    sales1: Any, sales2: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    url = reverse("sales:opportunity_move", args=[deal.pk])
    assert client_for(sales2).post(url, {"stage": _stage_pk("Proposal")}).status_code == 404
    assert client_for(sales1).post(url, {"stage": "abc"}).status_code == 400
    lost = client_for(sales1).post(url, {"stage": _stage_pk("Lost")}, HTTP_HX_REQUEST="true")
    assert lost.status_code == 400 and "Say why" in lost.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Qualification"
    assert StageHistory.objects.filter(opportunity=deal).count() == 1


def test_opportunity_detail_shows_history_and_refuses_others(
    sales1: Any, sales2: Any, service1: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1, title="Detail", next_step=SCRIPT)
    url = reverse("sales:opportunity_detail", args=[deal.pk])
    assert client_for(sales2).get(url).status_code == 404
    assert client_for(service1).get(url).status_code == 404
    body = client_for(sales1).get(url).content.decode()
    assert "Stage history" in body and "Qualification" in body and "so far" in body
    assert ESCAPED in body and SCRIPT not in body


def test_win_and_lose_forms(sales1: Any, sales2: Any, customer1: Any, client_for: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    lose = reverse("sales:opportunity_lose", args=[deal.pk])
    assert client_for(sales2).post(lose, {"reason": "x"}).status_code == 404
    refused = client_for(sales1).post(lose, {"reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.content.decode()
    assert client_for(sales1).post(lose, {"reason": "Budget"}).status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.close_reason) == ("lost", "Budget")
    other = make_opportunity(customer1, sales1)
    win = reverse("sales:opportunity_win", args=[other.pk])
    assert client_for(sales1).post(win, {"reason": "Best offer"}).status_code == 302
    assert Opportunity.objects.get(pk=other.pk).status == "won"


def test_orders_list_links_to_pipeline_and_leads(sales1: Any, client_for: Any) -> None:
    body = client_for(sales1).get(reverse("sales:order_list")).content.decode()
    assert reverse("sales:board") in body and reverse("sales:lead_list") in body
