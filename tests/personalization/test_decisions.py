"""Decisions through the service: eligibility, budgets, the logged propensity, learning."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.core.problems import Conflict
from peyvand.personalization import services
from peyvand.personalization.choices import Outcome
from peyvand.personalization.models import Decision, PolicyVersion
from tests.factories import CustomerFactory, InteractionFactory, TaskFactory
from tests.personalization.factories import OfferFactory

pytestmark = pytest.mark.django_db


def test_logged_propensity_is_the_pmf_entry_of_the_chosen_offer() -> None:
    offers = OfferFactory.create_batch(5)
    rng = random.Random(4)
    for _ in range(20):
        customer = CustomerFactory()
        decision = services.decide(customer, rng=rng)
        assert decision is not None
        assert sorted(decision.offer_ids) == sorted(o.pk for o in offers)
        assert decision.offer_ids[decision.chosen_index] == decision.offer_id
        assert decision.propensity == pytest.approx(decision.pmf[decision.chosen_index])
        assert sum(decision.pmf) == pytest.approx(1.0)
        # Recomputing the distribution from the logged features gives the same numbers.
        bandit = services.bandit_for(decision.policy)
        assert bandit.pmf(decision.context, decision.actions) == pytest.approx(decision.pmf)


def test_pending_decision_is_returned_again_until_answered() -> None:
    OfferFactory.create_batch(3)
    customer = CustomerFactory()
    first = services.decide(customer)
    assert first is not None
    assert services.decide(customer) == first
    services.record_outcome(first.pk, Outcome.REJECTED)
    second = services.decide(customer)
    assert second is not None and second.pk != first.pk
    assert Decision.objects.count() == 2


def test_rules_and_budgets_decide_what_is_eligible() -> None:
    farsi_only = OfferFactory(rules={"languages": ["fa"]})
    repeat_buyers = OfferFactory(rules={"min_orders": 3})
    high_risk = OfferFactory(rules={"churn_bands": ["high"]})
    exhausted = OfferFactory(max_decisions=1)
    exhausted.decisions_count = 1
    exhausted.save()
    broke = OfferFactory(
        kind="discount", discount_amount=Decimal(100), money_budget=Decimal(150), accepts_count=1
    )
    ended = OfferFactory(ends_at=timezone.now() - timezone.timedelta(days=1))
    everyone = OfferFactory()
    customer = CustomerFactory(preferred_language="fa")
    decision = services.decide(customer)
    assert decision is not None
    assert set(decision.offer_ids) == {farsi_only.pk, everyone.pk}
    english = CustomerFactory(preferred_language="en")
    decision = services.decide(english)
    assert decision is not None and decision.offer_ids == [everyone.pk]
    assert {repeat_buyers.pk, high_risk.pk, exhausted.pk, broke.pk, ended.pk}.isdisjoint(
        decision.offer_ids
    )


def test_no_eligible_offer_means_no_decision() -> None:
    OfferFactory(is_active=False)
    assert services.decide(CustomerFactory()) is None
    assert not Decision.objects.exists()


def test_profile_counts_interactions_and_open_tasks() -> None:
    from peyvand.personalization.profile import build_profile

    customer = CustomerFactory(preferred_channel="sms")
    InteractionFactory.create_batch(2, customer=customer, channel="email")
    InteractionFactory(
        customer=customer, channel="phone", occurred_at=timezone.now() - timezone.timedelta(days=60)
    )
    TaskFactory(customer=customer)
    profile = build_profile(customer)
    assert profile["interactions_30d"] == 2
    assert profile["interactions_90d"] == 3
    assert profile["email_30d"] == 2 and profile["phone_90d"] == 1 and profile["phone_30d"] == 0
    assert profile["open_tasks"] == 1
    assert profile["frequency"] == 0 and profile["preferred_channel"] == "sms"


def test_outcome_is_idempotent_and_a_different_answer_conflicts(manager: Any) -> None:
    OfferFactory()
    decision = services.decide(CustomerFactory())
    assert decision is not None
    services.record_outcome(decision.pk, Outcome.ACCEPTED, actor=manager)
    services.record_outcome(decision.pk, Outcome.ACCEPTED, actor=manager)
    with pytest.raises(Conflict):
        services.record_outcome(decision.pk, Outcome.REJECTED, actor=manager)
    decision.refresh_from_db()
    assert decision.outcome == Outcome.ACCEPTED
    assert decision.offer.accepts_count == 1
    assert ChangeLog.objects.filter(customer_id=decision.customer_id).count() == 1


def test_answer_is_learned_and_saved_for_other_processes(
    django_capture_on_commit_callbacks: Any,
) -> None:
    OfferFactory.create_batch(2)
    decision = services.decide(CustomerFactory())
    assert decision is not None
    before = PolicyVersion.objects.get(pk=decision.policy_id)
    # The immediate task backend runs the learner on commit, as a worker would.
    with django_capture_on_commit_callbacks(execute=True):
        services.record_outcome(decision.pk, Outcome.ACCEPTED)
    policy = PolicyVersion.objects.get(pk=decision.policy_id)
    decision.refresh_from_db()
    assert decision.learned
    assert policy.revision == before.revision + 1 and policy.learned_count == 1
    assert bytes(policy.model)
    # Another process starts from the saved bytes and predicts what this one does.
    from peyvand.personalization.engine import Bandit

    reloaded = Bandit(policy.vw_args, bytes(policy.model))
    here = services.bandit_for(policy)
    assert reloaded.pmf(decision.context, decision.actions) == pytest.approx(
        here.pmf(decision.context, decision.actions)
    )


def test_unanswered_offers_become_ignored_after_the_timeout(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PEYVAND_OFFER_TIMEOUT_HOURS = 1
    OfferFactory()
    old = services.decide(CustomerFactory())
    fresh = services.decide(CustomerFactory())
    assert old is not None and fresh is not None
    Decision.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - timezone.timedelta(hours=2)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_pending() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.outcome == Outcome.IGNORED and old.outcome_channel == "system" and old.learned
    assert fresh.outcome == Outcome.PENDING


def test_profile_carries_the_churn_models_risk_band() -> None:
    from django.utils import timezone as tz

    from peyvand.analytics.models import ChurnScore
    from peyvand.personalization.profile import build_profile

    risky, safe, unscored = CustomerFactory(), CustomerFactory(), CustomerFactory()
    for customer, probability in ((risky, 0.72), (safe, 0.1)):
        ChurnScore.objects.create(
            customer=customer, model_version=1, probability=probability, scored_at=tz.now()
        )
    assert build_profile(risky)["churn_risk_band"] == "high"
    assert build_profile(safe)["churn_risk_band"] == "low"
    assert "churn_risk_band" not in build_profile(unscored)
