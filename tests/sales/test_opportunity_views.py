"""Opportunity list/table, create/edit form and close with a managed reason, per persona."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from peyvand.audit.models import ChangeLog
from peyvand.sales.choices import CloseOutcome, OpportunityStatus
from peyvand.sales.models import CloseReason, Competitor, Opportunity
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.catalog.factories import ProductFactory
from tests.conftest import speak_persian
from tests.sales.pipeline_factories import make_opportunity

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_list_shows_only_own_deals_with_totals_per_currency(
    sales1: Any, sales2: Any, customer1: Any, customer2: Any, client_for: Any
) -> None:
    make_opportunity(customer1, sales1, title=f"Mine {SCRIPT}", amount="1000", currency="IRR")
    make_opportunity(customer1, sales1, title="Mine too", amount="2500", currency="IRR")
    make_opportunity(customer1, sales1, title="Dollars", amount="7.50", currency="USD")
    make_opportunity(customer2, sales2, title="Theirs", amount="999999", currency="IRR")
    for layout in ("table", "cards"):
        body = client_for(sales1).get(reverse("sales:opportunity_list"), {"layout": layout})
        text = body.content.decode()
        assert body.status_code == 200
        assert ESCAPED in text and SCRIPT not in text
        assert "Theirs" not in text
        assert "3,500" in text and "7.50" in text and "999,999" not in text
    assert "Theirs" in client_for(sales2).get(reverse("sales:opportunity_list")).content.decode()


def test_filters_search_and_sorting(sales1: Any, customer1: Any, client_for: Any) -> None:
    import datetime as dt

    pipeline = ensure_default_pipeline()
    proposal = pipeline.stages.get(name="Proposal")
    early = make_opportunity(
        customer1, sales1, title="Alpha", amount="10", expected_close_date=dt.date(2026, 1, 5)
    )
    late = make_opportunity(
        customer1, sales1, title="Beta", amount="30", expected_close_date=dt.date(2026, 6, 1)
    )
    make_opportunity(customer1, sales1, title="Gamma", amount="20", stage=proposal)
    client = client_for(sales1)
    url = reverse("sales:opportunity_list")
    by_stage = client.get(url, {"stage": proposal.pk}).content.decode()
    assert "Gamma" in by_stage and "Alpha" not in by_stage
    ranged = client.get(
        url, {"close_from": "2026-05-01", "close_to": "1405/12/29"}
    ).content.decode()
    assert "Beta" in ranged and "Alpha" not in ranged and "Gamma" not in ranged
    assert "Alpha" not in client.get(url, {"q": "bet"}).content.decode()
    ascending = client.get(url, {"sort": "amount"}).content.decode()
    assert ascending.index("Alpha") < ascending.index("Gamma") < ascending.index("Beta")
    descending = client.get(url, {"sort": "-close"}).content.decode()
    assert descending.index(late.title) < descending.index(early.title)
    won = client.get(url, {"status": OpportunityStatus.WON}).content.decode()
    assert "No opportunity matches these filters." in won
    assert client.get(url, {"sort": "drop table"}).status_code == 200


def test_list_paginates_with_pinned_queries(
    sales1: Any, customer1: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    for index in range(30):
        make_opportunity(customer1, sales1, title=f"Deal {index:02d}")
    client = client_for(sales1)
    client.get(reverse("sales:opportunity_list"))
    with django_assert_max_num_queries(14):
        first = client.get(reverse("sales:opportunity_list"), {"sort": "title"})
    body = first.content.decode()
    assert "Deal 00" in body and "Deal 29" not in body and 'rel="next"' in body
    second = client.get(reverse("sales:opportunity_list"), {"sort": "title", "page": 2})
    assert "Deal 29" in second.content.decode()


@pytest.mark.parametrize("user", ["service1", "marketing1"])
def test_other_departments_are_refused(user: str, personas: Any, client_for: Any) -> None:
    assert client_for(personas[user]).get(reverse("sales:opportunity_list")).status_code == 404


def test_create_with_competitors_and_products(sales1: Any, customer1: Any, client_for: Any) -> None:
    rival = Competitor.objects.create(name="Rival Co", name_fa="رقیب")
    product = ProductFactory(name="Saffron")
    url = reverse("sales:opportunity_create") + f"?customer={customer1.pk}"
    client = client_for(sales1)
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "سفارش زعفران 🌸",
            "amount": "۱۲٬۵۰۰",
            "currency": "IRR",
            "pipeline": ensure_default_pipeline().pk,
            "expected_close_date": "1405/01/15",
            "next_step": "Call back",
            "competitors": [rival.pk],
            "products": [product.pk],
        },
    )
    deal = Opportunity.objects.get()
    assert response.status_code == 302
    assert (deal.title, deal.amount.amount, deal.owner) == ("سفارش زعفران 🌸", 12500, sales1)
    assert list(deal.competitors.all()) == [rival] and list(deal.products.all()) == [product]
    detail = client.get(reverse("sales:opportunity_detail", args=[deal.pk])).content.decode()
    assert "Rival Co" in detail and "Saffron" in detail


def test_create_for_someone_elses_customer_is_404(
    sales1: Any, customer2: Any, client_for: Any
) -> None:
    url = reverse("sales:opportunity_create") + f"?customer={customer2.pk}"
    assert client_for(sales1).post(url, {"title": "x", "currency": "IRR"}).status_code == 404
    assert not Opportunity.objects.exists()


def test_edit_validates_and_audits(
    sales1: Any, sales2: Any, customer1: Any, client_for: Any
) -> None:
    deal = make_opportunity(customer1, sales1, title="Old")
    url = reverse("sales:opportunity_edit", args=[deal.pk])
    assert client_for(sales2).get(url).status_code == 404
    bad = client_for(sales1).post(url, {"title": "", "amount": "abc", "currency": "XXX"})
    assert bad.status_code == 400
    deal.refresh_from_db()
    assert deal.title == "Old"
    before = ChangeLog.objects.count()
    ok = client_for(sales1).post(
        url, {"title": f"New {SCRIPT}", "amount": "5000", "currency": "IRR", "next_step": "Demo"}
    )
    assert ok.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount.amount, deal.next_step) == (f"New {SCRIPT}", 5000, "Demo")
    assert ChangeLog.objects.count() == before + 1


def test_lose_with_a_managed_reason_shown_in_persian(
    sales1: Any, customer1: Any, client_for: Any
) -> None:
    price = CloseReason.objects.create(outcome=CloseOutcome.LOST, name="Price", name_fa="قیمت")
    won_reason = CloseReason.objects.create(outcome=CloseOutcome.WON, name="Fit", name_fa="تناسب")
    deal = make_opportunity(customer1, sales1, title="Deal")
    client = client_for(sales1)
    wrong = client.post(
        reverse("sales:opportunity_lose", args=[deal.pk]), {"close_reason": won_reason.pk}
    )
    assert wrong.status_code == 400
    response = client.post(
        reverse("sales:opportunity_lose", args=[deal.pk]),
        {"close_reason": price.pk, "reason": "Cheaper offer"},
    )
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.status, deal.reason, deal.close_reason) == ("lost", price, "Cheaper offer")
    speak_persian(sales1)
    body = (
        client_for(sales1).get(reverse("sales:opportunity_detail", args=[deal.pk])).content.decode()
    )
    assert "قیمت" in body
