"""Staff screens of tracking: sites with their embed snippet, a site's traffic (sessions
per day, people and bots, recent events), a test page that runs the snippet, and the
website-activity card of the customer 360 page."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from peyvand.core.charts import Series, bar_chart
from peyvand.core.problems import ServiceError
from peyvand.core.templatetags.peyvand import jdate
from peyvand.customers.access import get_customer_for
from peyvand.customers.models import Customer
from peyvand.tracking.access import get_site_for, require_tracking
from peyvand.tracking.choices import MessageEventKind
from peyvand.tracking.forms import SiteForm
from peyvand.tracking.links import parse_click_token, parse_open_token
from peyvand.tracking.models import TrackedSite
from peyvand.tracking.selectors import (
    campaign_engagement,
    link_destination,
    recent_activity,
    recent_events,
    sessions_per_day,
    sites_with_counts,
    traffic_counts,
)
from peyvand.tracking.services import (
    VISITOR_COOKIE,
    record_message_event,
    save_site,
    stitch_click,
)

EVENTS_PAGE_SIZE = 50


def embed_snippet(request: HttpRequest, site: TrackedSite) -> str:
    return render_to_string(
        "tracking/partials/snippet.html",
        {
            "site": site,
            "script": request.build_absolute_uri(static("tracking/peyvand.js")),
            "endpoint": request.build_absolute_uri(
                reverse("api:collect", kwargs={"key": site.key})
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def site_list(request: HttpRequest) -> HttpResponse:
    require_tracking(request.user)
    may_add = _may(request.user, "add")
    form = SiteForm(request.POST or None)
    if request.method == "POST":
        require_tracking(request.user, "add")
        if form.is_valid():
            try:
                site = save_site(
                    form.save(commit=False), origins=form.origin_list(), actor=request.user
                )
            except ServiceError as error:
                form.add_error("origins", error.message)
            else:
                messages.success(request, _("The site is ready: paste its snippet into its pages."))
                return redirect("tracking:site_detail", pk=site.pk)
    return render(
        request,
        "tracking/site_list.html",
        {"sites": list(sites_with_counts()), "form": form if may_add else None},
    )


def _may(user: Any, action: str) -> bool:
    from peyvand.access.scopes import can

    return can(user, TrackedSite.access_object_type, action)


@login_required
@require_http_methods(["GET", "POST"])
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_site_for(request.user, pk)
    form = SiteForm(request.POST or None, instance=site)
    if request.method == "POST":
        site = get_site_for(request.user, pk, "change")
        if form.is_valid():
            try:
                save_site(form.save(commit=False), origins=form.origin_list(), actor=request.user)
            except ServiceError as error:
                form.add_error("origins", error.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("tracking:site_detail", pk=site.pk)
    days = sessions_per_day(site)
    chart = bar_chart(
        _("Sessions per day"),
        [jdate(day, "%m/%d") for day, _n in days],
        [Series(_("Sessions"), [n for _day, n in days])],
        description=_("Visits by people over the last 30 days; bot traffic is not counted."),
    )
    page = Paginator(recent_events(site), EVENTS_PAGE_SIZE).get_page(request.GET.get("page"))
    # A customer's name shows only to those who may see the customer; others see the
    # anonymous id, as if the browser had never been identified.
    linked = {event.customer_id for event in page.object_list if event.customer_id}
    visible = set(
        Customer.objects.visible_to(request.user).filter(pk__in=linked).values_list("pk", flat=True)
    )
    return render(
        request,
        "tracking/site_detail.html",
        {
            "site": site,
            "form": form if _may(request.user, "change") else None,
            "snippet": embed_snippet(request, site),
            "chart": chart,
            "traffic": traffic_counts(site),
            "page": page,
            "visible_customers": visible,
        },
    )


@login_required
@require_GET
def site_test_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A page that runs the snippet against this site, as the site's own pages would: a
    page view on load, a product view for the product shown, add-to-cart on the button."""
    site = get_site_for(request.user, pk)
    return render(
        request,
        "tracking/test_page.html",
        {
            "site": site,
            "endpoint": reverse("api:collect", kwargs={"key": site.key}),
        },
    )


@login_required
@require_GET
def customer_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """The 360 page's website card: the same profile summary personalization reads."""
    customer = get_customer_for(request.user, pk)
    summary = recent_activity([customer.pk])[customer.pk]
    return render(
        request,
        "tracking/partials/customer_activity.html",
        {"customer": customer, "summary": summary},
    )


# --- message engagement -----------------------------------------------------------------

# The smallest transparent GIF (1x1, 42 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


@require_GET
def message_click(request: HttpRequest, token: str) -> HttpResponse:
    """A tracked link: record the click, join the visit to the customer, redirect to the
    stored destination. Anything that is not a link we made answers 404."""
    parsed = parse_click_token(token)
    destination = link_destination(*parsed) if parsed else None
    if parsed is None or destination is None:
        raise Http404
    event = record_message_event(
        parsed[0],
        MessageEventKind.CLICK,
        user_agent=request.headers.get("user-agent", ""),
        link_position=parsed[1],
    )
    if event is not None and not event.is_bot:
        destination = stitch_click(
            destination, event.customer_id, anonymous_id=request.COOKIES.get(VISITOR_COOKIE, "")
        )
    response = HttpResponseRedirect(destination)
    add_never_cache_headers(response)
    return response


@require_GET
def message_open(request: HttpRequest, token: str) -> HttpResponse:
    """The open pixel: record the open, answer a 1x1 GIF no cache may keep (every open
    reaches us)."""
    message_id = parse_open_token(token)
    if message_id is None:
        raise Http404
    record_message_event(
        message_id, MessageEventKind.OPEN, user_agent=request.headers.get("user-agent", "")
    )
    response = HttpResponse(PIXEL, content_type="image/gif")
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def engagement_report(request: HttpRequest) -> HttpResponse:
    """Sent, delivered, opened, clicked and converted per campaign, with revenue."""
    require_tracking(request.user)
    campaigns = campaign_engagement()
    chart = bar_chart(
        _("Message engagement by campaign"),
        [c.key for c in campaigns],
        [
            Series(_("Sent"), [c.sent for c in campaigns]),
            Series(_("Delivered"), [c.delivered for c in campaigns]),
            Series(_("Opened"), [c.opened for c in campaigns]),
            Series(_("Clicked"), [c.clicked for c in campaigns]),
            Series(_("Converted"), [c.converted for c in campaigns]),
        ],
        description=_(
            "Messages per campaign at each step; opens and clicks by bots are not counted."
        ),
    )
    return render(request, "tracking/engagement.html", {"campaigns": campaigns, "chart": chart})
