"""Next-best-offer state changes: offers, decisions, outcomes, learning, policy switches.

Decisions are made in the web process from the active policy's model, cached per process
and reloaded when its `revision` moves; learning runs in the worker (`tasks.learn_outcomes`),
which holds the policy row locked while it replays answered decisions into the model and
saves the new bytes, so two workers never overwrite each other's updates.

Every decision is itself an append-only log row (with the features, the action set and the
probabilities); the customer's answer is a change to customer data and is audited.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record as audit_record
from peyvand.core.problems import Conflict, ServiceError
from peyvand.personalization import rules as offer_rules
from peyvand.personalization.choices import DecisionChannel, Outcome, PolicyStatus
from peyvand.personalization.engine import COSTS, DEFAULT_ARGS, Bandit
from peyvand.personalization.models import Decision, Offer, PolicyVersion
from peyvand.personalization.profile import build_profile

_rng = random.Random()
_cache_lock = threading.Lock()
_bandits: dict[int, tuple[int, Bandit]] = {}


def pending_timeout() -> dt.timedelta:
    """How long an offer waits for an answer before it counts as ignored."""
    return dt.timedelta(hours=float(getattr(settings, "PEYVAND_OFFER_TIMEOUT_HOURS", 72)))


def active_policy() -> PolicyVersion:
    """The policy that decides; the first call on a new installation creates it."""
    policy = PolicyVersion.objects.filter(status=PolicyStatus.ACTIVE).first()
    if policy is not None:
        return policy
    try:
        with transaction.atomic():
            return PolicyVersion.objects.create(
                name="v1",
                vw_args=DEFAULT_ARGS,
                status=PolicyStatus.ACTIVE,
                activated_at=timezone.now(),
            )
    except IntegrityError:  # another process created it first
        return PolicyVersion.objects.get(status=PolicyStatus.ACTIVE)


def bandit_for(policy: PolicyVersion) -> Bandit:
    """This process's workspace for the policy, rebuilt from the saved bytes when stale."""
    with _cache_lock:
        cached = _bandits.get(policy.pk)
        if cached is not None and cached[0] == policy.revision:
            return cached[1]
    if policy.revision and not policy.model:
        # The caller read the row without its model bytes; fetch them for this revision.
        policy = PolicyVersion.objects.get(pk=policy.pk)
    bandit = Bandit(policy.vw_args, bytes(policy.model) or None)
    with _cache_lock:
        _bandits[policy.pk] = (policy.revision, bandit)
    return bandit


def action_features(offer: Offer) -> dict[str, Any]:
    return {"offer": offer.pk, "kind": offer.kind}


def eligible_offers(profile: dict[str, Any]) -> list[Offer]:
    return [
        offer
        for offer in Offer.objects.live()
        if offer.within_budget() and offer_rules.matches(offer.rules, profile)
    ]


def decide(
    customer: Any,
    *,
    actor: Any = None,
    channel: str = DecisionChannel.API,
    rng: random.Random | None = None,
) -> Decision | None:
    """The next best offer for the customer, logged with its propensity; None if no offer is
    eligible. A pending decision shown on the same channel is returned again, so reloading
    the 360 page does not draw (and log) a new offer each time."""
    now = timezone.now()
    existing = (
        Decision.objects.filter(
            customer=customer,
            channel=channel,
            outcome=Outcome.PENDING,
            decided_at__gt=now - pending_timeout(),
        )
        .select_related("offer")
        .first()
    )
    if existing is not None:
        return existing
    profile = build_profile(customer)
    offers = eligible_offers(profile)
    if not offers:
        return None
    policy = PolicyVersion.objects.filter(status=PolicyStatus.ACTIVE).defer("model").first()
    policy = policy or active_policy()
    actions = [action_features(offer) for offer in offers]
    choice = bandit_for(policy).choose(profile, actions, rng or _rng)
    offer = offers[choice.index]
    # One transaction: the log row and the budget counter commit together, in one write.
    with transaction.atomic():
        decision = Decision.objects.create(
            customer=customer,
            offer=offer,
            policy=policy,
            decided_at=now,
            channel=channel,
            context=profile,
            actions=actions,
            offer_ids=[o.pk for o in offers],
            pmf=choice.pmf,
            chosen_index=choice.index,
            propensity=choice.probability,
            shown_by=actor if getattr(actor, "pk", None) else None,
        )
        Offer.objects.filter(pk=offer.pk).update(decisions_count=F("decisions_count") + 1)
    return decision


@transaction.atomic
def record_outcome(
    decision_id: int, outcome: str, *, actor: Any = None, channel: str = DecisionChannel.API
) -> Decision:
    """The customer's answer. Repeating the same answer changes nothing; a different answer
    to an answered decision is refused (409)."""
    if outcome not in COSTS:
        raise ServiceError(_("Choose accepted, rejected or ignored."), field="outcome")
    decision = Decision.objects.select_for_update().select_related("offer").get(pk=decision_id)
    if decision.outcome == outcome:
        return decision
    if decision.outcome != Outcome.PENDING:
        raise Conflict(
            _("This offer was already answered: %(outcome)s.")
            % {"outcome": decision.get_outcome_display()},
            field="outcome",
            code="already_answered",
        )
    with audit_record(decision, actor=actor, customer_id=decision.customer_id):
        decision.outcome = outcome
        decision.outcome_at = timezone.now()
        decision.outcome_channel = channel
        decision.outcome_by = actor if getattr(actor, "pk", None) else None
        decision.save(update_fields=["outcome", "outcome_at", "outcome_channel", "outcome_by"])
    if outcome == Outcome.ACCEPTED:
        Offer.objects.filter(pk=decision.offer_id).update(accepts_count=F("accepts_count") + 1)
    transaction.on_commit(_enqueue_learning)
    return decision


def _enqueue_learning() -> None:
    from peyvand.personalization.tasks import learn_outcomes

    learn_outcomes.enqueue()


def expire_pending(now: dt.datetime | None = None) -> int:
    """Pending decisions older than the timeout become ignored; returns how many."""
    cutoff = (now or timezone.now()) - pending_timeout()
    expired = 0
    for pk in (
        Decision.objects.pending().filter(decided_at__lte=cutoff).values_list("pk", flat=True)
    ):
        try:
            record_outcome(pk, Outcome.IGNORED, channel=DecisionChannel.SYSTEM)
            expired += 1
        except Conflict:  # answered between the read and the lock
            continue
    return expired


def learn_pending(limit: int = 2000) -> int:
    """Replay answered, unlearned decisions of the active policy into it and save the model."""
    with transaction.atomic():
        policy = (
            PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.ACTIVE).first()
        )
        if policy is None:
            return 0
        batch = list(
            Decision.objects.answered()
            .filter(policy=policy, learned=False)
            .order_by("decided_at", "pk")[:limit]
        )
        if not batch:
            return 0
        bandit = bandit_for(policy)
        for decision in batch:
            bandit.learn(
                decision.context,
                decision.actions,
                decision.chosen_index,
                COSTS[decision.outcome],
                decision.propensity,
            )
        policy.model = bandit.model_bytes()
        policy.revision += 1
        policy.learned_count += len(batch)
        policy.save(update_fields=["model", "revision", "learned_count", "updated_at"])
        Decision.objects.filter(pk__in=[d.pk for d in batch]).update(learned=True)
        with _cache_lock:
            _bandits[policy.pk] = (policy.revision, bandit)
    return len(batch)


# --- offers ---------------------------------------------------------------------------


def save_offer(offer: Offer, *, actor: Any) -> Offer:
    """Create or change an offer (validated), with its change-log row."""
    offer.full_clean()
    with transaction.atomic(), audit_record(offer, actor=actor):
        offer.save()
    return offer


# --- policies ---------------------------------------------------------------------------


@transaction.atomic
def activate_policy(policy_id: int, *, actor: Any) -> PolicyVersion:
    """Switch a candidate on: it decides from now, and the old active policy retires."""
    policy = PolicyVersion.objects.select_for_update().get(pk=policy_id)
    if policy.status == PolicyStatus.ACTIVE:
        return policy
    if policy.status != PolicyStatus.CANDIDATE or "ips" not in policy.evaluation:
        raise ServiceError(
            _("Only an evaluated candidate can be switched on."), field="status", code="invalid"
        )
    for old in PolicyVersion.objects.select_for_update().filter(status=PolicyStatus.ACTIVE):
        with audit_record(old, actor=actor):
            old.status = PolicyStatus.RETIRED
            old.save(update_fields=["status", "updated_at"])
    with audit_record(policy, actor=actor):
        policy.status = PolicyStatus.ACTIVE
        policy.activated_at = timezone.now()
        policy.save(update_fields=["status", "activated_at", "updated_at"])
    return policy
