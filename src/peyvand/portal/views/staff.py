"""Staff side of product updates: publish a release note to a product's subscribers."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peyvand.access.choices import ObjectType
from peyvand.access.scopes import can
from peyvand.portal import services
from peyvand.portal.forms import ReleaseNoteForm
from peyvand.portal.models import ReleaseNote

PAGE_SIZE = 25


@login_required
@require_http_methods(["GET", "POST"])
def release_notes(request: HttpRequest) -> HttpResponse:
    if not can(request.user, ObjectType.PRODUCT, "change"):
        raise Http404
    form = ReleaseNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.publish_release_note(actor=request.user, **form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404 from exc
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                _("Published; queued to %(count)d subscribers.") % {"count": note.recipients},
            )
            return redirect("portal:release_notes")
    notes = ReleaseNote.objects.select_related("product", "published_by")
    page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/staff/release_notes.html", {"form": form, "page": page})
