"""Offer screens (marketing and managers only), policies, and the 360 offer panel."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.personalization.choices import PolicyStatus
from peyvand.personalization.models import Decision, Offer, PolicyVersion
from tests.factories import CustomerFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _offer_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "code": "spring-call",
        "kind": "retention_call",
        "title": "Call from your account manager",
        "title_fa": "تماس مدیر حساب",
        "text": "",
        "text_fa": "",
        "rules": '{"min_orders": 1}',
        "is_active": "on",
        "discount_amount": "0",
    }
    data.update(overrides)
    return data


def test_marketing_creates_an_offer_and_it_is_audited(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    assert client.get("/personalization/offers/").status_code == 200
    response = client.post("/personalization/offers/new/", _offer_post())
    assert response.status_code == 302, response.content.decode()
    offer = Offer.objects.get(code="spring-call")
    assert offer.rules == {"min_orders": 1}
    assert ChangeLog.objects.filter(object_id=str(offer.pk)).exists()
    listing = client.get("/personalization/offers/").content.decode()
    assert "spring-call" in listing


def test_bad_rules_are_shown_on_the_form(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    response = client.post(
        "/personalization/offers/new/", _offer_post(rules='{"languages": ["xx"], "colour": 1}')
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Unknown values: xx." in page and "Unknown rule" in page
    assert not Offer.objects.exists()


def test_persian_form_errors(marketing1: Any, client_for: Any) -> None:
    from tests.conftest import speak_persian

    speak_persian(marketing1)
    response = client_for(marketing1).post(
        "/personalization/offers/new/", _offer_post(kind="product")
    )
    assert "پیشنهاد محصول به خود محصول نیاز دارد." in response.content.decode()


def test_sales_and_service_cannot_reach_offer_screens(
    sales1: Any, service1: Any, client_for: Any
) -> None:
    offer = OfferFactory()
    for user in (sales1, service1):
        client = client_for(user)
        assert client.get("/personalization/offers/").status_code == 404
        assert client.get(f"/personalization/offers/{offer.pk}/").status_code == 404
        assert client.get("/personalization/policies/").status_code == 404
        assert client.post("/personalization/offers/new/", _offer_post()).status_code == 404


def test_360_panel_suggests_and_one_click_records(
    sales1: Any, sales2: Any, client_for: Any
) -> None:
    OfferFactory(title="Loyalty <b>bonus</b>")
    customer = CustomerFactory(owner=sales1)
    client = client_for(sales1)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert f"/personalization/customers/{customer.pk}/offer/" in page
    panel = client.get(f"/personalization/customers/{customer.pk}/offer/", HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert "Loyalty &lt;b&gt;bonus&lt;/b&gt;" in html
    decision = Decision.objects.get(customer=customer)
    assert decision.channel == "agent" and decision.shown_by == sales1
    assert (
        client_for(sales2).get(f"/personalization/customers/{customer.pk}/offer/").status_code
        == 404
    )
    url = f"/personalization/decisions/{decision.pk}/outcome/"
    assert client_for(sales2).post(url, {"outcome": "accepted"}).status_code == 404
    answered = client.post(url, {"outcome": "accepted"}, HTTP_HX_REQUEST="true")
    assert answered.status_code == 200
    assert "Answer recorded: Accepted" in answered.content.decode()
    conflict = client.post(url, {"outcome": "rejected"})
    assert conflict.status_code == 409
    decision.refresh_from_db()
    assert decision.outcome == "accepted" and decision.outcome_by == sales1


def test_panel_empty_state(sales1: Any, client_for: Any) -> None:
    customer = CustomerFactory(owner=sales1)
    html = client_for(sales1).get(f"/personalization/customers/{customer.pk}/offer/").content
    assert "No offer fits this customer right now." in html.decode()


def test_candidate_is_evaluated_and_switched_on(
    manager: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from peyvand.personalization import services

    OfferFactory.create_batch(3)
    for index in range(40):
        decision = services.decide(CustomerFactory())
        assert decision is not None
        services.record_outcome(decision.pk, "accepted" if index % 3 == 0 else "rejected")
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/personalization/policies/",
            {"name": "greedier", "vw_args": "--cb_explore_adf --epsilon 0.01 -q UA"},
        )
    assert response.status_code == 302
    candidate = PolicyVersion.objects.get(name="greedier")
    assert candidate.evaluation["evaluated_on"] == 12
    assert {"ips", "dr", "logging"} <= set(candidate.evaluation)
    page = client.get("/personalization/policies/").content.decode()
    assert "<svg" in page and "Candidate (doubly robust)" in page
    client.post(f"/personalization/policies/{candidate.pk}/activate/")
    candidate.refresh_from_db()
    assert candidate.status == PolicyStatus.ACTIVE
    assert PolicyVersion.objects.filter(status=PolicyStatus.RETIRED).count() == 1
    assert services.decide(CustomerFactory()).policy == candidate  # type: ignore[union-attr]


def test_unsafe_vw_options_are_refused(manager: Any, client_for: Any) -> None:
    response = client_for(manager).post(
        "/personalization/policies/",
        {"name": "evil", "vw_args": "--cb_explore_adf -f /tmp/x.model"},
    )
    assert "The option -f is not allowed here." in response.content.decode()
    assert not PolicyVersion.objects.filter(name="evil").exists()
