"""Staff screens of next best offer: offers, policy versions with their offline evaluation,
and the suggested-offer panel of the customer 360 page (an HTMX partial)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import get_for
from peyvand.core.charts import Chart, Series, bar_chart
from peyvand.core.problems import ServiceError
from peyvand.core.templatetags.peyvand import digits
from peyvand.customers.access import get_customer_for
from peyvand.personalization.access import require_offer_manager
from peyvand.personalization.choices import DecisionChannel, Outcome, PolicyStatus
from peyvand.personalization.evaluation import create_candidate
from peyvand.personalization.forms import CandidateForm, OfferForm
from peyvand.personalization.models import Decision, Offer, PolicyVersion
from peyvand.personalization.services import activate_policy, decide, record_outcome, save_offer

PAGE_SIZE = 25


def _percent(value: float) -> str:
    return str(digits(f"{value:.1f}%"))


@login_required
@require_GET
def offer_list(request: HttpRequest) -> HttpResponse:
    require_offer_manager(request.user)
    page = Paginator(Offer.objects.order_by("code"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "personalization/offer_list.html", {"page": page})


def _offer_form(request: HttpRequest, offer: Offer | None) -> HttpResponse:
    require_offer_manager(request.user)
    form = OfferForm(request.POST or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_offer(form.instance, actor=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Offer “%(title)s” saved.") % {"title": saved})
            return redirect("personalization:offer_list")
    return render(request, "personalization/offer_form.html", {"form": form, "offer": offer})


@login_required
@require_http_methods(["GET", "POST"])
def offer_create(request: HttpRequest) -> HttpResponse:
    return _offer_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def offer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require_offer_manager(request.user)
    return _offer_form(request, get_object_or_404(Offer, pk=pk))


def evaluation_chart(policy: PolicyVersion) -> Chart | None:
    result = policy.evaluation
    if "ips" not in result:
        return None
    return bar_chart(
        _("Estimated acceptance rate: %(name)s") % {"name": policy.name},
        [_("Logging policy (observed)"), _("Candidate (IPS)"), _("Candidate (doubly robust)")],
        [
            Series(
                _("Acceptance rate"),
                [100 * result["logging"], 100 * result["ips"], 100 * result["dr"]],
            )
        ],
        description=_("Judged on %(n)s logged answers the candidate did not learn from.")
        % {"n": result["evaluated_on"]},
        value_text=lambda v: _percent(float(v)),
    )


@login_required
@require_http_methods(["GET", "POST"])
def policy_list(request: HttpRequest) -> HttpResponse:
    require_offer_manager(request.user)
    form = CandidateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            create_candidate(
                name=form.cleaned_data["name"],
                vw_args=form.cleaned_data["vw_args"],
                actor=request.user,
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Candidate created; it is trained in the background."))
            return redirect("personalization:policy_list")
    policies = list(
        PolicyVersion.objects.defer("model").annotate(
            decided=Count("decisions"),
            accepted=Count("decisions", filter=Q(decisions__outcome=Outcome.ACCEPTED)),
            answered=Count("decisions", filter=~Q(decisions__outcome=Outcome.PENDING)),
        )
    )
    rows = [{"policy": p, "chart": evaluation_chart(p)} for p in policies]
    return render(
        request,
        "personalization/policy_list.html",
        {"rows": rows, "form": form, "candidate": PolicyStatus.CANDIDATE},
    )


@login_required
@require_POST
def policy_activate(request: HttpRequest, pk: int) -> HttpResponse:
    require_offer_manager(request.user)
    policy = get_object_or_404(PolicyVersion, pk=pk)
    try:
        activate_policy(policy.pk, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(name)s” now chooses the offers.") % {"name": policy.name})
    return redirect("personalization:policy_list")


def _panel(request: HttpRequest, customer: Any, decision: Decision | None, **extra: Any) -> Any:
    return render(
        request,
        "personalization/partials/customer_offer.html",
        {"customer": customer, "decision": decision, **extra},
    )


@login_required
@require_GET
def customer_offer(request: HttpRequest, customer_id: int) -> HttpResponse:
    """The offer to make this customer now (drawn and logged on first view)."""
    customer = get_customer_for(request.user, customer_id)
    decision = decide(customer, actor=request.user, channel=DecisionChannel.AGENT)
    return _panel(request, customer, decision)


@login_required
@require_POST
def decision_outcome_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: the customer accepted or rejected the suggested offer."""
    decision = get_for(request.user, Decision.objects.filter(customer__deleted_at__isnull=True), pk)
    outcome = request.POST.get("outcome", "")
    error = ""
    if outcome not in (Outcome.ACCEPTED, Outcome.REJECTED):
        error = _("Choose accepted or rejected.")
    else:
        try:
            decision = record_outcome(
                decision.pk, outcome, actor=request.user, channel=DecisionChannel.AGENT
            )
        except ServiceError as exc:
            error = exc.message
            decision.refresh_from_db()
    response = _panel(request, decision.customer, decision, error=error)
    if error:
        response.status_code = 409 if outcome in (Outcome.ACCEPTED, Outcome.REJECTED) else 400
    return response
