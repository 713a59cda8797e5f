"""The service department's reports: missed SLA targets (with a CSV download) and the
service analytics page. Staff with ticket rights only, over the tickets they may see."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from peyvand.core.charts import Series, bar_chart, line_chart, stacked_bar_chart
from peyvand.core.templatetags.peyvand import jdate, money
from peyvand.core.text import to_persian_digits
from peyvand.imports.export import csv_stream, neutralize
from peyvand.service.access import require_tickets
from peyvand.service.forms import BreachReportForm, ServiceReportForm
from peyvand.service.models import Ticket
from peyvand.service.reports import selectors
from peyvand.service.reports.selectors import Metric, Period
from peyvand.service.tickets.selectors import tickets_visible_to


def _filtered(request: HttpRequest, form_class: type[ServiceReportForm]) -> tuple[Any, Any, Any]:
    """The form, its period (the last 30 days unless chosen) and the tickets it selects."""
    form = form_class(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    default = selectors.last_days(30)
    period = Period(data.get("date_from") or default.first, data.get("date_to") or default.last)
    if period.first > period.last:
        period = default
    tickets = tickets_visible_to(request.user)
    for name in ("queue", "assignee", "sla_policy"):
        if data.get(name):
            tickets = tickets.filter(**{name: data[name]})
    return form, period, tickets


def _target_name(target: str) -> str:
    return _("first response") if target == selectors.RESPONSE else _("resolution")


def metric_text(m: Metric, value: float | None) -> str:
    if value is None:
        return "—"
    if m.unit == "hours":
        return _("%(hours)s h") % {"hours": _local(number_format(round(value, 1), 1))}
    if m.unit == "percent":
        return f"{_local(number_format(round(value, 1), 1))}%"
    if m.unit == "score":
        return _local(number_format(round(value, 2), 2))
    if m.unit == "money":
        return money(value, settings.REPORTING_CURRENCY)
    return _local(number_format(int(value), 0))


def _local(text: str) -> str:
    return to_persian_digits(text) if (get_language() or "").startswith("fa") else text


@login_required
@require_GET
def breach_report(request: HttpRequest) -> HttpResponse:
    require_tickets(request.user)
    form, period, tickets = _filtered(request, BreachReportForm)
    by_day = selectors.breaches_by(tickets, period, "day")
    chart = stacked_bar_chart(
        _("Missed SLA targets per day"),
        [jdate(group.key, "%m/%d") for group in by_day],
        [
            Series(_("First response"), [group.response for group in by_day]),
            Series(_("Resolution"), [group.resolution for group in by_day]),
        ],
        description=_("How many first-response and resolution targets were missed each day."),
    )
    groups = [
        (_("Queue"), selectors.breaches_by(tickets, period, "queue")),
        (_("Agent"), selectors.breaches_by(tickets, period, "assignee")),
        (_("SLA policy"), selectors.breaches_by(tickets, period, "sla_policy")),
    ]
    query = request.GET.copy()
    return render(
        request,
        "service/reports/breaches.html",
        {
            "form": form,
            "period": period,
            "chart": chart,
            "total": sum(group.total for group in by_day),
            "groups": groups,
            "query": query.urlencode(),
        },
    )


def _breach_csv(tickets: QuerySet[Ticket], period: Period) -> Iterator[list[str]]:
    yield [
        _("Ticket"),
        _("Subject"),
        _("Customer"),
        _("Queue"),
        _("Agent"),
        _("SLA policy"),
        _("Target"),
        _("Missed at"),
    ]
    for row in selectors.breach_rows(tickets, period):
        ticket = row["ticket"]
        yield [
            neutralize(str(cell))
            for cell in (
                ticket.pk,
                ticket.subject,
                ticket.customer.display_name,
                str(ticket.queue),
                ticket.assignee.username if ticket.assignee else "",
                ticket.sla_policy.name if ticket.sla_policy else "",
                _target_name(row["target"]),
                row["due"].isoformat(),
            )
        ]


@login_required
@require_GET
def breach_export(request: HttpRequest) -> StreamingHttpResponse:
    require_tickets(request.user)
    _form, period, tickets = _filtered(request, BreachReportForm)
    response = StreamingHttpResponse(
        csv_stream(_breach_csv(tickets, period)), content_type="text/csv; charset=utf-8"
    )
    name = f"sla-breaches-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def service_analytics(request: HttpRequest) -> HttpResponse:
    require_tickets(request.user)
    form, period, tickets = _filtered(request, ServiceReportForm)
    backlog = selectors.backlog(tickets, period)
    categories = selectors.top_categories(tickets, period)
    backlog_chart = line_chart(
        _("Backlog"),
        [jdate(day, "%m/%d") for day, _n in backlog],
        [Series(_("Open tickets"), [n for _day, n in backlog])],
        description=_("Tickets open at the end of each day."),
    )
    category_chart = bar_chart(
        _("Top categories"),
        [name or _("No category") for name, _n in categories],
        [Series(_("Tickets opened"), [n for _name, n in categories])],
        description=_("The categories with the most tickets opened in the period."),
    )
    scores = selectors.csat_distribution(tickets, period)
    csat_chart = bar_chart(
        _("Satisfaction scores"),
        [_local(str(score)) for score, _n in scores],
        [Series(_("Answered surveys"), [n for _score, n in scores])],
        description=_("How many answered surveys gave each score, from 1 (poor) to 5 (great)."),
    )
    summary = [(m, metric_text(m, v)) for m, v in selectors.summary(tickets, period)]
    queues = [
        (name, [metric_text(m, v) for m, v in values])
        for name, values in selectors.per_queue(tickets, period)
    ]
    return render(
        request,
        "service/reports/analytics.html",
        {
            "form": form,
            "period": period,
            "summary": summary,
            "metrics": selectors.METRICS,
            "queues": queues,
            "backlog_chart": backlog_chart,
            "category_chart": category_chart,
            "csat_chart": csat_chart if any(n for _score, n in scores) else None,
            "has_tickets": any(n for _day, n in backlog) or bool(categories),
        },
    )
