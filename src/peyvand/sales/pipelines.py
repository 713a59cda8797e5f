"""Managing pipelines and their stages (one service saves a pipeline with all its stages, so
the rules that span stages, one won and one lost stage and unique names, hold after every
save) and the managed lists deals refer to: competitors and won/lost reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import record
from peyvand.core.text import normalize_text
from peyvand.sales.models import (
    CloseReason,
    Competitor,
    Opportunity,
    Pipeline,
    Stage,
    StageHistory,
)


@dataclass
class StageInput:
    """One row of the stage editor, in board order; `pk` None adds a stage."""

    name: str
    name_fa: str = ""
    win_probability: int = 0
    is_won: bool = False
    is_lost: bool = False
    pk: int | None = None
    delete: bool = False


def _stage_errors(
    pipeline: Pipeline | None, rows: list[StageInput]
) -> tuple[dict[str, list[str]], dict[int, Stage]]:
    existing = {s.pk: s for s in pipeline.stages.all()} if pipeline is not None else {}
    errors: dict[str, list[str]] = {}
    kept = [row for row in rows if not row.delete]
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        prefix = f"stages.{index}"
        if row.pk is not None and row.pk not in existing:
            errors[f"{prefix}.pk"] = [_("This stage belongs to another pipeline.")]
            continue
        if row.delete:
            if row.pk is not None and (
                Opportunity.objects.filter(stage_id=row.pk).exists()
                or StageHistory.objects.filter(to_stage_id=row.pk).exists()
            ):
                errors[f"{prefix}.delete"] = [
                    _("Deals are or were in this stage; it cannot be removed. Rename it instead.")
                ]
            continue
        name = (row.name or "").strip()
        if not name:
            errors[f"{prefix}.name"] = [_("Give the stage a name.")]
        else:
            key = normalize_text(name).casefold()
            if key in seen:
                errors[f"{prefix}.name"] = [_("Two stages cannot have the same name.")]
            seen[key] = index
        if not 0 <= row.win_probability <= 100:
            errors[f"{prefix}.win_probability"] = [_("Enter a probability from 0 to 100.")]
        if row.is_won and row.is_lost:
            errors[f"{prefix}.is_lost"] = [_("A stage cannot be both won and lost.")]
    problems = []
    if sum(row.is_won for row in kept) != 1:
        problems.append(_("A pipeline needs exactly one won stage."))
    if sum(row.is_lost for row in kept) != 1:
        problems.append(_("A pipeline needs exactly one lost stage."))
    if not any(not row.is_won and not row.is_lost for row in kept):
        problems.append(_("A pipeline needs at least one open stage."))
    for row in kept:
        stage = existing.get(row.pk) if row.pk is not None else None
        if (
            stage is not None
            and stage.is_closed != (row.is_won or row.is_lost)
            and Opportunity.objects.filter(stage=stage).exists()
        ):
            problems.append(
                _("Stage “%(stage)s” holds deals; it cannot switch between open and closed.")
                % {"stage": stage.name}
            )
    if problems:
        errors["stages"] = problems
    return errors, existing


@transaction.atomic
def save_pipeline(
    pipeline: Pipeline | None,
    *,
    actor: Any,
    name: str,
    name_fa: str = "",
    is_default: bool = False,
    is_active: bool = True,
    stages: list[StageInput],
) -> Pipeline:
    """Create (`pipeline` None) or edit a pipeline with its stages in the order given:
    renames, probabilities, added, removed and reordered stages in one audited step.
    Raises ValidationError keyed `name`, `stages` or `stages.<row>.<field>`; nothing is
    written then."""
    if pipeline is not None:
        pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    errors, existing = _stage_errors(pipeline, stages)
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Give the pipeline a name.")]
    if pipeline is not None and pipeline.is_default and not is_default:
        errors["is_default"] = [_("Make another pipeline the default instead.")]
    if is_default and not is_active:
        errors["is_active"] = [_("The default pipeline must stay active.")]
    if errors:
        raise ValidationError(errors)
    if is_default:
        for other in Pipeline.objects.select_for_update().filter(is_default=True):
            if pipeline is None or other.pk != pipeline.pk:
                with record(other, actor=actor):
                    other.is_default = False
                    other.save(update_fields=["is_default", "updated_at"])
    target = pipeline or Pipeline()
    with record(target, actor=actor):
        target.name, target.name_fa = name, (name_fa or "").strip()
        target.is_default, target.is_active = is_default, is_active
        target.save()
    for row in stages:
        if row.delete and row.pk is not None:
            stage = existing[row.pk]
            with record(stage, actor=actor, action=ChangeAction.DELETE):
                stage.delete()
    for position, row in enumerate(row for row in stages if not row.delete):
        stage = existing[row.pk] if row.pk is not None else Stage(pipeline=target)
        with record(stage, actor=actor):
            stage.name, stage.name_fa = row.name.strip(), (row.name_fa or "").strip()
            stage.position, stage.win_probability = position, row.win_probability
            stage.is_won, stage.is_lost = row.is_won, row.is_lost
            stage.save()
    return target


def _names(name: str, name_fa: str) -> tuple[str, str, dict[str, list[str]]]:
    name, name_fa = (name or "").strip(), (name_fa or "").strip()
    errors = {"name": [_("Give it a name.")]} if not name else {}
    return name, name_fa, errors


@transaction.atomic
def save_competitor(
    competitor: Competitor | None,
    *,
    actor: Any,
    name: str,
    name_fa: str = "",
    website: str = "",
    is_active: bool = True,
) -> Competitor:
    """Add (`competitor` None) or edit an entry of the competitor list; entries are
    deactivated rather than deleted, so deals keep naming them."""
    name, name_fa, errors = _names(name, name_fa)
    target = competitor or Competitor()
    target.name, target.name_fa = name, name_fa
    target.website, target.is_active = (website or "").strip(), is_active
    _clean(target, errors)
    with record(target, actor=actor):
        target.save()
    return target


@transaction.atomic
def save_close_reason(
    reason: CloseReason | None,
    *,
    actor: Any,
    outcome: str,
    name: str,
    name_fa: str = "",
    is_active: bool = True,
) -> CloseReason:
    """Add or edit a won/lost reason of the managed list; its outcome is fixed once used."""
    name, name_fa, errors = _names(name, name_fa)
    if reason is not None and reason.outcome != outcome and reason.opportunities.exists():
        errors["outcome"] = [_("Deals were closed with this reason; its outcome cannot change.")]
    target = reason or CloseReason()
    target.outcome, target.name, target.name_fa, target.is_active = (
        outcome,
        name,
        name_fa,
        is_active,
    )
    if reason is None:
        target.position = CloseReason.objects.filter(outcome=outcome).count()
    _clean(target, errors)
    with record(target, actor=actor):
        target.save()
    return target


def _clean(obj: Competitor | CloseReason, errors: dict[str, list[str]]) -> None:
    try:
        obj.full_clean()
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
