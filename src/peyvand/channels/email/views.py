"""Managers' screens for outbound email: sending identities and templates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from peyvand.access.scopes import is_manager
from peyvand.channels.email.forms import IdentityForm, TemplateForm
from peyvand.channels.email.models import EmailTemplate, SendingIdentity
from peyvand.channels.email.services import save_identity, save_template


def _require_manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise Http404


@login_required
def identity_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    identities = SendingIdentity.objects.select_related("department")
    return render(request, "interactions/email/identity_list.html", {"identities": identities})


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    templates = EmailTemplate.objects.select_related("identity")
    return render(request, "interactions/email/template_list.html", {"templates": templates})


def _edit(
    request: HttpRequest,
    *,
    model: type[Model],
    form_class: type[ModelForm],
    save: Any,
    pk: int | None,
    template: str,
    done: str,
    saved: str,
) -> HttpResponse:
    _require_manager(request)
    stored = get_object_or_404(model, pk=pk) if pk is not None else None
    # The form validates a scratch copy: the service must see the stored row unchanged, so
    # its change-log entry has the real "before".
    scratch = model(pk=stored.pk) if stored is not None else model()
    # It stands for the stored row, so the uniqueness checks leave that row out.
    scratch._state.adding = stored is None
    form = form_class(request.POST or None, instance=stored if request.method == "GET" else scratch)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                save(stored or model(), actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, saved)
                return redirect(done)
    return render(request, template, {"form": form, "object": stored}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def identity_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        model=SendingIdentity,
        form_class=IdentityForm,
        save=save_identity,
        pk=pk,
        template="interactions/email/identity_form.html",
        done="interactions:email_identities",
        saved=_("Sending identity saved."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    return _edit(
        request,
        model=EmailTemplate,
        form_class=TemplateForm,
        save=save_template,
        pk=pk,
        template="interactions/email/template_form.html",
        done="interactions:email_templates",
        saved=_("Email template saved."),
    )
