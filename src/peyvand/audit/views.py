"""Views of the audit app: parse, authorise through access helpers, call services, render."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can, get_for, is_manager
from peyvand.audit import recycle, selectors
from peyvand.audit.forms import ChangeLogFilterForm, ForgetForm
from peyvand.audit.models import ChangeLog
from peyvand.customers.models import Customer

LOG_PAGE_SIZE = 50
BIN_PAGE_SIZE = 25
HISTORY_LIMIT = 100


def _require_audit_viewer(user: Any) -> None:
    # 404, not 403: the audit pages do not exist for people who may not read them.
    if not can(user, "audit", "view"):
        raise Http404


# --- recycle bin ---------------------------------------------------------------------------


@require_GET
@login_required
def recycle_bin(request: HttpRequest) -> HttpResponse:
    bin_models = recycle.bin_models_for(request.user)
    wanted = request.GET.get("type", "")
    selected = [m for m in bin_models if m._meta.label_lower == wanted] or bin_models
    items = selectors.DeletedItems([recycle.deleted_queryset(m, request.user) for m in selected])
    paginator: Paginator[selectors.RecycledItem] = Paginator(items, BIN_PAGE_SIZE)  # type: ignore[arg-type]
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "audit/recycle_bin.html",
        {
            "page": page,
            "types": [(m._meta.label_lower, m._meta.verbose_name_plural) for m in bin_models],
            "selected_type": wanted if len(selected) == 1 and wanted else "",
        },
    )


@require_POST
@login_required
def restore_item(request: HttpRequest, label: str, pk: int) -> HttpResponse:
    model = recycle.recyclable_model(label)
    if model is None:
        raise Http404
    obj = get_object_or_404(recycle.deleted_queryset(model, request.user), pk=pk)
    recycle.restore(obj, actor=request.user)
    messages.success(
        request,
        _("%(type)s “%(name)s” was restored.") % {"type": model._meta.verbose_name, "name": obj},
    )
    url = reverse("audit:recycle_bin")
    kind = request.POST.get("type", "")
    if recycle.recyclable_model(kind) is not None:
        url = f"{url}?{urlencode({'type': kind})}"
    return redirect(url)


# --- change log ----------------------------------------------------------------------------


@require_GET
@login_required
def change_log(request: HttpRequest) -> HttpResponse:
    _require_audit_viewer(request.user)
    form = ChangeLogFilterForm(request.GET)
    page = None
    if form.is_valid():
        qs = selectors.change_log(form.filters())
        page = selectors.keyset_page(qs, before=form.cleaned_data["before"], size=LOG_PAGE_SIZE)
    older_url = ""
    if page is not None and page.older_than is not None:
        params = request.GET.copy()
        params["before"] = str(page.older_than)
        older_url = f"?{params.urlencode()}"
    newest_params = request.GET.copy()
    newest_params.pop("before", None)
    return render(
        request,
        "audit/change_log.html",
        {
            "form": form,
            "page": page,
            "older_url": older_url,
            "newest_url": f"?{newest_params.urlencode()}",
            "is_older_page": bool(request.GET.get("before")),
        },
    )


@require_GET
@login_required
def change_detail(request: HttpRequest, seq: int) -> HttpResponse:
    _require_audit_viewer(request.user)
    row = get_object_or_404(ChangeLog.objects.select_related("actor", "content_type"), seq=seq)
    model = row.content_type.model_class()
    return render(
        request,
        "audit/change_detail.html",
        {
            "row": row,
            "type_label": model._meta.verbose_name if model is not None else row.content_type,
            "changes": selectors.field_changes(row, model),
        },
    )


# --- per-field history of a customer -------------------------------------------------------


def _hidden_models(user: Any) -> list[type[models.Model]]:
    """Changes the user may not read on a customer's page: tasks (they have their own
    scope, by assignee) and any object type the user has no view grant for."""
    from peyvand.desk.models import Task, TaskComment

    hidden: list[type[models.Model]] = [Task, TaskComment]
    for model in apps.get_models():
        object_type = getattr(model, "access_object_type", None)
        if object_type and not can(user, object_type, "view"):
            hidden.append(model)
    return hidden


@require_GET
@login_required
def customer_history(request: HttpRequest, customer_id: int) -> HttpResponse:
    customer = get_for(request.user, Customer.objects.all(), customer_id)
    entries = selectors.field_history(
        content_type_model=Customer,
        object_id=customer.pk,
        customer_id=customer.pk,
        exclude_models=_hidden_models(request.user),
        limit=HISTORY_LIMIT,
    )
    context = {"customer": customer, "entries": entries, "limit": HISTORY_LIMIT}
    template = (
        "audit/partials/customer_history.html"
        if getattr(request, "htmx", False)
        else "audit/customer_history.html"
    )
    return render(request, template, context)


# --- forget this person --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def forget_customer(request: HttpRequest, customer_id: int) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    customer = get_for(request.user, Customer.objects.all(), customer_id, "delete")
    form = ForgetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recycle.forget_customer(
                customer, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, _("The person's data was erased."))
            return redirect(f"{reverse('audit:log')}?{urlencode({'customer_id': customer.pk})}")
    return render(request, "audit/forget_customer.html", {"customer": customer, "form": form})
