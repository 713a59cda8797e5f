"""/analytics/ and the value panel on the customer 360 page, in English and Persian."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.analytics.clv.services import fit_customer_value
from peyvand.analytics.rfm.services import compute_rfm
from tests.conftest import speak_persian


@pytest.fixture
def scored(shop: dict[str, Any]) -> dict[str, Any]:
    compute_rfm(as_of=shop["end"])
    compute_rfm(as_of=shop["end"].replace(month=6, day=30))
    compute_rfm(as_of=shop["end"])
    assert fit_customer_value(history_end=shop["end"]) is not None
    return shop


def test_dashboard_shows_segments_movement_and_fit(
    scored: dict[str, Any], client_for: Any, manager: Any
) -> None:
    page = client_for(manager).get("/analytics/").content.decode()
    for text in (
        "Customers per segment",
        "Segments over time",
        "Movement between segments",
        "Cumulative repeat purchases",
        "BG/NBD log-likelihood",
        "Champions",
        "<svg",
        "Recompute now",
    ):
        assert text in page, text


def test_dashboard_in_persian(scored: dict[str, Any], client_for: Any, manager: Any) -> None:
    speak_persian(manager)
    page = client_for(manager).get("/analytics/").content.decode()
    assert 'dir="rtl"' in page
    assert "ارزش مشتری" in page
    assert "Customers per segment" not in page


def test_empty_dashboard(client_for: Any, manager: Any) -> None:
    page = client_for(manager).get("/analytics/").content.decode()
    assert "No RFM run yet" in page and "Not fitted yet" in page


def test_refresh_is_for_managers_only(
    client_for: Any, manager: Any, sales1: Any, personas: Any
) -> None:
    assert client_for(sales1).post("/analytics/refresh/").status_code == 404
    assert client_for(sales1).get("/analytics/").status_code == 200
    response = client_for(manager).post("/analytics/refresh/")
    assert response.status_code == 302


def test_customer_360_shows_value_panel(
    scored: dict[str, Any], client_for: Any, sales1: Any, sales2: Any
) -> None:
    customer = scored["customers"][0]
    page = client_for(sales1).get(f"/customers/{customer.pk}/").content.decode()
    assert "Value and outlook" in page
    assert "RFM segment" in page and "Lifetime value (12 months)" in page
    assert client_for(sales2).get(f"/customers/{customer.pk}/").status_code == 404


def test_customer_360_without_scores(shop: dict[str, Any], client_for: Any, sales1: Any) -> None:
    page = client_for(sales1).get(f"/customers/{shop['customers'][0].pk}/").content.decode()
    assert "No scores yet" in page
