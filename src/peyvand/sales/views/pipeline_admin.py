"""Managing pipelines, their stages and the competitor and won/lost reason lists (managers):
parse the forms, call the services."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.sales.forms import (
    BaseStageFormSet,
    CloseReasonForm,
    CompetitorForm,
    PipelineForm,
    StageFormSet,
)
from peyvand.sales.models import CloseReason, Competitor, Pipeline
from peyvand.sales.pipelines import (
    StageInput,
    save_close_reason,
    save_competitor,
    save_pipeline,
)
from peyvand.sales.views.pipeline import _apply_validation_error, _require


@login_required
@require_GET
def pipeline_admin_list(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.SETTINGS, "change")
    pipelines = Pipeline.objects.prefetch_related("stages").order_by("-is_default", "name", "pk")
    return render(request, "sales/pipeline_admin_list.html", {"pipelines": pipelines})


def _apply_errors(form: PipelineForm, rows: list[forms.Form], exc: ValidationError) -> None:
    for key, problems in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "stages" and len(parts) == 3:
            row_form = rows[int(parts[1])]
            field = parts[2] if parts[2] in row_form.fields else None
            if parts[2] == "delete":
                field = "DELETE"
            row_form.add_error(field, problems)
        elif key == "stages":
            form.add_error(None, problems)
        else:
            form.add_error(key if key in form.fields else None, problems)


@login_required
@require_http_methods(["GET", "POST"])
def pipeline_admin_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require(request.user, ObjectType.SETTINGS, "change")
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk is not None else None
    if pipeline is not None:
        initial = {
            "name": pipeline.name,
            "name_fa": pipeline.name_fa,
            "is_default": pipeline.is_default,
            "is_active": pipeline.is_active,
        }
        stage_initial = [
            {
                "pk": s.pk,
                "name": s.name,
                "name_fa": s.name_fa,
                "win_probability": s.win_probability,
                "is_won": s.is_won,
                "is_lost": s.is_lost,
                "ORDER": index + 1,
            }
            for index, s in enumerate(pipeline.stages.order_by("position", "pk"))
        ]
    else:
        initial, stage_initial = {"is_active": True}, []
    form = PipelineForm(request.POST or None, initial=initial)
    formset = cast(
        BaseStageFormSet,
        StageFormSet(request.POST or None, initial=stage_initial, prefix="stages"),
    )
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rows = formset.rows()
        try:
            saved = save_pipeline(
                pipeline,
                actor=request.user,
                stages=[
                    StageInput(
                        pk=row.cleaned_data.get("pk"),
                        name=row.cleaned_data.get("name") or "",
                        name_fa=row.cleaned_data.get("name_fa") or "",
                        win_probability=row.cleaned_data.get("win_probability") or 0,
                        is_won=row.cleaned_data.get("is_won", False),
                        is_lost=row.cleaned_data.get("is_lost", False),
                        delete=row.cleaned_data.get("DELETE", False),
                    )
                    for row in rows
                ],
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _apply_errors(form, rows, exc)
        else:
            messages.success(request, _("Pipeline %(pipeline)s saved.") % {"pipeline": saved})
            return redirect("sales:pipeline_admin_edit", pk=saved.pk)
    return render(
        request,
        "sales/pipeline_admin_form.html",
        {"form": form, "formset": formset, "pipeline": pipeline},
        status=400 if form.is_bound else 200,
    )


def _lists(
    request: HttpRequest, *, failed: tuple[str, int | None, forms.Form] | None = None
) -> HttpResponse:
    """The competitor and won/lost reason lists, each row an inline edit form; `failed` is
    the (list, pk, bound form) that did not validate, shown with its errors."""

    def form_for(kind: str, obj: Competitor | CloseReason | None) -> forms.Form:
        pk = obj.pk if obj is not None else None
        if failed is not None and failed[0] == kind and failed[1] == pk:
            return failed[2]
        prefix = f"{kind}-{pk or 'new'}"
        if kind == "competitor":
            initial = (
                {
                    "name": obj.name,
                    "name_fa": obj.name_fa,
                    "website": obj.website,
                    "is_active": obj.is_active,
                }
                if isinstance(obj, Competitor)
                else {"is_active": True}
            )
            return CompetitorForm(initial=initial, prefix=prefix)
        initial = (
            {
                "outcome": obj.outcome,
                "name": obj.name,
                "name_fa": obj.name_fa,
                "is_active": obj.is_active,
            }
            if isinstance(obj, CloseReason)
            else {"is_active": True}
        )
        return CloseReasonForm(initial=initial, prefix=prefix)

    competitors = [(c, form_for("competitor", c)) for c in Competitor.objects.all()]
    reasons = [(r, form_for("reason", r)) for r in CloseReason.objects.all()]
    return render(
        request,
        "sales/sales_lists.html",
        {
            "competitors": competitors,
            "reasons": reasons,
            "new_competitor": form_for("competitor", None),
            "new_reason": form_for("reason", None),
        },
        status=400 if failed is not None else 200,
    )


@login_required
@require_GET
def sales_lists(request: HttpRequest) -> HttpResponse:
    _require(request.user, ObjectType.SETTINGS, "change")
    return _lists(request)


@login_required
@require_POST
def sales_list_save(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    _require(request.user, ObjectType.SETTINGS, "change")
    prefix = f"{kind}-{pk or 'new'}"
    form: forms.Form
    if kind == "competitor":
        competitor = get_object_or_404(Competitor, pk=pk) if pk is not None else None
        form = CompetitorForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                save_competitor(competitor, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
    elif kind == "reason":
        reason = get_object_or_404(CloseReason, pk=pk) if pk is not None else None
        form = CloseReasonForm(request.POST, prefix=prefix)
        if form.is_valid():
            try:
                save_close_reason(reason, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _apply_validation_error(form, exc)
    else:
        raise Http404
    if form.errors:
        return _lists(request, failed=(kind, pk, form))
    messages.success(request, _("Saved."))
    return redirect("sales:sales_lists")
