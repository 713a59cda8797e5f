"""Consent pages: the public subscribe form and its confirmation, the preference centre
(by signed link, and in the portal), and the suppression list for staff."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.core.problems import add_form_errors
from peyvand.customers.choices import Channel
from peyvand.marketing.choices import SuppressionReason
from peyvand.marketing.consent import selectors, services
from peyvand.marketing.consent.access import require_suppressions
from peyvand.marketing.consent.forms import SubscribeForm, SuppressionForm, SuppressionImportForm
from peyvand.marketing.models import Suppression
from peyvand.portal.session import portal_login_required
from peyvand.portal.signin import RateLimited
from peyvand.portal.views.signin import wait_message

PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.subscribe(
                form.cleaned_data["email"],
                topics=form.cleaned_data["topics"],
                language=get_language() or "fa",
                client=request.META.get("REMOTE_ADDR", ""),
            )
        except ValidationError as exc:
            add_form_errors(form, exc)
        except RateLimited as exc:
            form.add_error(None, wait_message(exc.wait))
            status = 429
        else:
            return render(request, "marketing/consent/subscribe_sent.html")
    if form.errors and status == 200:
        status = 400
    return render(request, "marketing/consent/subscribe.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET only asks: mail scanners open links, and a prefetch must not subscribe anyone."""
    if request.method == "GET":
        return render(request, "marketing/consent/confirm.html", {"token": token})
    try:
        services.confirm_subscription(token)
    except ValidationError as exc:
        return render(
            request, "marketing/consent/link_error.html", {"errors": exc.messages}, status=400
        )
    return render(request, "marketing/consent/confirmed.html")


def _preferences(request: HttpRequest, customer: Any, template: str, **extra: Any) -> HttpResponse:
    if request.method == "POST":
        try:
            services.save_preferences(customer, selectors.choices_from_post(request.POST))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Your preferences were saved."))
            return redirect(request.get_full_path())
    context = {"customer": customer, "rows": selectors.preference_rows(customer), **extra}
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    try:
        customer = services.customer_for_preference_token(token)
    except ValidationError as exc:
        return render(
            request, "marketing/consent/link_error.html", {"errors": exc.messages}, status=400
        )
    return _preferences(request, customer, "marketing/consent/preferences.html")


@portal_login_required
@require_http_methods(["GET", "POST"])
def portal_preferences(request: HttpRequest) -> HttpResponse:
    customer = request.portal_customer  # type: ignore[attr-defined]
    return _preferences(request, customer, "marketing/consent/portal_preferences.html")


@login_required
@require_GET
def suppression_list(request: HttpRequest) -> HttpResponse:
    require_suppressions(request.user)
    q = request.GET.get("q", "").strip()[:100]
    channel = request.GET.get("channel", "")
    reason = request.GET.get("reason", "")
    channel = channel if channel in services.SUPPRESSION_CHANNELS else ""
    reason = reason if reason in SuppressionReason.values else ""
    rows = selectors.suppression_list(q, channel=channel, reason=reason)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "channel": channel,
        "reason": reason,
        "channels": [(Channel.EMAIL, Channel.EMAIL.label), (Channel.SMS, Channel.SMS.label)],
        "reasons": SuppressionReason.choices,
        "form": SuppressionForm(),
        "import_form": SuppressionImportForm(),
    }
    return render(request, "marketing/consent/suppression_list.html", context)


@login_required
@require_POST
def suppression_add(request: HttpRequest) -> HttpResponse:
    require_suppressions(request.user, "add")
    form = SuppressionForm(request.POST)
    if form.is_valid():
        try:
            row, created = services.add_suppression(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_form_errors(form, exc)
        else:
            if created:
                messages.success(
                    request, _("%(address)s is suppressed.") % {"address": row.address}
                )
            else:
                messages.info(
                    request, _("%(address)s was already suppressed.") % {"address": row.address}
                )
            return redirect("marketing:consent:suppression_list")
    context = {"form": form, "import_form": SuppressionImportForm()}
    return render(request, "marketing/consent/suppression_form.html", context, status=400)


@login_required
@require_POST
def suppression_remove(request: HttpRequest, pk: int) -> HttpResponse:
    require_suppressions(request.user, "delete")
    row = get_object_or_404(Suppression, pk=pk)
    services.remove_suppression(row, actor=request.user)
    messages.success(request, _("%(address)s is no longer suppressed.") % {"address": row.address})
    return redirect("marketing:consent:suppression_list")


@login_required
@require_POST
def suppression_import(request: HttpRequest) -> HttpResponse:
    require_suppressions(request.user, "add")
    import_form = SuppressionImportForm(request.POST, request.FILES)
    result = None
    if import_form.is_valid():
        try:
            result = services.import_suppressions(
                import_form.cleaned_data["file"].read(), actor=request.user
            )
        except ValidationError as exc:
            add_form_errors(import_form, exc)
        else:
            if not result.errors:
                messages.success(
                    request,
                    _("%(added)d addresses added, %(already)d were already suppressed.")
                    % {"added": result.added, "already": result.already},
                )
                return redirect("marketing:consent:suppression_list")
    context = {"form": SuppressionForm(), "import_form": import_form, "result": result}
    return render(request, "marketing/consent/suppression_form.html", context, status=400)
