"""Managers' screen for webhooks: subscriptions, recent deliveries, the dead-letter list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.access.scopes import is_manager
from peyvand.channels.webhooks.forms import DeliveryFilterForm, WebhookEndpointForm
from peyvand.channels.webhooks.models import WebhookDelivery, WebhookEndpoint
from peyvand.channels.webhooks.services import replay, save_endpoint, set_endpoint_active

PAGE_SIZE = 50


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = WebhookEndpointForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                save_endpoint(WebhookEndpoint(), actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Webhook saved."))
                return redirect("interactions:webhooks")
    filters = DeliveryFilterForm(request.GET or None)
    deliveries = WebhookDelivery.objects.select_related("endpoint")
    if filters.is_valid() and filters.cleaned_data["status"]:
        deliveries = deliveries.filter(status=filters.cleaned_data["status"])
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "interactions/webhooks.html",
        {
            "form": form,
            "filters": filters,
            "endpoints": WebhookEndpoint.objects.all(),
            "page": page,
        },
        status=status,
    )


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    set_endpoint_active(endpoint, not endpoint.is_active, actor=request.user)
    return redirect("interactions:webhooks")


@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    delivery = get_object_or_404(WebhookDelivery, pk=pk)
    try:
        replay(delivery, actor=request.user)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The delivery is being sent again."))
    return redirect(f"{reverse('interactions:webhooks')}?status=dead")
