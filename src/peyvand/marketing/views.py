"""Staff screens of segments: the list, the rule builder with its live count, a segment's
members, and static lists (pasted or uploaded ids, or picked from a search)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from peyvand.access.scopes import can
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.marketing.access import get_segment_for, require_segments
from peyvand.marketing.attribution.access import OBJECT_TYPE as ATTRIBUTION
from peyvand.marketing.builder import apply_action, normalise_tags, tree_from_form, view_model
from peyvand.marketing.choices import SegmentKind
from peyvand.marketing.models import Segment
from peyvand.marketing.selectors import current_members, segment_list, stay_counts
from peyvand.marketing.services import (
    add_static_members,
    count_matching,
    parse_customer_ids,
    rebuild_segment,
    remove_static_member,
    save_segment,
)

PAGE_SIZE = 25
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
SEARCH_RESULTS = 10


@login_required
@require_GET
def segment_list_view(request: HttpRequest) -> HttpResponse:
    require_segments(request.user)
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(segment_list(q), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "q": q,
        "can_attribution": can(request.user, ATTRIBUTION, "view"),
    }
    return render(request, "marketing/segment_list.html", context)


def _form(request: HttpRequest, segment: Segment | None, kind: str) -> HttpResponse:
    errors: list[str] = []
    name = segment.name if segment else ""
    description = segment.description if segment else ""
    tree: dict[str, Any] = (
        segment.rules if segment and segment.rules else {"match": "all", "children": []}
    )
    if request.method == "POST":
        name, description = request.POST.get("name", ""), request.POST.get("description", "")
        tree = normalise_tags(tree_from_form(request.POST))
        try:
            saved = save_segment(
                segment,
                name=name,
                description=description,
                rules=tree,
                kind=kind,
                actor=request.user,
            )
        except ValidationError as exc:
            errors = [message for messages_ in exc.message_dict.values() for message in messages_]
        else:
            messages.success(request, _("Segment “%(name)s” saved.") % {"name": saved.name})
            return redirect("marketing:segment_detail", pk=saved.pk)
    context = {
        "segment": segment,
        "kind": kind,
        "name": name,
        "description": description,
        "errors": errors,
        **(view_model(tree) if kind == SegmentKind.DYNAMIC else {}),
    }
    return render(request, "marketing/segment_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def segment_create(request: HttpRequest) -> HttpResponse:
    require_segments(request.user, "add")
    kind = request.GET.get("kind", SegmentKind.DYNAMIC)
    return _form(request, None, kind if kind in SegmentKind.values else SegmentKind.DYNAMIC)


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_segment_for(request.user, pk, "change")
    return _form(request, segment, segment.kind)


@login_required
@require_POST
def builder(request: HttpRequest) -> HttpResponse:
    """HTMX: apply one builder button (add a condition or group, remove one) or a field
    change to the posted tree and render the tree again."""
    require_segments(request.user)
    tree = normalise_tags(tree_from_form(request.POST))
    action = request.POST.get("action", "")
    if action:
        tree = apply_action(tree, action)
    return render(request, "marketing/partials/builder.html", view_model(tree))


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """HTMX (debounced): how many customers the posted rules match now, or why not."""
    require_segments(request.user)
    tree = normalise_tags(tree_from_form(request.POST))
    try:
        count = count_matching(tree, user=request.user)
    except ValidationError as exc:
        return render(
            request, "marketing/partials/preview.html", {"errors": exc.message_dict["rules"]}
        )
    return render(request, "marketing/partials/preview.html", {"count": count})


@login_required
@require_GET
def segment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_segment_for(request.user, pk)
    members = (
        current_members(segment, request.user)
        .select_related("customer")
        .order_by("-entered_at", "-pk")
    )
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    q = request.GET.get("q", "").strip()[:100]
    found = (
        list(Customer.objects.visible_to(request.user).alive().search(q)[:SEARCH_RESULTS])
        if q and segment.is_static
        else []
    )
    context = {
        "segment": segment,
        "page": page,
        "stays": stay_counts(segment),
        "q": q,
        "found": found,
    }
    if segment.rules:
        model = view_model(segment.rules)
        context.update(summary=model["root"], field_groups=model["field_groups"])
    return render(request, "marketing/segment_detail.html", context)


@login_required
@require_POST
def segment_rebuild(request: HttpRequest, pk: int) -> HttpResponse:
    segment = get_segment_for(request.user, pk, "change")
    result = rebuild_segment(segment.pk)
    messages.success(
        request,
        _("Rebuilt: %(entered)s entered, %(left)s left, %(members)s members.")
        % {"entered": result.entered, "left": result.left, "members": result.members},
    )
    return redirect("marketing:segment_detail", pk=segment.pk)


@login_required
@require_POST
def static_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Ids pasted, uploaded as CSV (first column) or picked from the search; all or nothing."""
    segment = get_segment_for(request.user, pk, "change")
    ids, errors = parse_customer_ids(request.POST.get("ids", ""))
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size and upload.size > MAX_UPLOAD_BYTES:
            messages.error(request, _("The file is larger than 2 MB."))
            return redirect("marketing:segment_detail", pk=segment.pk)
        try:
            file_ids, file_errors = parse_customer_ids(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            messages.error(request, _("The file is not UTF-8 text."))
            return redirect("marketing:segment_detail", pk=segment.pk)
        ids, errors = ids + file_ids, errors + file_errors
    ids += [int(v) for v in request.POST.getlist("customer") if v.isdigit()]
    if errors:
        for error in errors[:20]:
            messages.error(request, error)
        messages.error(request, _("Nothing was added."))
        return redirect("marketing:segment_detail", pk=segment.pk)
    try:
        added = add_static_members(segment.pk, ids, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(count)s customers added.") % {"count": added})
    return redirect("marketing:segment_detail", pk=segment.pk)


@login_required
@require_POST
def static_remove(request: HttpRequest, pk: int, customer_id: int) -> HttpResponse:
    segment = get_segment_for(request.user, pk, "change")
    try:
        remove_static_member(segment.pk, customer_id, actor=request.user)
    except (ServiceError, Customer.DoesNotExist):
        messages.error(request, _("That customer is not in this list."))
    return redirect("marketing:segment_detail", pk=segment.pk)
