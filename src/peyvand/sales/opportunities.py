"""Every change to pipelines and opportunities: creating deals and moving them through stages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.access.scopes import restrict
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes
from peyvand.catalog.models import Product
from peyvand.catalog.money import decimal_places, quantize
from peyvand.catalog.services import active_currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.sales import events
from peyvand.sales.access import live_opportunities
from peyvand.sales.choices import CloseOutcome, OpportunityStatus
from peyvand.sales.models import (
    CloseReason,
    Competitor,
    Opportunity,
    Pipeline,
    Stage,
    StageHistory,
)
from peyvand.sales.services import MAX_AMOUNT, NotFound

# name, Persian name, win probability, won, lost
DEFAULT_STAGES: list[tuple[str, str, int, bool, bool]] = [
    ("Qualification", "ارزیابی", 10, False, False),
    ("Needs analysis", "نیازسنجی", 25, False, False),
    ("Proposal", "پیشنهاد", 50, False, False),
    ("Negotiation", "مذاکره", 75, False, False),
    ("Won", "موفق", 100, True, False),
    ("Lost", "ناموفق", 0, False, True),
]


def ensure_default_pipeline() -> Pipeline:
    """The default pipeline, created with the standard stages on first use."""
    pipeline = Pipeline.objects.filter(is_default=True).first()
    if pipeline is not None:
        return pipeline
    try:
        with transaction.atomic():
            pipeline = Pipeline.objects.create(name="Sales", name_fa="فروش", is_default=True)
            Stage.objects.bulk_create(
                Stage(
                    pipeline=pipeline,
                    name=name,
                    name_fa=name_fa,
                    position=position,
                    win_probability=probability,
                    is_won=won,
                    is_lost=lost,
                )
                for position, (name, name_fa, probability, won, lost) in enumerate(DEFAULT_STAGES)
            )
    except IntegrityError:
        # Another request created it first; the partial unique index guarantees one.
        return Pipeline.objects.get(is_default=True)
    return pipeline


def open_stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.filter(is_won=False, is_lost=False).order_by("position", "pk"))


def _amount(value: Any, currency: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip() or "0")
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"amount": [_("Enter a number.")]}) from exc
    if not number.is_finite():
        raise ValidationError({"amount": [_("Enter a number.")]})
    if number < 0:
        raise ValidationError({"amount": [_("The amount cannot be negative.")]})
    if number >= MAX_AMOUNT:
        raise ValidationError({"amount": [_("This amount is too large.")]})
    places = decimal_places(currency)
    if quantize(number, currency, places=places) != number:
        raise ValidationError(
            {
                "amount": [
                    _("%(currency)s amounts have at most %(places)s decimal places.")
                    % {"currency": currency, "places": places}
                ]
            }
        )
    return number


@transaction.atomic
def create_opportunity(
    *,
    actor: Any,
    customer: Customer,
    title: str,
    amount: Decimal | int | str = 0,
    currency: str | None = None,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    expected_close_date: dt.date | None = None,
    next_step: str = "",
    owner: Any = None,
    department: Any = None,
    competitors: list[Competitor] | None = None,
    products: list[Product] | None = None,
) -> Opportunity:
    """A new open deal in `stage` (default: the pipeline's first open stage), with its first
    stage-history entry. Raises ValidationError naming every bad field."""
    customers = Customer.objects.filter(deleted_at__isnull=True)
    if actor is not None:
        customers = customers.visible_to(actor)
    if not customers.filter(pk=customer.pk).exists():
        raise NotFound(_("Customer not found."), field="customer", code="not_found")
    pipeline = pipeline or ensure_default_pipeline()
    errors: dict[str, list[str]] = {}
    if stage is None:
        stages = open_stages(pipeline)
        if not stages:
            raise ValidationError({"stage": [_("This pipeline has no open stage.")]})
        stage = stages[0]
    elif stage.pipeline_id != pipeline.pk or stage.is_closed:
        errors["stage"] = [_("Choose an open stage of this pipeline.")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the opportunity a title.")]
    try:
        code = active_currency(currency or customer.currency).code
    except ServiceError as exc:
        errors["currency"] = [exc.message]
        code = ""
    value = Decimal(0)
    if code:
        try:
            value = _amount(amount, code)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    opportunity = Opportunity(
        customer=customer,
        pipeline=pipeline,
        stage=stage,
        title=title,
        amount=Money(value, code or "IRR"),
        expected_close_date=expected_close_date,
        next_step=(next_step or "").strip(),
        owner=owner if owner is not None else (actor if getattr(actor, "pk", None) else None),
        department=department if department is not None else customer.department,
    )
    try:
        opportunity.full_clean(exclude=["customer", "pipeline", "stage", "owner", "department"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    _check_related(errors, competitors, products)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    opportunity.stage_entered_at = now
    with record(opportunity, actor=actor):
        opportunity.save()
    if competitors:
        opportunity.competitors.set(competitors)
    if products:
        opportunity.products.set(products)
    StageHistory.objects.create(
        opportunity=opportunity, from_stage=None, to_stage=stage, at=now, by=_user(actor)
    )
    return opportunity


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _locked(opportunity: Opportunity, actor: Any, *, authorized: bool = False) -> Opportunity:
    opportunities = live_opportunities()
    if actor is not None and not authorized:
        opportunities = restrict(opportunities, actor, "change")
    locked = opportunities.select_for_update().filter(pk=opportunity.pk).first()
    if locked is None:
        raise NotFound(_("Opportunity not found."), field="opportunity", code="not_found")
    return locked


@transaction.atomic
def move_opportunity(
    opportunity: Opportunity,
    stage: Stage,
    *,
    actor: Any,
    reason: str = "",
    close_reason: CloseReason | None = None,
    authorized: bool = False,
) -> Opportunity:
    """Put the deal in `stage` and record the move; a won or lost stage closes the deal
    (a lost one needs a reason: from the managed list, in words, or both). Moving to the
    stage it is in changes nothing. `authorized`: the caller already decided the actor may
    make this move (accepting the deal's quote wins it), so the actor's scope on
    opportunities is not checked again; the move is still recorded under the actor."""
    opportunity = _locked(opportunity, actor, authorized=authorized)
    if stage.pipeline_id != opportunity.pipeline_id:
        raise ServiceError(_("Choose a stage of this opportunity's pipeline."), field="stage")
    if opportunity.stage_id == stage.pk:
        return opportunity
    if opportunity.status != OpportunityStatus.OPEN:
        raise ServiceError(
            _("This opportunity is closed; its stage cannot change."), field="stage", code="closed"
        )
    reason = (reason or "").strip()
    if len(reason) > 255:
        raise ServiceError(_("Keep the reason under 255 characters."), field="reason")
    if close_reason is not None:
        outcome = CloseOutcome.WON if stage.is_won else CloseOutcome.LOST
        if not stage.is_closed or close_reason.outcome != outcome or not close_reason.is_active:
            raise ServiceError(
                _("Choose a reason from the list for this outcome."), field="close_reason"
            )
    if stage.is_lost and not reason and close_reason is None:
        raise ServiceError(_("Say why the opportunity was lost."), field="reason", code="required")
    now = timezone.now()
    previous = opportunity.stage
    with record(opportunity, actor=actor):
        opportunity.stage = stage
        opportunity.stage_entered_at = now
        if stage.is_closed:
            opportunity.status = OpportunityStatus.WON if stage.is_won else OpportunityStatus.LOST
            opportunity.closed_at = now
            opportunity.close_reason = reason
            opportunity.reason = close_reason
        opportunity.save()
    StageHistory.objects.create(
        opportunity=opportunity, from_stage=previous, to_stage=stage, at=now, by=_user(actor)
    )
    if stage.is_won:
        events.opportunity_won(opportunity)
    return opportunity


def _closing_stage(opportunity: Opportunity, *, won: bool) -> Stage:
    stage = (
        Stage.objects.filter(pipeline_id=opportunity.pipeline_id, is_won=won, is_lost=not won)
        .order_by("position", "pk")
        .first()
    )
    if stage is None:
        raise ServiceError(
            _("This pipeline has no won stage.") if won else _("This pipeline has no lost stage."),
            field="stage",
        )
    return stage


def win_opportunity(
    opportunity: Opportunity,
    *,
    actor: Any,
    reason: str = "",
    close_reason: CloseReason | None = None,
    authorized: bool = False,
) -> Opportunity:
    return move_opportunity(
        opportunity,
        _closing_stage(opportunity, won=True),
        actor=actor,
        reason=reason,
        close_reason=close_reason,
        authorized=authorized,
    )


def lose_opportunity(
    opportunity: Opportunity,
    *,
    actor: Any,
    reason: str = "",
    close_reason: CloseReason | None = None,
) -> Opportunity:
    return move_opportunity(
        opportunity,
        _closing_stage(opportunity, won=False),
        actor=actor,
        reason=reason,
        close_reason=close_reason,
    )


# Fields update_opportunity may change; pipeline, stage and status change only by moving.
EDITABLE_FIELDS = frozenset(
    {"title", "amount", "currency", "expected_close_date", "next_step", "competitors", "products"}
)


def _related_ids(opportunity: Opportunity) -> dict[str, list[int]]:
    return {
        "competitors": sorted(opportunity.competitors.values_list("pk", flat=True)),
        "products": sorted(opportunity.products.values_list("pk", flat=True)),
    }


def _check_related(
    errors: dict[str, list[str]],
    competitors: list[Competitor] | None,
    products: list[Product] | None,
) -> None:
    if competitors:
        ids = {c.pk for c in competitors}
        if Competitor.objects.filter(pk__in=ids, is_active=True).count() != len(ids):
            errors["competitors"] = [_("Choose competitors from the list.")]
    if products:
        ids = {p.pk for p in products}
        if Product.objects.sellable().filter(pk__in=ids).count() != len(ids):
            errors["products"] = [_("Choose active products from the catalog.")]


@transaction.atomic
def update_opportunity(opportunity: Opportunity, *, actor: Any, **changes: Any) -> Opportunity:
    """Change the deal's details (title, amount and currency, expected close date, next step,
    competitors, products of interest). Raises ValidationError naming every bad field and
    changes nothing then; an unchanged value writes no audit row."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    opportunity = _locked(opportunity, actor)
    errors: dict[str, list[str]] = {}
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            errors["title"] = [_("Give the opportunity a title.")]
    code = str(opportunity.amount.currency)
    if changes.get("currency") is not None:
        try:
            code = active_currency(changes["currency"]).code
        except ServiceError as exc:
            errors["currency"] = [exc.message]
    value = opportunity.amount.amount
    if changes.get("amount") is not None or code != str(opportunity.amount.currency):
        try:
            value = _amount(changes.get("amount", value), code)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    competitors, products = changes.get("competitors"), changes.get("products")
    _check_related(errors, competitors, products)
    before = snapshot(opportunity) | _related_ids(opportunity)
    for name in ("title", "expected_close_date", "next_step"):
        if name in changes:
            setattr(
                opportunity,
                name,
                changes[name] if name != "next_step" else (changes[name] or "").strip(),
            )
    opportunity.amount = Money(value, code)
    try:
        opportunity.full_clean(exclude=["customer", "pipeline", "stage", "owner", "department"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)
    opportunity.save()
    if competitors is not None:
        opportunity.competitors.set(competitors)
    if products is not None:
        opportunity.products.set(products)
    after = snapshot(opportunity) | _related_ids(opportunity)
    if before != after:
        write_changes([Change(ChangeAction.UPDATE, opportunity, before, after)], actor=actor)
    return opportunity
