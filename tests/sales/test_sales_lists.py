"""The competitor and won/lost reason lists: managers add, rename and deactivate entries."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from peyvand.sales.models import CloseReason, Competitor
from peyvand.sales.opportunities import lose_opportunity
from tests.sales.pipeline_factories import make_opportunity

SCRIPT = "<script>alert(1)</script>"


def test_only_managers(sales1: Any, marketing1: Any, client_for: Any) -> None:
    for user in (sales1, marketing1):
        client = client_for(user)
        assert client.get(reverse("sales:sales_lists")).status_code == 404
        added = client.post(
            reverse("sales:sales_list_add", args=["competitor"]), {"competitor-new-name": "X"}
        )
        assert added.status_code == 404
    assert not Competitor.objects.exists()


def test_add_rename_and_deactivate(manager: Any, client_for: Any) -> None:
    client = client_for(manager)
    added = client.post(
        reverse("sales:sales_list_add", args=["competitor"]),
        {
            "competitor-new-name": SCRIPT,
            "competitor-new-name_fa": "رقیب 🌟",
            "competitor-new-is_active": "on",
        },
    )
    assert added.status_code == 302
    rival = Competitor.objects.get()
    page = client.get(reverse("sales:sales_lists")).content.decode()
    assert SCRIPT not in page and "&lt;script&gt;" in page
    prefix = f"competitor-{rival.pk}"
    client.post(
        reverse("sales:sales_list_save", args=["competitor", rival.pk]),
        {f"{prefix}-name": "Rival", f"{prefix}-name_fa": "رقیب"},
    )
    rival.refresh_from_db()
    assert (rival.name, rival.is_active) == ("Rival", False)
    empty = client.post(
        reverse("sales:sales_list_add", args=["reason"]), {"reason-new-outcome": "lost"}
    )
    assert empty.status_code == 400 and CloseReason.objects.count() == 0
    assert client.post(reverse("sales:sales_list_add", args=["other"]), {}).status_code == 404


def test_reason_outcome_is_fixed_once_used(
    manager: Any, sales1: Any, customer1: Any, client_for: Any
) -> None:
    client = client_for(manager)
    client.post(
        reverse("sales:sales_list_add", args=["reason"]),
        {"reason-new-outcome": "lost", "reason-new-name": "Price", "reason-new-is_active": "on"},
    )
    price = CloseReason.objects.get()
    lose_opportunity(make_opportunity(customer1, sales1), actor=sales1, close_reason=price)
    prefix = f"reason-{price.pk}"
    refused = client.post(
        reverse("sales:sales_list_save", args=["reason", price.pk]),
        {f"{prefix}-outcome": "won", f"{prefix}-name": "Price", f"{prefix}-is_active": "on"},
    )
    assert refused.status_code == 400
    assert "its outcome cannot change" in refused.content.decode()
    price.refresh_from_db()
    assert price.outcome == "lost"
