"""Offline evaluation of a candidate policy from the logged propensities, before it decides.

The logged decisions are split in time: the candidate learns from the older part (VW's
contextual-bandit learner corrects for the logging propensities itself) and is judged on
the newer part, which it has not seen. For each held-out decision i with reward r_i
(1 accepted, else 0), logged propensity p_i and the candidate's probability π_i of the
logged action:

    IPS = mean(π_i / p_i · r_i)
    DR  = mean(Σ_a π(a|x_i) r̂(a) + π_i / p_i · (r_i − r̂(a_i)))

with r̂ the per-offer acceptance rate on the training part (smoothed towards the overall
rate). DR keeps IPS unbiased while the reward model takes out most of its variance
(Dudík, Langford & Li 2011). The logging policy's own value is the observed acceptance rate.
"""

from __future__ import annotations

import math
import shlex
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from peyvand.audit.services import record as audit_record
from peyvand.core.problems import ServiceError
from peyvand.personalization.choices import Outcome, PolicyStatus
from peyvand.personalization.engine import Bandit
from peyvand.personalization.models import Decision, PolicyVersion

TRAIN_SHARE = 0.7
MIN_DECISIONS = 20
# Pseudo-decisions pulling a rarely shown offer's rate towards the overall rate.
PRIOR_WEIGHT = 5.0

# VW options a candidate may use: learning and exploration only. Anything that reads or
# writes files (-d, -f, -i, --cache, --readable_model, …) is refused.
ALLOWED_OPTIONS = {
    "--cb_explore_adf": 0,
    "--epsilon": 1,
    "--squarecb": 0,
    "--gamma_scale": 1,
    "--gamma_exponent": 1,
    "--first": 1,
    "--bag": 1,
    "--cover": 1,
    "--softmax": 0,
    "--lambda": 1,
    "--regcb": 0,
    "--regcbopt": 0,
    "--mellowness": 1,
    "--cb_type": 1,
    "-q": 1,
    "--quadratic": 1,
    "--cubic": 1,
    "--power_t": 1,
    "-l": 1,
    "--learning_rate": 1,
    "--l1": 1,
    "--l2": 1,
    "-b": 1,
    "--bit_precision": 1,
}


def validate_vw_args(args: str) -> str:
    tokens = shlex.split(args)
    if "--cb_explore_adf" not in tokens:
        raise ServiceError(_("The arguments must include --cb_explore_adf."), field="vw_args")
    index = 0
    while index < len(tokens):
        option = tokens[index]
        if option not in ALLOWED_OPTIONS:
            raise ServiceError(
                _("The option %(option)s is not allowed here.") % {"option": option},
                field="vw_args",
            )
        index += 1 + ALLOWED_OPTIONS[option]
    if index != len(tokens):
        raise ServiceError(_("An option is missing its value."), field="vw_args")
    try:
        Bandit(" ".join(tokens)).close()
    except RuntimeError as exc:
        raise ServiceError(str(exc), field="vw_args") from exc
    return " ".join(tokens)


def create_candidate(*, name: str, vw_args: str, actor: Any) -> PolicyVersion:
    """A new candidate, trained and evaluated in the background."""
    from peyvand.personalization.tasks import train_candidate

    args = validate_vw_args(vw_args)
    policy = PolicyVersion(name=name, vw_args=args, created_by=actor)
    with transaction.atomic():
        with audit_record(policy, actor=actor):
            policy.save()
        transaction.on_commit(lambda: train_candidate.enqueue(policy.pk))
    return policy


def _reward(decision: Decision) -> float:
    return 1.0 if decision.outcome == Outcome.ACCEPTED else 0.0


def _mean_and_error(values: Sequence[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    variance = sum((v - mean) ** 2 for v in values) / (n - 1) if n > 1 else 0.0
    return mean, math.sqrt(variance / n)


def estimate(
    bandit: Bandit, train: Sequence[Decision], held_out: Sequence[Decision]
) -> dict[str, float]:
    """IPS and DR estimates of `bandit` (already trained on `train`) on `held_out`."""
    shown: dict[int, int] = defaultdict(int)
    accepted: dict[int, float] = defaultdict(float)
    for decision in train:
        shown[decision.offer_id] += 1
        accepted[decision.offer_id] += _reward(decision)
    overall = sum(accepted.values()) / len(train) if train else 0.0

    def rate(offer_id: int) -> float:
        return (accepted[offer_id] + PRIOR_WEIGHT * overall) / (shown[offer_id] + PRIOR_WEIGHT)

    ips: list[float] = []
    dr: list[float] = []
    for decision in held_out:
        pmf = bandit.pmf(decision.context, decision.actions)
        weight = pmf[decision.chosen_index] / decision.propensity
        reward = _reward(decision)
        ips.append(weight * reward)
        direct = sum(
            p * rate(offer_id) for p, offer_id in zip(pmf, decision.offer_ids, strict=True)
        )
        dr.append(direct + weight * (reward - rate(decision.offer_id)))
    logging_value, logging_error = _mean_and_error([_reward(d) for d in held_out])
    ips_value, ips_error = _mean_and_error(ips)
    dr_value, dr_error = _mean_and_error(dr)
    return {
        "logging": logging_value,
        "logging_se": logging_error,
        "ips": ips_value,
        "ips_se": ips_error,
        "dr": dr_value,
        "dr_se": dr_error,
    }


def train_and_evaluate(policy_id: int) -> dict[str, Any]:
    policy = PolicyVersion.objects.get(pk=policy_id)
    if policy.status != PolicyStatus.CANDIDATE:
        raise ServiceError(_("Only a candidate is trained offline."), field="status")
    logged = list(Decision.objects.answered().order_by("decided_at", "pk"))
    if len(logged) < MIN_DECISIONS:
        result: dict[str, Any] = {
            "error": _("Not enough answered offers yet (%(n)s of %(min)s).")
            % {"n": len(logged), "min": MIN_DECISIONS}
        }
        PolicyVersion.objects.filter(pk=policy.pk).update(evaluation=result)
        return result
    cut = int(len(logged) * TRAIN_SHARE)
    train, held_out = logged[:cut], logged[cut:]
    bandit = Bandit(policy.vw_args)
    for decision in train:
        bandit.learn(
            decision.context,
            decision.actions,
            decision.chosen_index,
            -_reward(decision),
            decision.propensity,
        )
    result = {
        **estimate(bandit, train, held_out),
        "trained_on": len(train),
        "evaluated_on": len(held_out),
        "at": timezone.now().isoformat(),
    }
    # Judged on data it had not seen; now it learns that too, so it starts from everything.
    for decision in held_out:
        bandit.learn(
            decision.context,
            decision.actions,
            decision.chosen_index,
            -_reward(decision),
            decision.propensity,
        )
    PolicyVersion.objects.filter(pk=policy.pk).update(
        model=bandit.model_bytes(),
        revision=policy.revision + 1,
        learned_count=len(logged),
        evaluation=result,
        updated_at=timezone.now(),
    )
    bandit.close()
    return result
