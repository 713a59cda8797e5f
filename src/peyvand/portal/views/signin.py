"""Signing in to the portal: ask for a code, enter it (or open the magic link), sign out."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from peyvand.portal import session, signin
from peyvand.portal.forms import CodeForm, SignInForm

PENDING_KEY = "peyvand_portal_pending"
NEXT_KEY = "peyvand_portal_next"


def wait_message(wait: int) -> str:
    minutes = max(1, (wait + 59) // 60)
    return _("Too many tries. Please wait %(minutes)d minutes and try again.") % {
        "minutes": minutes
    }


def _safe_next(request: HttpRequest, nxt: str | None) -> str:
    if (
        nxt
        and nxt.startswith("/portal/")
        and url_has_allowed_host_and_scheme(
            nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return nxt
    return reverse("portal:home")


def _signed_in(request: HttpRequest, customer: object) -> HttpResponse:
    nxt = _safe_next(request, request.session.get(NEXT_KEY))
    session.sign_in(request, customer)  # type: ignore[arg-type]
    response = HttpResponseRedirect(nxt)
    # The portal speaks the customer's language from the first page after sign-in.
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        customer.preferred_language,  # type: ignore[attr-defined]
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and request.GET.get("next"):
        request.session[NEXT_KEY] = request.GET["next"]
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            address = signin.parse_address(form.cleaned_data["address"])
            signin.request_code(
                address,
                link_for=lambda token: request.build_absolute_uri(
                    reverse("portal:sign_in_link", args=[token])
                ),
                client=request.META.get("REMOTE_ADDR", ""),
            )
        except ValidationError as exc:
            for message in exc.message_dict.get("address", exc.messages):
                form.add_error("address", message)
        except signin.RateLimited as exc:
            form.add_error(None, wait_message(exc.wait))
            status = 429
        else:
            request.session[PENDING_KEY] = [address.kind, address.value]
            return redirect("portal:sign_in_code")
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("portal:sign_in")
    address = signin.Address(*pending)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            customer = signin.verify_code(address, form.cleaned_data["code"])
        except ValidationError as exc:
            form.add_error("code", exc.message_dict["code"][0])
        except signin.RateLimited as exc:
            form.add_error(None, wait_message(exc.wait))
            status = 429
        else:
            request.session.pop(PENDING_KEY, None)
            return _signed_in(request, customer)
    return render(
        request, "portal/sign_in_code.html", {"form": form, "address": address}, status=status
    )


@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET only shows a button: mail scanners that open links must not use up the code."""
    error = ""
    if request.method == "POST":
        try:
            customer = signin.verify_link(token)
        except ValidationError as exc:
            error = exc.message_dict["code"][0]
        else:
            return _signed_in(request, customer)
    return render(
        request, "portal/sign_in_link.html", {"error": error}, status=400 if error else 200
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    session.sign_out(request)
    return redirect("portal:sign_in")
