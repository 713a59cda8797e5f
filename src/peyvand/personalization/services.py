"""Next-best-offer state changes: offers, decisions, outcomes, learning, policy switches.

Decisions are made in the web process from the active policy's model, cached per process
and reloaded when its `revision` moves; learning runs in the worker (`tasks.learn_outcomes`),
which holds the policy row locked while it replays answered decisions into the model and
saves the new bytes, so two workers never overwrite each other's updates.

Every decision is itself an append-only log row (with the features, the action set and the
probabilities); the customer's answer is a change to customer data and is audited.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import threading
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Func, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record as audit_record
from peyvand.core import prepared
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


# This process's copy of the offers, reloaded when `_offers_stamp` moves: every save() of an
# offer moves `updated_at`, a new one moves the count and the largest id, a deleted one the
# count. The counters (decisions_count, accepts_count) change on every decision by
# `update()`, which moves none of these: they are read fresh, and only for offers with a
# limit, in `eligible_offers`.
_offers_lock = threading.Lock()
_offers: tuple[tuple[Any, ...], list[Offer]] | None = None


_policy: PolicyVersion | None = None


def _policy_and_stamp() -> Any:
    offers = Offer.objects.order_by().values("is_active")  # any column: the FROM clause
    return (
        PolicyVersion.objects.filter(status=PolicyStatus.ACTIVE)
        .order_by()
        .annotate(
            offers_n=Subquery(offers.values(n=Func(F("pk"), function="COUNT"))),
            offers_last=Subquery(offers.values(n=Func(F("pk"), function="MAX"))),
            offers_changed=Subquery(offers.values(n=Func(F("updated_at"), function="MAX"))),
        )
        .values_list("pk", "revision", "updated_at", "offers_n", "offers_last", "offers_changed")
    )


def _stamped_policy() -> tuple[PolicyVersion | None, tuple[Any, ...]]:
    """The active policy (without its model bytes; this process's copy while its revision
    and `updated_at` have not moved) and the offers' stamp, in one prepared query."""
    global _policy
    found = prepared.one(_policy_and_stamp)
    if not found:
        return None, ()
    pk, revision, updated_at, offers_n, offers_last, offers_changed = found[0]
    policy = _policy
    if policy is None or (policy.pk, policy.revision, policy.updated_at) != (
        pk,
        revision,
        updated_at,
    ):
        policy = PolicyVersion.objects.defer("model").get(pk=pk)
        _policy = policy
    return policy, (offers_n, offers_last, str(offers_changed))


def cached_offers(stamp: tuple[Any, ...] | None = None) -> list[Offer]:
    """Every offer (live or not), from this process's copy while the offers' stamp (read
    with the active policy) has not moved. The instances are shared: read, do not change."""
    global _offers
    if stamp is None:
        stamp = _stamped_policy()[1]
    with _offers_lock:
        if stamp and _offers is not None and _offers[0] == stamp:
            return _offers[1]
    loaded = list(Offer.objects.order_by("code"))
    if stamp:  # no active policy yet: nothing to stamp the copy with
        with _offers_lock:
            _offers = (stamp, loaded)
    return loaded


def _live(offer: Offer, now: dt.datetime) -> bool:
    """`Offer.objects.live()` in Python, on the cached rows."""
    return (
        offer.is_active
        and (offer.starts_at is None or offer.starts_at <= now)
        and (offer.ends_at is None or offer.ends_at > now)
    )


def _limited(offer: Offer) -> bool:
    return (
        offer.max_decisions is not None
        or offer.max_accepts is not None
        or (offer.money_budget is not None and offer.discount_amount > 0)
    )


def eligible_offers(
    profile: dict[str, Any], *, stamp: tuple[Any, ...] | None = None
) -> list[Offer]:
    """The live offers whose rules hold for the profile and whose budget is not spent.
    No query beyond the stamp while the offers are unchanged, unless an offer has a
    limit: then one query reads those offers' counters."""
    now = timezone.now()
    offers = [
        offer
        for offer in cached_offers(stamp)
        if _live(offer, now) and offer_rules.matches(offer.rules, profile)
    ]
    limited = [offer for offer in offers if _limited(offer)]
    if not limited:
        return offers
    counters = {
        pk: (decisions, accepts)
        for pk, decisions, accepts in Offer.objects.filter(
            pk__in=[o.pk for o in limited]
        ).values_list("pk", "decisions_count", "accepts_count")
    }
    spent: set[int] = set()
    for offer in limited:
        fresh = copy.copy(offer)
        fresh.decisions_count, fresh.accepts_count = counters.get(offer.pk, (0, 0))
        if offer.pk not in counters or not fresh.within_budget():
            spent.add(offer.pk)
    return [offer for offer in offers if offer.pk not in spent]


def _pending(channel: str) -> Any:
    def build(customer_ids: list[int], since: dt.datetime) -> Any:
        return (
            Decision.objects.filter(
                customer_id__in=customer_ids,
                channel=channel,
                outcome=Outcome.PENDING,
                decided_at__gt=since,
            )
            .order_by("-decided_at", "-pk")
            .values_list("pk")[:1]
        )

    build.__qualname__ = f"pending_{channel}"
    return build


# One builder per channel: the channel is a constant of the prepared SQL.
_PENDING_BY_CHANNEL = {channel: _pending(channel) for channel in DecisionChannel.values}


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
    pending = prepared.rows(_PENDING_BY_CHANNEL[channel], [customer.pk], now - pending_timeout())
    if pending:
        return Decision.objects.select_related("offer").get(pk=pending[0][0])
    profile = build_profile(customer)
    policy, stamp = _stamped_policy()
    if policy is None:  # the first decision of a new installation
        active_policy()
        policy, stamp = _stamped_policy()
    assert policy is not None
    offers = eligible_offers(profile, stamp=stamp)
    if not offers:
        return None
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
