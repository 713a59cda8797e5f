"""The attribution report page: who is served and who gets 404, the charts and tables, bad
filters and costs, the backfill button, Persian."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from djmoney.money import Money

from peyvand.marketing.attribution.services import record_conversion, record_touch
from peyvand.marketing.models import CampaignCost, Touch
from peyvand.tracking.models import TrackedSite, Visitor, WebSession
from tests.conftest import speak_persian
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/marketing/attribution/"


@pytest.fixture
def journeys(marketing1: Any) -> None:
    """Customers of the marketing department: 70 held out of "spring", 70 sent it (35 of
    each subject, enough to compare), and touches from a campaign whose key is markup."""
    department = marketing1.departments.get()
    now = timezone.now()
    for i in range(140):
        customer = CustomerFactory(department=department)
        holdout = i % 2 == 0
        record_touch(
            customer.pk,
            at=now - dt.timedelta(days=10),
            channel="email",
            campaign_key="spring",
            subject="Hello" if i % 4 < 2 else "<i>Last</i> chance",
            holdout=holdout,
        )
        if not holdout and i % 3 == 0:
            record_conversion(customer.pk, at=now - dt.timedelta(days=5), revenue=Money(100, "IRR"))
    evil = CustomerFactory(department=department)
    record_touch(
        evil.pk, at=now - dt.timedelta(days=4), channel="sms", campaign_key="<script>x</script>"
    )
    record_conversion(evil.pk, at=now - dt.timedelta(days=1), revenue=Money(900, "IRR"))


@pytest.mark.parametrize("persona", ["sales1", "sales2", "service1"])
def test_refused_personas_get_404(personas: dict[str, Any], client_for: Any, persona: str) -> None:
    client = client_for(personas[persona])
    assert client.get(URL).status_code == 404
    assert client.post(f"{URL}costs/", {"campaign_key": "x"}).status_code == 404
    assert client.post(f"{URL}backfill/").status_code == 404


def test_marketer_sees_models_holdout_and_escaped_keys(
    marketing1: Any, client_for: Any, journeys: None
) -> None:
    response = client_for(marketing1).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<figure class="chart"') >= 2
    for label in (
        "First touch",
        "Last touch",
        "Linear",
        "Position-based (40/20/40)",
        "Markov removal effect",
        "Shapley value",
    ):
        assert label in html
    assert "Holdout lift (causal)" in html and "spring" in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>x</script>" not in html
    assert "&lt;i&gt;Last&lt;/i&gt; chance" in html
    assert "Return on investment per campaign" in html


def test_manager_is_served(manager: Any, client_for: Any) -> None:
    assert client_for(manager).get(URL).status_code == 200


def test_bad_filter_is_explained(marketing1: Any, client_for: Any) -> None:
    response = client_for(marketing1).get(
        URL, {"since": "2026-05-01", "until": "2026-04-01", "lookback_days": "0"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The end date must not be before the start date." in html
    assert "Ensure this value is greater than or equal to 1." in html


def test_add_a_cost_and_bad_costs_change_nothing(marketing1: Any, client_for: Any) -> None:
    client = client_for(marketing1)
    response = client.post(
        f"{URL}costs/",
        {
            "campaign_key": "spring",
            "amount": "2500000",
            "currency": "IRR",
            "spent_on": "1404/12/10",
            "note": "<b>print</b>",
        },
    )
    assert response.status_code == 302
    cost = CampaignCost.objects.get()
    assert cost.amount == Money(2_500_000, "IRR") and cost.spent_on == dt.date(2026, 3, 1)
    assert cost.created_by == marketing1
    for bad in (
        {"campaign_key": "spring", "amount": "0", "currency": "IRR", "spent_on": "2026-03-01"},
        {"campaign_key": "spring", "amount": "abc", "currency": "IRR", "spent_on": "2026-03-01"},
        {"campaign_key": "spring", "amount": "5", "currency": "IRR", "spent_on": "2026-02-30"},
        {"campaign_key": "", "amount": "5", "currency": "IRR", "spent_on": "2026-03-01"},
    ):
        response = client.post(f"{URL}costs/", bad)
        assert response.status_code == 400, bad
        assert 'class="errorlist' in response.content.decode()
    assert CampaignCost.objects.count() == 1


def test_backfill_button_runs_in_the_background(
    marketing1: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory(department=marketing1.departments.get())
    site = TrackedSite.objects.create(name="Shop")
    visitor = Visitor.objects.create(site=site, anonymous_id="v1", customer=customer)
    now = timezone.now()
    WebSession.objects.create(
        site=site,
        visitor=visitor,
        customer=customer,
        started_at=now,
        last_event_at=now,
        utm_campaign="nowruz",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(marketing1).post(f"{URL}backfill/")
    assert response.status_code == 302
    assert Touch.objects.get().campaign_key == "nowruz"


def test_persian_page(marketing1: Any, client_for: Any, journeys: None) -> None:
    speak_persian(marketing1)
    html = client_for(marketing1).get(URL).content.decode()
    assert 'dir="rtl"' in html
    assert "اثربخشی" in html  # the title, translated
    assert "مدل مارکوف" in html or "مارکوف" in html


def test_segment_list_links_to_the_report(marketing1: Any, client_for: Any) -> None:
    html = client_for(marketing1).get("/marketing/segments/").content.decode()
    assert f'href="{URL}"' in html
