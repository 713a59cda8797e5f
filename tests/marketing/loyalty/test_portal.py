"""The portal's "my points": a signed-in customer sees their own statement and nobody else's."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.marketing.loyalty import services
from peyvand.marketing.models import LoyaltyProgramme

pytestmark = pytest.mark.django_db


def test_a_customer_sees_only_their_own_points(
    programme: LoyaltyProgramme, portal_client: Any, customer1: Any, customer2: Any
) -> None:
    services.adjust_points(customer1, 30, reason="Birthday gift for Ali", actor=None)
    services.adjust_points(customer2, 90, reason="Apology for John", actor=None)
    services.add_reward(programme, actor=None, name="Free mug", kind="offer", cost=25)
    text = portal_client(customer1).get("/portal/points/").content.decode()
    assert "Birthday gift for Ali" in text and "30 points" in text and "Free mug" in text
    assert "Apology for John" not in text and "90" not in text
    other = portal_client(customer2).get("/portal/points/").content.decode()
    assert "Apology for John" in other and "Birthday gift for Ali" not in other


def test_signed_out_visitors_are_sent_to_sign_in(programme: LoyaltyProgramme, client: Any) -> None:
    response = client.get("/portal/points/")
    assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]


def test_my_points_in_persian(
    programme: LoyaltyProgramme, portal_client: Any, customer1: Any
) -> None:
    services.adjust_points(customer1, 12, reason="هدیه", actor=None)
    client = portal_client(customer1)
    text = client.get("/portal/points/", HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    assert 'dir="rtl"' in text and "امتیازهای من" in text and "۱۲" in text
