"""The technician's installable offline page: the page, its web app manifest and service
worker (served under /service/orders/mobile/ so the worker's scope covers the page), the
orders the phone caches, and the sync endpoint for changes queued while offline."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from peyvand.service.choices import ServiceOrderStatus
from peyvand.service.models import ServiceOrder
from peyvand.service.orders import selectors, services
from peyvand.service.orders.views import require_orders

MAX_CHANGES = 200
# Bumped when the page's assets change, so phones drop the old cache.
CACHE_NAME = "peyvand-field-v1"


def _strings() -> dict[str, str]:
    """What the page's script says, in the reader's language."""
    return {
        "online": _("Online"),
        "offline": _("Offline: changes are kept on this phone"),
        "pending": _("Changes waiting to sync: %(count)s"),
        "synced": _("Everything is synced."),
        "empty": _("No service orders are scheduled for you."),
        "customer": _("Customer"),
        "visit": _("Visit"),
        "status": _("Status"),
        "cost": _("Cost"),
        "materials": _("Materials and parts"),
        "time": _("Time spent"),
        "minutes": _("Minutes"),
        "note": _("Note"),
        "description": _("Description"),
        "quantity": _("Quantity"),
        "unit_cost": _("Unit cost"),
        "record_time": _("Record time"),
        "add_material": _("Add material"),
        "work_notes": _("Work notes"),
        "save_notes": _("Save notes"),
        "start": _("Start work"),
        "close": _("Close the order (work done)"),
        "signed_by": _("Name of the person signing"),
        "sign_off": _("Sign off"),
        "conflict_title": _("Changed in the office meanwhile: %(title)s"),
        "conflict_help": _("Nothing of yours was applied. Choose which version to keep."),
        "field": _("What"),
        "office": _("Office"),
        "theirs": _("Yours"),
        "keep_mine": _("Keep mine"),
        "use_office": _("Use the office's"),
        "rejected": _("Not accepted: %(errors)s"),
        "discard": _("Discard my changes"),
        "bad_minutes": _("Enter between 1 and 1,440 minutes."),
        "bad_quantity": _("Enter a quantity above zero."),
        "bad_description": _("Say what was used."),
        "bad_name": _("Give the name of the person signing."),
        "queued": _("Saved on this phone."),
        "work_notes_field": _("Work notes"),
        "status_field": _("Status"),
        "time_field": _("Time spent"),
        "materials_field": _("Materials and parts"),
        "signoff_field": _("Customer sign-off"),
        **{f"status_{value}": str(label) for value, label in ServiceOrderStatus.choices},
    }


@login_required
@require_GET
def mobile_page(request: HttpRequest) -> HttpResponse:
    require_orders(request.user)
    return render(request, "service/orders/mobile/page.html", {"field_strings": _strings()})


@require_GET
def mobile_manifest(request: HttpRequest) -> JsonResponse:
    start = reverse("service:order_mobile")
    rtl = (get_language() or "").startswith("fa")
    return JsonResponse(
        {
            "name": _("Peyvand field service"),
            "short_name": _("Field app"),
            "lang": get_language(),
            "dir": "rtl" if rtl else "ltr",
            "start_url": start,
            "scope": start,
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#1f5f8b",
            "icons": [
                {"src": static("peyvand/img/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}
            ],
        },
        content_type="application/manifest+json",
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def mobile_worker(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "service/orders/mobile/sw.js",
        {"cache_name": CACHE_NAME},
        content_type="text/javascript; charset=utf-8",
    )
    # A stale worker would keep serving old code; the browser must always ask.
    response["Cache-Control"] = "no-cache"
    return response


@login_required
@require_GET
def mobile_orders(request: HttpRequest) -> JsonResponse:
    require_orders(request.user)
    orders = selectors.mobile_orders(request.user)
    return JsonResponse({"orders": [selectors.order_state(order) for order in orders]})


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"result": "rejected", "errors": [message]}, status=400)


@login_required
@require_POST
def mobile_sync(request: HttpRequest) -> JsonResponse:
    """One order's queued changes: {order, base_version, batch_id, changes: [...]}. Answers
    applied (with the order as it is now), conflict (nothing applied; each change beside
    the office's value) or rejected (nothing applied; why)."""
    require_orders(request.user, "change")
    try:
        body: Any = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _bad(_("The request is not valid JSON."))
    if not isinstance(body, dict):
        return _bad(_("The request is not valid JSON."))
    changes, version = body.get("changes"), body.get("base_version")
    if (
        not isinstance(changes, list)
        or not changes
        or len(changes) > MAX_CHANGES
        or not all(isinstance(c, dict) for c in changes)
        or not isinstance(version, int)
    ):
        return _bad(_("Send the order's version and a list of changes."))
    # Only the technician's own orders, whatever else their role lets them see.
    order_id = body.get("order")
    order = (
        selectors.orders_visible_to(request.user, "change")
        .filter(technician_id=request.user.pk, pk=order_id if isinstance(order_id, int) else 0)
        .first()
    )
    if order is None:
        return JsonResponse({"result": "missing", "errors": [_("No such order.")]}, status=404)
    outcome = services.apply_offline_changes(
        order,
        actor=request.user,
        base_version=version,
        batch_id=str(body.get("batch_id", "")),
        changes=changes,
    )
    fresh = ServiceOrder.objects.select_related("customer").get(pk=order.pk)
    outcome["order"] = selectors.order_state(fresh)
    return JsonResponse(outcome, status=409 if outcome["result"] == "conflict" else 200)
