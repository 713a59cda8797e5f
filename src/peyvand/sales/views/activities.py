"""Plan and log calls, meetings and emails from the lead and opportunity pages (HTMX, with
full-page fallbacks), and the user's meeting calendar: download and secret feed."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import restrict
from peyvand.catalog.forms import apply_service_error
from peyvand.core.problems import ServiceError
from peyvand.sales.access import get_lead_for, get_opportunity_for
from peyvand.sales.activities import (
    calendar_feed_user,
    complete_activity,
    issue_calendar_feed,
    log_activity,
    meetings_for,
    plan_activity,
    revoke_calendar_feed,
    visible_activities,
)
from peyvand.sales.calendar import meetings_calendar
from peyvand.sales.forms import ActivityForm, CompleteActivityForm
from peyvand.sales.models import CalendarFeed, Lead, Opportunity
from peyvand.sales.views.pipeline import _apply_validation_error

ABOUT = ("lead", "opportunity")


def _subject(user: Any, about: str, pk: int, action: str = "view") -> Lead | Opportunity:
    if about not in ABOUT:
        raise Http404
    if about == "lead":
        return get_lead_for(user, pk, action)
    return get_opportunity_for(user, pk, action)


def _page_url(subject: Lead | Opportunity) -> str:
    name = "sales:lead_detail" if isinstance(subject, Lead) else "sales:opportunity_detail"
    return reverse(name, args=[subject.pk]) + "#activities"


def panel_context(user: Any, subject: Lead | Opportunity) -> dict[str, Any]:
    """What the activity panel of a lead or opportunity page shows."""
    about = "lead" if isinstance(subject, Lead) else "opportunity"
    activities = (
        visible_activities(user)
        .filter(**{about: subject})
        .select_related("owner")
        .prefetch_related("attendees")
        .order_by("-starts_at", "-pk")
    )
    model = Lead if about == "lead" else Opportunity
    can_change = restrict(model.objects.all(), user, "change").filter(pk=subject.pk).exists()
    return {"activities": activities, "about": about, "subject": subject, "can_change": can_change}


@login_required
@require_GET
def activity_panel(request: HttpRequest, about: str, pk: int) -> HttpResponse:
    subject = _subject(request.user, about, pk)
    return render(request, "sales/partials/activities.html", panel_context(request.user, subject))


@login_required
@require_http_methods(["GET", "POST"])
def activity_form(request: HttpRequest, about: str, pk: int, mode: str) -> HttpResponse:
    """`mode` plan: a task on the desk; log: it happened, straight to the timeline."""
    subject = _subject(request.user, about, pk, "change")
    logging = mode == "log"
    form = ActivityForm(request.POST or None, logging=logging)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = dict(form.cleaned_data)
        data["attendees"] = list(data["attendees"])
        data[about] = subject
        service = log_activity if logging else plan_activity
        try:
            activity = service(actor=request.user, **data)
        except ValidationError as exc:
            _apply_validation_error(form, exc)
        except ServiceError as exc:
            apply_service_error(form, exc)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                context = panel_context(request.user, subject) | {"saved": activity}
                return render(request, "sales/partials/activities.html", context)
            messages.success(
                request,
                _("Activity logged.") if logging else _("Activity planned; it is on your desk."),
            )
            return redirect(_page_url(subject))
    context = {"form": form, "subject": subject, "about": about, "mode": mode}
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "sales/partials/activity_form.html", context)
        if form.is_bound:
            # htmx swaps no 4xx answer: the form with its errors goes back into its slot
            # (the successful post replaces the whole panel instead).
            response["HX-Retarget"] = "#activity-form-slot"
            response["HX-Reswap"] = "innerHTML"
        return response
    return render(
        request, "sales/activity_form.html", context, status=400 if form.is_bound else 200
    )


@login_required
@require_POST
def activity_complete(request: HttpRequest, pk: int) -> HttpResponse:
    activity = visible_activities(request.user).filter(pk=pk).first()
    if activity is None:
        raise Http404
    subject = activity.lead or activity.opportunity
    assert subject is not None
    # Completing changes the lead or deal's record: the same right as changing it.
    _subject(request.user, "lead" if activity.lead_id else "opportunity", subject.pk, "change")
    form = CompleteActivityForm(request.POST)
    if form.is_valid():
        try:
            complete_activity(activity, actor=request.user, notes=form.cleaned_data["notes"])
        except ValidationError as exc:
            messages.error(request, " ".join(m for ms in exc.message_dict.values() for m in ms))
        except ServiceError as exc:
            messages.error(request, exc.message)
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request, "sales/partials/activities.html", panel_context(request.user, subject)
        )
    return redirect(_page_url(subject))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The user's meeting calendar: download it, or get, renew or revoke the feed URL."""
    feed_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            revoke_calendar_feed(request.user)  # type: ignore[arg-type]
            messages.success(request, _("The calendar feed is revoked; its URL no longer works."))
            return redirect("sales:calendar")
        raw = issue_calendar_feed(request.user)  # type: ignore[arg-type]
        feed_url = request.build_absolute_uri(reverse("sales:calendar_feed", args=[raw]))
    feed = CalendarFeed.objects.filter(user=request.user.pk).first()
    return render(
        request,
        "sales/calendar.html",
        {
            "feed": feed,
            "feed_url": feed_url,
            "meetings": meetings_for(request.user).filter(status="planned")[:20],
        },
    )


def _ics(user: Any, *, download: bool) -> HttpResponse:
    body = meetings_calendar(
        meetings_for(user), name=_("Meetings of %(user)s") % {"user": user.get_full_name() or user}
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    if download:
        response["Content-Disposition"] = 'attachment; filename="meetings.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def calendar_download(request: HttpRequest) -> HttpResponse:
    return _ics(request.user, download=True)


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The subscription URL: the token is the only credential, so an unknown or revoked
    one answers 404 like any missing page."""
    user = calendar_feed_user(token)
    if user is None:
        raise Http404
    return _ics(user, download=False)
