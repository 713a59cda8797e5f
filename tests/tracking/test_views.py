"""Staff screens: who may see them, the snippet, escaping, the 360 card and the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.tracking.models import TrackedSite
from peyvand.tracking.schemas import BatchIn
from peyvand.tracking.services import ingest_batch, issue_identify_token
from tests.conftest import speak_persian
from tests.factories import CustomerFactory
from tests.tracking.conftest import BROWSER, anonymous_id

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('pv')</script>"


def visit(site: TrackedSite, customer: Any = None, **extra: Any) -> str:
    anon = anonymous_id()
    events: list[dict[str, Any]] = [
        {"type": "page_view", "url": "https://shop.example/?utm_campaign=yalda"},
        {"type": "page_view", "url": "https://shop.example/tea"},
        {"type": "product_view", "properties": {"sku": "TEA-1"}},
        {"type": "add_to_cart", "properties": {"sku": "TEA-1"}},
        {"type": "custom", "name": SCRIPT, "properties": {"q": SCRIPT}},
    ]
    if customer is not None:
        events.append({"type": "identify", "token": issue_identify_token(site, customer)})
    ingest_batch(
        site, BatchIn.model_validate({"anonymous_id": anon, "events": events}), user_agent=BROWSER
    )
    return anon


def test_sales_and_service_do_not_see_tracking(
    client_for: Any, sales1: Any, service1: Any, site: TrackedSite
) -> None:
    for user in (sales1, service1):
        client = client_for(user)
        assert client.get("/tracking/").status_code == 404
        assert client.get(f"/tracking/sites/{site.pk}/").status_code == 404
        assert client.get(f"/tracking/sites/{site.pk}/test-page/").status_code == 404
        assert client.post("/tracking/", {"name": "X", "origins": ""}).status_code == 404
        assert "Website tracking" not in client.get("/").content.decode()
    assert TrackedSite.objects.count() == 1


def test_marketing_adds_a_site_and_gets_its_snippet(client_for: Any, marketing1: Any) -> None:
    client = client_for(marketing1)
    assert client.get("/tracking/").status_code == 200
    refused = client.post(
        "/tracking/", {"name": "Shop", "origins": "ftp://nope", "is_active": "on"}
    )
    assert refused.status_code == 200
    assert "is not an origin" in refused.content.decode()
    assert not TrackedSite.objects.exists()
    response = client.post(
        "/tracking/", {"name": "Shop", "origins": "https://Shop.example/\n", "is_active": "on"}
    )
    site = TrackedSite.objects.get()
    assert response.status_code == 302
    assert site.allowed_origins == ["https://shop.example"]
    page = client.get(f"/tracking/sites/{site.pk}/").content.decode()
    assert "tracking/peyvand.js" in page
    assert "&lt;script async src=" in page  # shown as text to copy, never run here
    assert f"/api/v1/public/tracking/collect/{site.key}" in page
    assert "No events yet" in page


def test_events_with_script_are_shown_escaped(
    client_for: Any, manager: Any, site: TrackedSite
) -> None:
    visit(site)
    page = client_for(manager).get(f"/tracking/sites/{site.pk}/").content.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;alert(&#x27;pv&#x27;)&lt;/script&gt;" in page
    assert "Sessions per day" in page


def test_the_site_screen_in_persian(client_for: Any, manager: Any, site: TrackedSite) -> None:
    speak_persian(manager)
    visit(site)
    page = client_for(manager).get(f"/tracking/sites/{site.pk}/").content.decode()
    assert 'dir="rtl"' in page
    assert "رویدادهای اخیر" in page


def test_the_360_card_and_timeline_summarise_visits(
    client_for: Any, sales1: Any, sales2: Any, site: TrackedSite
) -> None:
    customer = CustomerFactory(owner=sales1)
    visit(site, customer)
    client = client_for(sales1)
    card = client.get(f"/tracking/customers/{customer.pk}/activity/").content.decode()
    assert "TEA-1" in card and "Last visit" in card
    timeline = client.get(f"/customers/{customer.pk}/timeline/").content.decode()
    assert timeline.count("Website visit") == 1
    assert "2 pages, viewed 1 product, added 1 to cart, from yalda" in timeline
    # Someone who may not see the customer sees neither.
    other = client_for(sales2)
    assert other.get(f"/tracking/customers/{customer.pk}/activity/").status_code == 404
    assert other.get(f"/customers/{customer.pk}/timeline/").status_code == 404


def test_identify_tokens_from_the_api(
    client_for: Any, manager: Any, sales2: Any, sales1: Any, site: TrackedSite
) -> None:
    customer = CustomerFactory(owner=sales1)
    url = f"/api/v1/tracking/sites/{site.key}/identify-tokens"
    response = client_for(manager).post(
        url, {"customer": customer.pk}, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["token"]
    # sales2 has no rights on tracked sites and may not see the customer.
    refused = client_for(sales2).post(
        url, {"customer": customer.pk}, content_type="application/json"
    )
    assert refused.status_code == 403


def test_the_events_list_names_only_customers_the_reader_may_see(
    client_for: Any, manager: Any, marketing1: Any, sales1: Any, site: TrackedSite
) -> None:
    customer = CustomerFactory(owner=sales1, display_name="Hidden Person")
    anon = visit(site, customer)
    assert (
        "Hidden Person" in client_for(manager).get(f"/tracking/sites/{site.pk}/").content.decode()
    )
    page = client_for(marketing1).get(f"/tracking/sites/{site.pk}/").content.decode()
    assert "Hidden Person" not in page
    assert anon[:9] in page


def test_the_visit_line_in_persian(client_for: Any, sales1: Any, site: TrackedSite) -> None:
    customer = CustomerFactory(owner=sales1)
    visit(site, customer)
    speak_persian(sales1)
    timeline = client_for(sales1).get(f"/customers/{customer.pk}/timeline/").content.decode()
    assert "بازدید از وبسایت" in timeline
    assert "۲ صفحه، ۱ محصول دیده شد، ۱ مورد به سبد افزوده شد، از yalda" in timeline
