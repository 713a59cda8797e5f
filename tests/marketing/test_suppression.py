"""The suppression list blocks an address whoever holds it, as a subquery campaigns join on."""

from __future__ import annotations

import pytest

from peyvand.customers.models import Customer
from peyvand.customers.services import normalize_contact
from peyvand.marketing.models import Suppression
from peyvand.marketing.selectors import is_suppressed, suppressed_customer_ids
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_a_suppressed_address_blocks_every_customer_holding_it() -> None:
    first = CustomerFactory()
    again = CustomerFactory()
    clean = CustomerFactory()
    for customer, email in [
        (first, "Ana@Example.com"),
        (again, "ana@example.COM"),
        (clean, "b@x.io"),
    ]:
        value, normalized = normalize_contact("email", email)
        customer.contact_points.create(kind="email", value=value, normalized=normalized)
    clean.contact_points.create(kind="phone", value="+989121234567", normalized="+989121234567")
    Suppression.objects.create(channel="email", address="ana@example.com", reason="hard_bounce")
    Suppression.objects.create(channel="sms", address="+989121234567", reason="unsubscribed")

    blocked_email = Customer.objects.filter(pk__in=suppressed_customer_ids("email"))
    assert set(blocked_email) == {first, again}
    assert set(Customer.objects.filter(pk__in=suppressed_customer_ids("sms"))) == {clean}
    assert is_suppressed("email", "ana@example.com")
    assert not is_suppressed("sms", "ana@example.com")
