"""Staff screens of campaigns: the list, create/edit, variants per language, preview as a
customer, test send, and the detail page with live progress and per-variant counts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.core.charts import Series, bar_chart
from peyvand.core.problems import add_form_errors
from peyvand.core.templatetags.peyvand import digits
from peyvand.customers.models import Customer
from peyvand.marketing.access import get_campaign_for, require_campaigns
from peyvand.marketing.campaigns import selectors, services
from peyvand.marketing.campaigns.forms import CampaignForm, PreviewForm, TestSendForm, VariantForm
from peyvand.marketing.models import Campaign, CampaignVariant

PAGE_SIZE = 25


def _count(value: Any) -> str:
    return digits(f"{float(value):,.0f}")


@login_required
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    require_campaigns(request.user)
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.campaign_list(q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "marketing/campaigns/list.html", {"page": page, "q": q})


def _campaign_form(request: HttpRequest, campaign: Campaign | None) -> HttpResponse:
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_campaign(campaign, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("marketing:campaign_detail", saved.pk)
    return render(request, "marketing/campaigns/form.html", {"form": form, "campaign": campaign})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    require_campaigns(request.user, "add")
    return _campaign_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_form(request, get_campaign_for(request.user, pk, "change"))


def _variant_chart(stats: list[dict[str, Any]]) -> Any:
    labels = [row["variant"].name for row in stats]
    return bar_chart(
        _("Responses per variant"),
        labels,
        [
            Series(_("Sent"), [row["sent"] for row in stats]),
            Series(_("Clicks"), [row["clicks"] for row in stats]),
            Series(_("Conversions"), [row["conversions"] for row in stats]),
        ],
        description=_("Messages sent, clicked and converted for each variant."),
        value_text=_count,
    )


@login_required
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    stats = selectors.variant_stats(campaign)
    return render(
        request,
        "marketing/campaigns/detail.html",
        {
            "campaign": campaign,
            "stats": stats,
            "chart": _variant_chart(stats) if stats else None,
            "progress": selectors.progress(campaign),
            "editable": campaign.status in services.EDITABLE,
        },
    )


@login_required
@require_GET
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk)
    return render(
        request,
        "marketing/campaigns/partials/progress.html",
        {"campaign": campaign, "progress": selectors.progress(campaign)},
    )


@login_required
@require_POST
def campaign_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk, "change")
    try:
        services.schedule_campaign(campaign.pk, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The campaign is on its way."))
    return redirect("marketing:campaign_detail", campaign.pk)


@login_required
@require_POST
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk, "change")
    try:
        services.pause_campaign(campaign.pk, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The campaign is paused; queued messages wait."))
    return redirect("marketing:campaign_detail", campaign.pk)


def _variant_of(campaign: Campaign, variant_id: int) -> CampaignVariant:
    return get_object_or_404(CampaignVariant, pk=variant_id, campaign=campaign)


@login_required
@require_http_methods(["GET", "POST"])
def variant_form(request: HttpRequest, pk: int, variant_id: int | None = None) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk, "change")
    variant = _variant_of(campaign, variant_id) if variant_id else None
    form = VariantForm(request.POST or None, instance=variant)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_variant(campaign, variant, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            messages.success(request, _("Variant saved."))
            return redirect("marketing:campaign_detail", campaign.pk)
    return render(
        request,
        "marketing/campaigns/variant_form.html",
        {"form": form, "campaign": campaign, "variant": variant},
    )


@login_required
@require_GET
def variant_preview(request: HttpRequest, pk: int, variant_id: int) -> HttpResponse:
    """The variant as one customer (one the user may see) would get it."""
    campaign = get_campaign_for(request.user, pk)
    variant = _variant_of(campaign, variant_id)
    form = PreviewForm(request.GET)
    rendered = language = None
    if form.is_valid():
        customer = (
            Customer.objects.visible_to(request.user)
            .alive()
            .filter(pk=form.cleaned_data["customer"])
            .first()
        )
        if customer is None:
            form.add_error("customer", _("No customer you may see has this number."))
        else:
            language, rendered = services.preview(
                variant, customer, language=form.cleaned_data["language"]
            )
    return render(
        request,
        "marketing/campaigns/partials/preview.html",
        {"form": form, "rendered": rendered, "language": language, "variant": variant},
    )


@login_required
@require_POST
def variant_test_send(request: HttpRequest, pk: int, variant_id: int) -> HttpResponse:
    campaign = get_campaign_for(request.user, pk, "change")
    variant = _variant_of(campaign, variant_id)
    form = TestSendForm(request.POST)
    if form.is_valid():
        try:
            services.test_send(
                variant,
                to=form.cleaned_data["to"],
                language=form.cleaned_data["language"],
                actor=request.user,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Test sent to %(to)s.") % {"to": form.cleaned_data["to"]})
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect("marketing:campaign_detail", campaign.pk)
