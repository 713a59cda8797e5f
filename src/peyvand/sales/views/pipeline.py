"""Views of leads, the pipeline board and opportunities: parse, authorise, call services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.models import Department
from peyvand.access.scopes import can, restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.core.problems import ServiceError
from peyvand.sales.access import get_lead_for, get_opportunity_for, live_leads
from peyvand.sales.capture import capture_lead
from peyvand.sales.choices import OPEN_LEAD_STATUSES, LeadStatus, OpportunityStatus
from peyvand.sales.forms import (
    CloseOpportunityForm,
    ConvertLeadForm,
    LeadFilterForm,
    LeadForm,
    LeadStatusForm,
    MoveOpportunityForm,
)
from peyvand.sales.leads import convert_lead, find_duplicates, lead_search, set_lead_status
from peyvand.sales.models import Lead, Opportunity, Pipeline, Stage
from peyvand.sales.opportunities import (
    ensure_default_pipeline,
    lose_opportunity,
    move_opportunity,
    open_stages,
    win_opportunity,
)
from peyvand.sales.report_cache import cached
from peyvand.sales.scoring import current_model, history, rule_hits, top_reasons
from peyvand.sales.selectors import board_totals, column_cards, pipeline_board, stage_visits
from peyvand.sales.views.lead_setup import may_set_up_leads

PAGE_SIZE = 25


def _apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def _require(user: Any, object_type: str, action: str) -> None:
    if not can(user, object_type, action):
        raise Http404


@login_required
@require_GET
def lead_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.LEAD, "view")
    filters = LeadFilterForm(request.GET or None)
    leads = restrict(live_leads(), request.user).select_related("source", "owner")
    if filters.is_valid():
        if filters.cleaned_data["status"]:
            leads = leads.filter(status=filters.cleaned_data["status"])
        if filters.cleaned_data["q"]:
            leads = leads.filter(lead_search(filters.cleaned_data["q"]))
    page = Paginator(leads.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "sales/lead_list.html",
        {
            "page": page,
            "filters": filters,
            "query": query,
            "filtered": bool(query),
            "can_add": can(request.user, ObjectType.LEAD, "add"),
            "can_set_up": may_set_up_leads(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def lead_create(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.LEAD, "add")
    form = LeadForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        round_robin = data["round_robin"]
        try:
            lead, duplicates = capture_lead(
                actor=request.user,
                name=data["name"],
                company=data["company"],
                email=data["email"],
                phone=data["phone"],
                source=data["source"],
                owner=None if round_robin else request.user,
                department=Department.objects.filter(members=request.user.pk)
                .order_by("pk")
                .first(),
                assign=round_robin,
                notes=data["notes"],
                referrer=data["referrer"],
                city=data["city"],
                language=data["language"],
                product=data["product"],
                **{name: data[name] for name in LeadForm.CAMPAIGN_FIELDS},
            )
        except ValidationError as exc:
            _apply_validation_error(form, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Lead %(lead)s recorded.") % {"lead": lead})
            if duplicates:
                messages.warning(request, _("This lead may already be known; see the matches."))
            if restrict(live_leads(), request.user).filter(pk=lead.pk).exists():
                return redirect("sales:lead_detail", pk=lead.pk)
            messages.info(request, _("It was assigned to %(owner)s.") % {"owner": lead.owner})
            return redirect("sales:lead_list")
    return render(
        request, "sales/lead_form.html", {"form": form}, status=400 if form.is_bound else 200
    )


def _lead_detail(
    request: HttpRequest,
    lead: Lead,
    *,
    convert_form: ConvertLeadForm | None = None,
    status_form: LeadStatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = restrict(live_leads(), request.user, "change").filter(pk=lead.pk).exists()
    is_open = lead.status in OPEN_LEAD_STATUSES
    can_convert = (
        can_change and is_open and can(request.user, ObjectType.OPPORTUNITY, "add")
    ) and can(request.user, ObjectType.CUSTOMER, "add")
    return render(
        request,
        "sales/lead_detail.html",
        {
            "lead": lead,
            "rule_hits": rule_hits(lead),
            "reasons": top_reasons(lead),
            "has_model": current_model() is not None,
            "history": history(),
            "duplicates": find_duplicates(
                email=lead.email, phone=lead.phone, actor=request.user, exclude=lead
            ),
            "status_form": (status_form or LeadStatusForm(initial={"status": lead.status}))
            if can_change and lead.status != LeadStatus.CONVERTED
            else None,
            "convert_form": (convert_form or ConvertLeadForm(initial={"currency": "IRR"}))
            if can_convert
            else None,
        },
        status=status,
    )


@login_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _lead_detail(request, get_lead_for(request.user, pk))


@login_required
@require_POST
def lead_status(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk, "change")
    form = LeadStatusForm(request.POST)
    if form.is_valid():
        try:
            set_lead_status(lead, form.cleaned_data["status"], actor=request.user)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("sales:lead_detail", pk=lead.pk)
    return _lead_detail(request, lead, status_form=form, status=400)


@login_required
@require_POST
def lead_convert(request: HttpRequest, pk: int) -> HttpResponse:
    lead = get_lead_for(request.user, pk, "change")
    _require(request.user, ObjectType.OPPORTUNITY, "add")
    _require(request.user, ObjectType.CUSTOMER, "add")
    form = ConvertLeadForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            customer, opportunity = convert_lead(
                lead,
                actor=request.user,
                title=data["title"],
                amount=data["amount"] if data["amount"] is not None else 0,
                currency=data["currency"],
                expected_close_date=data["expected_close_date"],
            )
        except ValidationError as exc:
            _apply_validation_error(form, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Converted: customer %(customer)s and opportunity %(opportunity)s.")
                % {"customer": customer, "opportunity": opportunity},
            )
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    return _lead_detail(request, lead, convert_form=form, status=400)


def _pipeline_for(request: HttpRequest) -> Pipeline:
    default = ensure_default_pipeline()
    requested = request.GET.get("pipeline") or request.POST.get("pipeline")
    if not requested or str(requested) == str(default.pk):
        return default
    try:
        return Pipeline.objects.get(pk=int(requested), is_active=True)
    except (ValueError, Pipeline.DoesNotExist) as exc:
        raise Http404 from exc


# Stands in for the reader's CSRF token in the cached board (the cards' move forms), put
# in on every answer: the markup is shared by readers who see the same deals, a token never.
CSRF_PLACEHOLDER = "csrf-token-placeholder-3c9b1e"


def _board_markup(request: HttpRequest, pipeline: Pipeline, *, can_move: bool) -> str:
    """The board's columns and cards, drawn once for every reader with the same visibility,
    language and right to move, until a deal, stage or customer changes (`report_cache`)."""

    def draw() -> str:
        columns = pipeline_board(request.user, pipeline)
        return render_to_string(
            "sales/partials/board.html",
            {
                "pipeline": pipeline,
                "columns": columns,
                "stages": [column.stage for column in columns],
                "can_move": can_move,
                "csrf_token": CSRF_PLACEHOLDER,
            },
        )

    markup = cached("board-markup", request.user, [pipeline.pk, can_move], draw)
    return markup.replace(CSRF_PLACEHOLDER, escape(get_token(request)))


def _board(
    request: HttpRequest, pipeline: Pipeline, *, moved: Opportunity | None = None
) -> HttpResponse:
    can_move = can(request.user, ObjectType.OPPORTUNITY, "change")
    markup: str
    if moved is not None:
        # The answer to a drop marks the moved card (and shows it even past the column's
        # first cards): drawn for this answer only.
        columns = pipeline_board(request.user, pipeline, keep=moved)
        markup = render_to_string(
            "sales/partials/board.html",
            {
                "pipeline": pipeline,
                "columns": columns,
                "stages": [column.stage for column in columns],
                "can_move": can_move,
                "moved": moved.pk,
            },
            request,
        )
    else:
        markup = _board_markup(request, pipeline, can_move=can_move)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(markup)
    return render(
        request,
        "sales/pipeline_board.html",
        {
            "pipeline": pipeline,
            "pipelines": Pipeline.objects.filter(is_active=True),
            "board": mark_safe(markup),  # noqa: S308 - drawn from the escaping templates above
            "can_move": can_move,
        },
    )


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.OPPORTUNITY, "view")
    return _board(request, _pipeline_for(request))


def _count_param(request: HttpRequest, name: str) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError as exc:
        raise Http404 from exc
    if value < 0:
        raise Http404
    return value


@login_required
@require_GET
def board_column(request: HttpRequest, pipeline_pk: int, stage_pk: int) -> HttpResponse:
    """The next cards of one column ("show more", HTMX); without HTMX the table view of
    the stage, which pages through every deal in it."""
    _require(request.user, ObjectType.OPPORTUNITY, "view")
    pipeline = Pipeline.objects.filter(pk=pipeline_pk, is_active=True).first()
    if pipeline is None:
        raise Http404
    stages = open_stages(pipeline)
    stage = next((s for s in stages if s.pk == stage_pk), None)
    if stage is None:
        raise Http404
    if not request.htmx:  # type: ignore[attr-defined]
        query = urlencode({"pipeline": pipeline.pk, "stage": stage.pk, "status": "open"})
        return redirect(reverse("sales:opportunity_list") + "?" + query)
    offset = _count_param(request, "offset") or 0
    skip = _count_param(request, "skip")
    cards = column_cards(request.user, pipeline, stage, offset=offset, skip=skip)
    count = board_totals(request.user, pipeline, [s.pk for s in stages]).get(stage.pk, (0, []))[0]
    shown = offset + len(cards) + (skip is not None)
    return render(
        request,
        "sales/partials/board_cards.html",
        {
            "pipeline": pipeline,
            "stage": stage,
            "stages": stages,
            "cards": cards,
            "can_move": can(request.user, ObjectType.OPPORTUNITY, "change"),
            "remaining": count - shown if cards else 0,
            "next_offset": offset + len(cards),
            "skip": skip,
        },
    )


def _opportunity_detail(
    request: HttpRequest, opportunity: Opportunity, *, status: int = 200, **forms_: Any
) -> HttpResponse:
    can_change = (
        restrict(Opportunity.objects.all(), request.user, "change")
        .filter(pk=opportunity.pk)
        .exists()
    )
    is_open = can_change and opportunity.status == OpportunityStatus.OPEN
    stages = open_stages(opportunity.pipeline)
    return render(
        request,
        "sales/opportunity_detail.html",
        {
            "opportunity": opportunity,
            "visits": stage_visits(opportunity),
            "move_form": (
                forms_.get("move_form")
                or MoveOpportunityForm(stages=stages, initial={"stage": opportunity.stage_id})
            )
            if is_open
            else None,
            "win_form": (forms_.get("win_form") or CloseOpportunityForm(outcome="won"))
            if is_open
            else None,
            "lose_form": (forms_.get("lose_form") or CloseOpportunityForm(outcome="lost"))
            if is_open
            else None,
            "can_change": can_change,
        },
        status=status,
    )


@login_required
@require_GET
def opportunity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _opportunity_detail(request, get_opportunity_for(request.user, pk))


@login_required
@require_POST
def opportunity_move(request: HttpRequest, pk: int) -> HttpResponse:
    """A card dropped on another column (HTMX: answers the board), or the move form."""
    opportunity = get_opportunity_for(request.user, pk, "change")
    stages = list(Stage.objects.filter(pipeline_id=opportunity.pipeline_id))
    form = MoveOpportunityForm(request.POST, stages=stages)
    if form.is_valid():
        stage = next(s for s in stages if s.pk == form.cleaned_data["stage"])
        try:
            moved = move_opportunity(opportunity, stage, actor=request.user)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return _board(request, opportunity.pipeline, moved=moved)
            messages.success(
                request,
                _("%(opportunity)s moved to %(stage)s.")
                % {"opportunity": opportunity, "stage": stage},
            )
            if request.POST.get("return_to") == "board":
                url = (
                    reverse("sales:board") + "?" + urlencode({"pipeline": opportunity.pipeline_id})
                )
                return redirect(url + f"#opportunity-{opportunity.pk}")
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    if request.htmx:  # type: ignore[attr-defined]
        message = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    return _opportunity_detail(request, opportunity, move_form=form, status=400)


@login_required
@require_POST
def opportunity_close(request: HttpRequest, pk: int, outcome: str) -> HttpResponse:
    opportunity = get_opportunity_for(request.user, pk, "change")
    form = CloseOpportunityForm(request.POST, outcome=outcome)
    if form.is_valid():
        close = win_opportunity if outcome == "won" else lose_opportunity
        try:
            close(
                opportunity,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                close_reason=form.cleaned_data["close_reason"],
            )
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("Marked as won.") if outcome == "won" else _("Marked as lost."),
            )
            return redirect("sales:opportunity_detail", pk=opportunity.pk)
    key = "win_form" if outcome == "won" else "lose_form"
    return _opportunity_detail(request, opportunity, status=400, **{key: form})
