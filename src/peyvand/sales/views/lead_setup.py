"""Staff screens that set up lead capture: web-to-lead forms (with the embed snippet),
assignment rules, scoring rules and the learned score's model, lead sources with their
first-response hours. Managers (settings) only; everyone else gets 404."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can
from peyvand.sales.assignment import save_assignment_rule
from peyvand.sales.lead_forms import (
    AssignmentRuleForm,
    LeadSourceForm,
    ScoringRuleForm,
    WebFormForm,
)
from peyvand.sales.lead_sources import lead_sources, save_lead_source
from peyvand.sales.models import (
    AssignmentRule,
    LeadScoringModel,
    LeadSource,
    ScoringRule,
    WebForm,
)
from peyvand.sales.scoring import MIN_PER_CLASS, history, save_scoring_rule
from peyvand.sales.tasks import retrain_lead_scoring
from peyvand.sales.webforms import HONEYPOT, save_web_form, specs_of


def may_set_up_leads(user: Any) -> bool:
    return can(user, ObjectType.SETTINGS, "change")


def _require_setup(request: HttpRequest) -> None:
    if not may_set_up_leads(request.user):
        raise Http404


def _apply(form: Any, error: ValidationError) -> None:
    for name, problems in error.message_dict.items():
        form.add_error(name if name in form.fields else None, problems)


def embed_snippet(request: HttpRequest, web_form: WebForm) -> str:
    """The HTML a site owner pastes: a plain form posting to the public endpoint, in the
    form's language, with the honeypot and the optional UTM/referrer script."""
    with override(web_form.language):
        return render_to_string(
            "sales/partials/webform_snippet.html",
            {
                "web_form": web_form,
                "specs": specs_of(web_form),
                "action": request.build_absolute_uri(
                    reverse("api:submit_form", kwargs={"key": web_form.key})
                ),
                "script": request.build_absolute_uri(static("peyvand/js/webform.js")),
                "honeypot": HONEYPOT,
                "rtl": web_form.language == "fa",
            },
        ).strip()


@login_required
@require_GET
def web_form_list(request: HttpRequest) -> HttpResponse:
    _require_setup(request)
    forms_ = WebForm.objects.select_related("source", "department").annotate(
        lead_count=Count("leads")
    )
    return render(request, "sales/webform_list.html", {"web_forms": forms_})


@login_required
@require_http_methods(["GET", "POST"])
def web_form_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_setup(request)
    instance = get_object_or_404(WebForm, pk=pk) if pk is not None else WebForm()
    form = WebFormForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            saved = save_web_form(form.instance, form.specs(), actor=request.user)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Web form %(form)s saved.") % {"form": saved})
            return redirect("sales:web_form_edit", pk=saved.pk)
    return render(
        request,
        "sales/webform_form.html",
        {
            "form": form,
            "web_form": instance if instance.pk else None,
            "snippet": embed_snippet(request, instance) if instance.pk else "",
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_rules(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The ordered rules, with a form to add one or change the one named by `pk`."""
    _require_setup(request)
    instance = get_object_or_404(AssignmentRule, pk=pk) if pk is not None else AssignmentRule()
    form = AssignmentRuleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            save_assignment_rule(form.instance, actor=request.user)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Assignment rule saved."))
            return redirect("sales:assignment_rules")
    rules = AssignmentRule.objects.select_related(
        "user", "department", "match_product", "match_source"
    )
    return render(
        request,
        "sales/assignment_rules.html",
        {"rules": rules, "form": form, "editing": instance if instance.pk else None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def scoring(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Scoring rules (add/change) and the learned model: its versions, AUC, retraining."""
    _require_setup(request)
    instance = get_object_or_404(ScoringRule, pk=pk) if pk is not None else ScoringRule()
    form = ScoringRuleForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        try:
            save_scoring_rule(form.instance, actor=request.user)
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Scoring rule saved."))
            return redirect("sales:scoring")
    return render(
        request,
        "sales/scoring.html",
        {
            "rules": ScoringRule.objects.all(),
            "form": form,
            "editing": instance if instance.pk else None,
            "models": LeadScoringModel.objects.defer("model")[:10],
            "history": history(),
            "min_per_class": MIN_PER_CLASS,
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def scoring_retrain(request: HttpRequest) -> HttpResponse:
    _require_setup(request)
    if not history().enough:
        messages.error(
            request, _("Too little history to learn from; the rule score alone is used.")
        )
    else:
        retrain_lead_scoring.enqueue(force=True)
        messages.success(
            request,
            _("Retraining started; the new version appears below when it is done."),
        )
    return redirect("sales:scoring")


@login_required
@require_http_methods(["GET", "POST"])
def lead_source_list(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The sources with their first-response hours, and a form to add one or change the
    one named by `pk`."""
    _require_setup(request)
    source = get_object_or_404(LeadSource, pk=pk) if pk is not None else None
    form = LeadSourceForm(request.POST or None, source=source)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = save_lead_source(
                source,
                actor=request.user,
                name=data["name"],
                name_fa=data["name_fa"],
                code=data["code"] or "",
                is_active=data["is_active"],
                response_hours=data["response_hours"],
            )
        except ValidationError as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("Lead source %(source)s saved.") % {"source": saved})
            return redirect("sales:lead_sources")
    return render(
        request,
        "sales/lead_sources.html",
        {
            "sources": lead_sources(),
            "form": form,
            "editing": source,
            "default_hours": settings.PEYVAND_LEAD_RESPONSE_HOURS,
        },
        status=400 if form.is_bound else 200,
    )
