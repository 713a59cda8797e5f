"""Views of the customers app: parse, authorise through access helpers, call services, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can, department_ids, is_manager
from peyvand.audit.models import ChangeLog
from peyvand.customers import services
from peyvand.customers.access import get_customer_for, require_action, require_manager
from peyvand.customers.choices import ConsentStatus
from peyvand.customers.dedupe import find_duplicate_groups
from peyvand.customers.forms import (
    CUSTOM_PREFIX,
    ContactPointFormSet,
    CustomerFilterForm,
    CustomerForm,
    CustomFieldDefinitionForm,
    contact_initial,
    custom_label,
)
from peyvand.customers.models import Customer, CustomFieldDefinition, Tag
from peyvand.customers.selectors import customer_360

PAGE_SIZE = 25
TIMELINE_LIMIT = 50


# --- list -------------------------------------------------------------------------------


@login_required
@require_GET
def customer_list(request: HttpRequest) -> HttpResponse:
    """Search and filter what the user may see. Paged by "next/previous" without a count:
    counting a million visible rows on every keystroke is the slow part of a list."""
    user = request.user
    require_action(user, "view")
    form = CustomerFilterForm(request.GET or None)
    qs = Customer.objects.visible_to(user).alive()
    if form.is_bound and form.is_valid():
        qs = form.apply(qs)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    start = (page - 1) * PAGE_SIZE
    rows = list(qs.select_related("owner").prefetch_related("tags")[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    columns = list(CustomFieldDefinition.objects.filter(is_active=True, show_in_list=True))
    customers = [
        {
            "obj": c,
            "columns": [(c.custom or {}).get(d.key) for d in columns],
        }
        for c in rows[:PAGE_SIZE]
    ]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "customers": customers,
        "columns": [custom_label(d) for d in columns],
        "page": page,
        "has_next": has_next,
        "has_previous": page > 1,
        "query_string": params.urlencode(),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "can_add": can(user, ObjectType.CUSTOMER, "add"),
        "can_merge": can(user, ObjectType.CUSTOMER, "merge"),
        "can_export": can(user, ObjectType.CUSTOMER, "export"),
        "is_manager": is_manager(user),
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "customer-results":
        return render(request, "customers/partials/results.html", context)
    return render(request, "customers/list.html", context)


# --- create / edit ----------------------------------------------------------------------


def _consents_granted(customer: Customer | None) -> set[str]:
    if customer is None:
        return set()
    return {
        f"{c.channel}:{c.purpose}"
        for c in customer.consents.all()
        if c.status == ConsentStatus.GRANTED
    }


def _apply_consents(
    customer: Customer, form: CustomerForm, before: set[str], *, actor: Any
) -> None:
    wanted = form.consent_choices()
    source = form.cleaned_data.get("consent_source") or _("Staff form")
    for pair in sorted(wanted ^ before):
        channel, purpose = pair.split(":")
        status = ConsentStatus.GRANTED if pair in wanted else ConsentStatus.WITHDRAWN
        services.set_consent(
            customer, actor=actor, channel=channel, purpose=purpose, status=status, source=source
        )


def _form_initial(customer: Customer) -> dict[str, Any]:
    initial: dict[str, Any] = {
        name: getattr(customer, name)
        for name in (
            "kind",
            "display_name",
            "first_name",
            "last_name",
            "organization_name",
            "preferred_language",
            "preferred_channel",
            "currency",
            "notes",
            "external_ref",
            "owner",
            "department",
        )
    }
    initial["tags"] = ", ".join(t.name for t in customer.tags.all())
    for key, value in (customer.custom or {}).items():
        initial[CUSTOM_PREFIX + key] = value
    return initial


def _customer_form_page(request: HttpRequest, customer: Customer | None) -> HttpResponse:
    user: Any = request.user
    definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
    granted = _consents_granted(customer)
    can_assign = is_manager(user)
    data = request.POST if request.method == "POST" else None
    form = CustomerForm(
        data,
        initial=_form_initial(customer) if customer else {},
        definitions=definitions,
        can_assign=can_assign,
        consent_granted=granted,
    )
    formset: Any = ContactPointFormSet(
        data,
        prefix="cp",
        initial=contact_initial(customer.contact_points.all()) if customer else None,
    )
    if data is not None and form.is_valid() and formset.is_valid():
        values = form.service_values()
        rows = formset.service_rows()
        try:
            with transaction.atomic():
                if customer is None:
                    if not can_assign:
                        # A rep's new customer is theirs, in their department.
                        values["owner"] = user
                        dept = department_ids(user)
                        values["department"] = (
                            user.departments.filter(pk=dept[0]).first() if dept else None
                        )
                    saved = services.create_customer(
                        actor=user,
                        tags=form.tag_names(),
                        custom=form.custom_values(),
                        contact_points=rows,
                        **values,
                    )
                else:
                    saved = services.update_customer(
                        customer,
                        actor=user,
                        tags=form.tag_names(),
                        custom={**form.custom_values()},
                        contact_points=rows,
                        **values,
                    )
                _apply_consents(saved, form, granted, actor=user)
        except ValidationError as exc:
            form.apply_service_errors(exc, formset)
        else:
            messages.success(request, _("Customer saved."))
            return redirect("customers:detail", pk=saved.pk)
    return render(
        request,
        "customers/form.html",
        {
            "form": form,
            "formset": formset,
            "customer": customer,
            "tag_suggestions": Tag.objects.values_list("name", flat=True)[:200],
        },
        status=400 if data is not None else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    require_action(request.user, "add")
    return _customer_form_page(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for(request.user, pk, "change")
    return _customer_form_page(request, customer)


# --- 360 ----------------------------------------------------------------------------------


def _may(user: Any, customer: Customer, action: str) -> bool:
    if not can(user, ObjectType.CUSTOMER, action):
        return False
    return Customer.objects.visible_to(user, action).filter(pk=customer.pk).exists()


@login_required
@require_GET
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    customer = get_customer_for(user, pk)
    view = customer_360(customer, user=user)
    can_merge = _may(user, customer, "merge")
    merges = services.latest_merge_changes(customer) if can_merge else []
    return render(
        request,
        "customers/detail.html",
        {
            **view,
            "customer": view["profile"],
            "can_change": _may(user, customer, "change"),
            "can_delete": _may(user, customer, "delete"),
            "can_merge": can_merge,
            "merges": [
                {"change": m, "dropped": (m.after or {}).get("dropped_id"), "at": m.at}
                for m in merges
            ],
        },
    )


@login_required
@require_GET
def customer_timeline(request: HttpRequest, pk: int) -> HttpResponse:
    from peyvand.audit.timeline import customer_timeline as timeline

    customer = get_customer_for(request.user, pk)
    before: dt.datetime | None = None
    raw = request.GET.get("before", "")
    if raw:
        before = parse_datetime(raw)
        if before is None:
            raise Http404
    entries = timeline(customer, user=request.user, limit=TIMELINE_LIMIT, before=before)
    return render(
        request,
        "customers/partials/timeline.html",
        {
            "customer": customer,
            "entries": entries,
            "next_before": entries[-1].at.isoformat() if len(entries) == TIMELINE_LIMIT else "",
        },
    )


@login_required
@require_POST
def customer_delete(request: HttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for(request.user, pk, "delete")
    services.delete_customer(customer, actor=request.user)
    messages.success(
        request, _("“%(name)s” was moved to the recycle bin.") % {"name": customer.display_name}
    )
    return redirect("customers:list")


# --- duplicates and merge -----------------------------------------------------------------


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_action(user, "merge")
    try:
        threshold = min(100, max(60, int(request.GET.get("threshold", "90"))))
    except ValueError:
        threshold = 90
    groups = find_duplicate_groups(
        Customer.objects.visible_to(user, "merge").alive(), threshold=threshold
    )
    return render(request, "customers/duplicates.html", {"groups": groups, "threshold": threshold})


MERGE_FIELDS = (
    "display_name",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "preferred_language",
    "preferred_channel",
    "currency",
    "owner",
    "department",
    "external_ref",
    "created_at",
)


def _shown(customer: Customer, name: str) -> Any:
    """A field as people read it: the label of a choice, not its stored code."""
    display = getattr(customer, f"get_{name}_display", None)
    return display() if display is not None else getattr(customer, name)


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest) -> HttpResponse:
    user = request.user
    require_action(user, "merge")
    source = request.POST if request.method == "POST" else request.GET
    keep = get_customer_for(user, source.get("keep"), "merge")
    drop = get_customer_for(user, source.get("drop"), "merge")
    if keep.pk == drop.pk:
        raise Http404
    if request.method == "POST":
        try:
            services.merge_customers(keep, drop, actor=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("“%(drop)s” was merged into “%(keep)s”.")
                % {"drop": drop.display_name, "keep": keep.display_name},
            )
            return redirect("customers:detail", pk=keep.pk)
    keep_view, drop_view = customer_360(keep, user=user), customer_360(drop, user=user)
    rows = [
        {
            "label": getattr(Customer._meta.get_field(name), "verbose_name", name),
            "keep": _shown(keep_view["profile"], name),
            "drop": _shown(drop_view["profile"], name),
            "fills": not getattr(keep_view["profile"], name)
            and bool(getattr(drop_view["profile"], name)),
        }
        for name in MERGE_FIELDS
    ]
    return render(
        request,
        "customers/merge.html",
        {"keep": keep_view, "drop": drop_view, "rows": rows},
    )


@login_required
@require_POST
def unmerge(request: HttpRequest, pk: int, change_id: int) -> HttpResponse:
    user = request.user
    customer = get_customer_for(user, pk, "merge")
    if not ChangeLog.objects.filter(
        pk=change_id, object_id=str(customer.pk), action="merge"
    ).exists():
        raise Http404
    try:
        services.unmerge_customers(change_id, actor=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The merge was undone."))
    return redirect("customers:detail", pk=customer.pk)


# --- custom fields ------------------------------------------------------------------------


@login_required
@require_GET
def custom_field_list(request: HttpRequest) -> HttpResponse:
    require_manager(request.user)
    return render(
        request,
        "customers/custom_fields.html",
        {"definitions": CustomFieldDefinition.objects.all()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def custom_field_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_manager(request.user)
    definition = None
    if pk is not None:
        definition = CustomFieldDefinition.objects.filter(pk=pk).first()
        if definition is None:
            raise Http404
    form = CustomFieldDefinitionForm(
        request.POST if request.method == "POST" else None, instance=definition
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.save_custom_field(definition, actor=request.user, **form.service_values())
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                target = "choices_text" if field == "choices" else field
                form.add_error(target if target in form.fields else None, problems)
        else:
            messages.success(request, _("Custom field saved."))
            return redirect("customers:custom_fields")
    return render(
        request,
        "customers/custom_field_form.html",
        {"form": form, "definition": definition},
        status=400 if request.method == "POST" else 200,
    )
