"""The decision's hot path: a fixed number of queries whatever the number of offers, the
process's copy of the offers and policy invalidated on change, and the prepared profile
queries giving exactly what the ORM path gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.customers.models import Customer
from peyvand.personalization import services
from peyvand.personalization.models import Decision, Offer, PolicyVersion
from peyvand.personalization.profile import PROVIDERS, build_profile, build_profiles
from tests.factories import CustomerFactory, InteractionFactory, TaskFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db

# Pending lookup, orders (totals, owned products), interactions, tasks, click-stream,
# churn score, the active policy with the offers' stamp; then the decision row and the
# offer's counter in one transaction (inside the test's transaction: a savepoint and its
# release, two more statements).
READS = 8
WRITES = 2
EXPECTED = READS + WRITES + 2


def _busy_customer() -> Customer:
    from peyvand.sales.models import Order

    customer = CustomerFactory()
    Order.objects.create(
        number=f"Q-{customer.pk}",
        customer=customer,
        status="confirmed",
        ordered_at=timezone.now() - dt.timedelta(days=3),
        total=1000,
    )
    InteractionFactory(customer=customer)
    TaskFactory(customer=customer)
    return Customer.objects.get(pk=customer.pk)


@pytest.mark.parametrize("offers", [3, 30])
def test_a_decision_takes_the_same_queries_whatever_the_number_of_offers(
    offers: int, django_assert_num_queries: Any
) -> None:
    OfferFactory.create_batch(offers)
    assert services.decide(_busy_customer()) is not None  # warms the process's copies
    customer = _busy_customer()
    with django_assert_num_queries(EXPECTED):
        decision = services.decide(customer)
    assert decision is not None and len(decision.offer_ids) == offers


def test_a_changed_offer_is_seen_by_the_next_decision() -> None:
    first, second = OfferFactory.create_batch(2)
    assert services.decide(CustomerFactory()) is not None
    first.is_active = False
    first.save()
    decision = services.decide(CustomerFactory())
    assert decision is not None and decision.offer_ids == [second.pk]
    english_only = OfferFactory(rules={"languages": ["en"]})
    persian = CustomerFactory(preferred_language="fa")
    decision = services.decide(persian)
    assert decision is not None and decision.offer_ids == [second.pk]
    english = CustomerFactory(preferred_language="en")
    decision = services.decide(english)
    assert decision is not None and sorted(decision.offer_ids) == sorted(
        [second.pk, english_only.pk]
    )
    services.record_outcome(decision.pk, "rejected")
    if decision.offer_id == english_only.pk:
        Decision.objects.filter(pk=decision.pk).delete()
    english_only.delete()
    decision = services.decide(english)
    assert decision is not None and decision.offer_ids == [second.pk]
    second.rules = {"languages": ["en"]}
    second.save()
    assert services.decide(CustomerFactory(preferred_language="fa")) is None


def test_budgets_count_the_decisions_made_since_the_offers_were_cached(
    django_assert_max_num_queries: Any,
) -> None:
    limited = OfferFactory(max_decisions=2)
    assert services.decide(CustomerFactory()) is not None
    assert services.decide(CustomerFactory()) is not None
    # Two decisions spent the budget by update(), which the cached copy does not see.
    assert Offer.objects.get(pk=limited.pk).decisions_count == 2
    assert services.decide(CustomerFactory()) is None


def test_a_new_policy_revision_reaches_the_decisions() -> None:
    OfferFactory.create_batch(2)
    decision = services.decide(CustomerFactory())
    assert decision is not None
    policy = PolicyVersion.objects.get(pk=decision.policy_id)
    policy.name = "renamed"
    policy.revision += 1
    policy.model = services.bandit_for(decision.policy).model_bytes()
    policy.save()
    again = services.decide(CustomerFactory())
    assert again is not None and again.policy.name == "renamed"
    assert again.policy.revision == policy.revision


def test_one_customer_profile_matches_the_many_customers_path() -> None:
    from peyvand.analytics.models import ChurnScore

    customers = [_busy_customer() for _ in range(3)]
    old = timezone.now() - dt.timedelta(days=60)
    InteractionFactory(customer=customers[0], occurred_at=old)
    ChurnScore.objects.create(
        customer=customers[1], model_version=1, probability=0.9, scored_at=timezone.now()
    )
    together = build_profiles([c.pk for c in customers])
    for customer in customers:
        assert build_profile(customer) == together[customer.pk]
        assert build_profiles([customer.pk])[customer.pk] == together[customer.pk]
    assert together[customers[1].pk]["churn_risk_band"] == "high"
    assert together[customers[0].pk]["interactions_90d"] == 2
    assert together[customers[0].pk]["interactions_30d"] == 1
    assert len(PROVIDERS) >= 6
