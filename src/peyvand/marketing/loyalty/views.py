"""Staff screens of the loyalty programme (settings, the 360 card with a customer's points)
and the portal's "my points" page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm, Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can
from peyvand.core.charts import Series, bar_chart
from peyvand.core.problems import ServiceError, add_form_errors
from peyvand.core.templatetags.peyvand import digits
from peyvand.customers.access import get_customer_for
from peyvand.customers.models import Customer
from peyvand.marketing.loyalty import selectors, services
from peyvand.marketing.loyalty.access import OBJECT_TYPE, require_loyalty
from peyvand.marketing.loyalty.forms import (
    AdjustForm,
    ProgrammeForm,
    RedeemForm,
    RewardForm,
    RuleForm,
    TierForm,
)
from peyvand.marketing.models import LoyaltyReward, LoyaltyRule, LoyaltyTier
from peyvand.portal.session import portal_login_required
from peyvand.sales.access import live_orders

PAGE_SIZE = 25
SETTINGS: dict[str, type[LoyaltyTier | LoyaltyRule | LoyaltyReward]] = {
    "tier": LoyaltyTier,
    "rule": LoyaltyRule,
    "reward": LoyaltyReward,
}


def _points_text(value: Any) -> str:
    return digits(f"{int(value):,}")


def _settings_page(request: HttpRequest, **forms: BaseForm) -> HttpResponse:
    programme = services.active_programme()
    context: dict[str, Any] = {
        "programme": programme,
        "may_change": can(request.user, OBJECT_TYPE, "change"),
        "programme_form": forms.get("programme_form") or ProgrammeForm(instance=programme),
        "tier_form": forms.get("tier_form") or TierForm(),
        "rule_form": forms.get("rule_form") or RuleForm(),
        "reward_form": forms.get("reward_form") or RewardForm(),
    }
    if programme is not None:
        months = selectors.monthly_points(programme)
        context.update(
            tiers=list(programme.tiers.all()),
            rules=list(programme.rules.all()),
            rewards=list(programme.rewards.filter(is_active=True)),
            chart=bar_chart(
                _("Points per month"),
                [m.label for m in months],
                [
                    Series(_("Earned"), [m.earned for m in months]),
                    Series(_("Redeemed"), [m.redeemed for m in months]),
                    Series(_("Expired"), [m.expired for m in months]),
                ],
                description=_("Points earned, redeemed and expired by all customers, per month."),
                value_text=_points_text,
            ),
        )
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "marketing/loyalty/settings.html", context, status=status)


@login_required
@require_GET
def programme_settings(request: HttpRequest) -> HttpResponse:
    require_loyalty(request.user)
    return _settings_page(request)


@login_required
@require_POST
def programme_save(request: HttpRequest) -> HttpResponse:
    require_loyalty(request.user, "change")
    programme = services.active_programme()
    form = ProgrammeForm(request.POST, instance=programme)
    if form.is_valid():
        try:
            services.save_programme(programme, actor=request.user, **form.cleaned_data)
        except (ValidationError, ServiceError) as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Loyalty programme saved."))
            return redirect("marketing:loyalty")
    return _settings_page(request, programme_form=form)


def _add_setting(request: HttpRequest, form: Form, name: str, save: Any) -> HttpResponse:
    require_loyalty(request.user, "change")
    programme = services.active_programme()
    if programme is None:
        raise Http404
    if form.is_valid():
        try:
            save(programme, actor=request.user, **form.cleaned_data)
        except (ValidationError, ServiceError) as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("marketing:loyalty")
    return _settings_page(request, **{name: form})


@login_required
@require_POST
def tier_add(request: HttpRequest) -> HttpResponse:
    return _add_setting(request, TierForm(request.POST), "tier_form", services.add_tier)


@login_required
@require_POST
def rule_set(request: HttpRequest) -> HttpResponse:
    return _add_setting(request, RuleForm(request.POST), "rule_form", services.set_rule)


@login_required
@require_POST
def reward_add(request: HttpRequest) -> HttpResponse:
    return _add_setting(request, RewardForm(request.POST), "reward_form", services.add_reward)


@login_required
@require_POST
def setting_remove(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    require_loyalty(request.user, "change")
    model = SETTINGS.get(kind)
    programme = services.active_programme()
    if model is None or programme is None:
        raise Http404
    setting = model._default_manager.filter(pk=pk, programme=programme).first()
    if setting is None:
        raise Http404
    services.remove_setting(setting, actor=request.user)
    messages.success(request, _("Removed."))
    return redirect("marketing:loyalty")


# --- a customer's points (the 360 card) ----------------------------------------------------


def _customer_card(
    request: HttpRequest, customer: Customer, *, status: int = 200, **forms: Form
) -> HttpResponse:
    points = selectors.customer_points(customer)
    context: dict[str, Any] = {"customer": customer, "points": points}
    if points is not None:
        context.update(
            entries=list(selectors.statement(customer)[: selectors.STATEMENT_LENGTH]),
            may_adjust=can(request.user, OBJECT_TYPE, "change"),
            may_redeem=_may_change_customer(request.user, customer),
            adjust_form=forms.get("adjust_form") or AdjustForm(),
            redeem_form=forms.get("redeem_form") or RedeemForm(programme=points.programme),
        )
    return render(
        request, "marketing/loyalty/partials/customer_points.html", context, status=status
    )


def _may_change_customer(user: Any, customer: Customer) -> bool:
    try:
        get_customer_for(user, customer.pk, "change")
    except Http404:
        return False
    return True


@login_required
@require_GET
def customer_points(request: HttpRequest, customer_id: int) -> HttpResponse:
    return _customer_card(request, get_customer_for(request.user, customer_id))


@login_required
@require_POST
def customer_adjust(request: HttpRequest, customer_id: int) -> HttpResponse:
    require_loyalty(request.user, "change")
    customer = get_customer_for(request.user, customer_id)
    form = AdjustForm(request.POST)
    if form.is_valid():
        try:
            services.adjust_points(
                customer,
                form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ServiceError as exc:
            add_form_errors(form, exc)
        else:
            return _customer_card(request, customer)
    return _customer_card(request, customer, status=400, adjust_form=form)


@login_required
@require_POST
def customer_redeem(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for(request.user, customer_id, "change")
    programme = services.active_programme()
    if programme is None:
        raise Http404
    form = RedeemForm(request.POST, programme=programme)
    if form.is_valid():
        number = form.cleaned_data["order"].strip()
        order = live_orders().filter(customer=customer, number=number).first() if number else None
        try:
            if number and order is None:
                raise ServiceError(_("This customer has no order with this number."), field="order")
            services.redeem_reward(
                customer, form.cleaned_data["reward"].pk, actor=request.user, order=order
            )
        except ServiceError as exc:
            add_form_errors(form, exc)
        else:
            return _customer_card(request, customer)
    return _customer_card(request, customer, status=400, redeem_form=form)


# --- the portal ------------------------------------------------------------------------------


@portal_login_required
@require_http_methods(["GET"])
def portal_points(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    points = selectors.customer_points(customer)
    page = Paginator(selectors.statement(customer), PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {"points": points, "page": page}
    if points is not None:
        context["rewards"] = list(points.programme.rewards.filter(is_active=True))
        context["tiers"] = list(points.programme.tiers.all())
    return render(request, "marketing/loyalty/portal_points.html", context)
