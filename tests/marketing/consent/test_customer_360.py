"""Every consent change is on the customer 360 page: the decision in force with its source
and time, and each earlier change, with its source, in the page's history of changes."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.marketing.consent import services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_double_opt_in_preference_centre_and_complaint_changes_are_all_visible(
    sales1: Any, sales2: Any, client_for: Any
) -> None:
    from peyvand.customers.services import add_contact_point
    from peyvand.marketing.consent.reports import COMPLAINT, Report

    customer = CustomerFactory(owner=sales1, display_name="Sara")
    add_contact_point(customer, actor=None, kind="email", value="sara@example.com")
    services.save_preferences(customer, {("email", "marketing"): True}, source="double opt-in")
    services.save_preferences(customer, {("sms", "newsletter"): True})
    services.apply_report(Report(COMPLAINT, "sara@example.com"))

    client = client_for(sales1)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    consent_card = page.split('id="cu-consent-h"', 1)[1].split("</section>", 1)[0]
    assert "spam complaint" in consent_card and "preference centre" in consent_card
    history = client.get(f"/audit/customers/{customer.pk}/history/").content.decode()
    for source in ("double opt-in", "preference centre", "spam complaint"):
        assert source in history
    # The owner's colleague in own scope sees none of it.
    assert client_for(sales2).get(f"/customers/{customer.pk}/").status_code == 404
