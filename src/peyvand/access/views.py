"""Views of the access app: sign-in, second factor, profile and the settings screens.

Settings screens answer 404 to everyone but managers, so their existence does not leak.
Views parse and authorise; every change goes through access.services.
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from peyvand.access import services
from peyvand.access.forms import (
    DepartmentForm,
    ManagerTokenForm,
    OTPCodeForm,
    ProfileForm,
    RoleForm,
    SetPasswordForm,
    SignInForm,
    TokenForm,
    UserCreateForm,
    UserEditForm,
)
from peyvand.access.middleware import OTP_REQUIRED_SESSION_KEY
from peyvand.access.models import ApiToken, Department, Role, User
from peyvand.access.scopes import is_manager

View = Callable[..., HttpResponse]
_ENROL_KEY_SESSION = "peyvand_totp_enrol_key"


def manager_required(view: View) -> View:
    """Signed-in managers only; anyone else signed in gets 404, as if the page did not exist."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_manager(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _apply_errors(form: BaseForm, exc: ValidationError) -> None:
    """Attach a service's ValidationError to the form (field errors where it names fields)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _safe_next(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return fallback


# --- sign-in and second factor --------------------------------------------


class SignInView(auth_views.LoginView):
    """Password step. A user with a second factor continues on the code page."""

    template_name = "access/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        url = super().get_success_url()
        if self.request.session.get(OTP_REQUIRED_SESSION_KEY):
            return reverse("access:verify") + "?" + urlencode({"next": url})
        return url


sign_in = SignInView.as_view()
sign_out = auth_views.LogoutView.as_view()


@never_cache
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a TOTP code verifies the session."""
    nxt = _safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
    devices = list(devices_for_user(request.user, confirmed=True))
    if request.user.is_verified() or not devices:  # type: ignore[union-attr]
        request.session[OTP_REQUIRED_SESSION_KEY] = False
        return HttpResponseRedirect(nxt)
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        blocked = [d for d in devices if not d.verify_is_allowed()[0]]
        if len(blocked) == len(devices):
            form.add_error(
                "code", _("Too many wrong codes. Wait a little and try again with a new code.")
            )
        else:
            for device in devices:
                if device.verify_token(form.cleaned_data["code"]):
                    request.session.cycle_key()
                    otp_login(request, device)
                    return HttpResponseRedirect(nxt)
            form.add_error("code", _("That code is not right. Check the time on your phone."))
    return render(request, "access/verify.html", {"form": form, "next": nxt})


# --- profile --------------------------------------------------------------


def _tokens_of(user: Any) -> Any:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


@never_cache
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    # A fresh copy: a rejected form must not leave bad values on request.user.
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        services.update_profile(user, data=form.cleaned_data)
        messages.success(request, _("Your profile was saved."))
        return redirect("access:profile")
    return render(
        request,
        "access/profile.html",
        {
            "form": form,
            "token_form": TokenForm(),
            "tokens": _tokens_of(user),
            "has_2fa": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
        status=400 if form.errors else 200,
    )


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP app: show the secret as a QR code, store it once a code proves it works.

    The secret waits in the (server-side) session until confirmed, so an abandoned
    enrolment leaves nothing behind.
    """
    user: User = request.user  # type: ignore[assignment]
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return render(request, "access/two_factor.html", {"enrolled": True, "form": OTPCodeForm()})
    key = request.session.get(_ENROL_KEY_SESSION) or default_key()
    request.session[_ENROL_KEY_SESSION] = key
    form = OTPCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        totp = TOTP(bytes.fromhex(key))
        totp.time = time.time()
        if totp.verify(int(form.cleaned_data["code"]), tolerance=1):
            device = services.enable_totp(user, key=key, last_t=totp.t(), actor=user)
            del request.session[_ENROL_KEY_SESSION]
            otp_login(request, device)
            request.session[OTP_REQUIRED_SESSION_KEY] = True
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("access:profile")
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    uri = TOTPDevice(user=user, key=key).config_url
    return render(
        request,
        "access/two_factor.html",
        {
            "enrolled": False,
            "form": form,
            "otpauth_uri": uri,
            "qr": _qr_data_uri(uri),
            "secret": base64.b32encode(bytes.fromhex(key)).decode(),
        },
    )


@never_cache
@require_POST
@login_required
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turning the second factor off needs a current code, not just a hijacked session."""
    user: User = request.user  # type: ignore[assignment]
    form = OTPCodeForm(request.POST)
    if form.is_valid():
        for device in devices_for_user(user, confirmed=True):
            if device.verify_token(form.cleaned_data["code"]):
                services.disable_totp(user, actor=user)
                request.session[OTP_REQUIRED_SESSION_KEY] = False
                messages.success(request, _("Two-step sign-in is off."))
                return redirect("access:profile")
        form.add_error("code", _("That code is not right. Check the time on your phone."))
    return render(request, "access/two_factor.html", {"enrolled": True, "form": form}, status=400)


def _token_created(request: HttpRequest, token: ApiToken, raw: str, back: str) -> HttpResponse:
    """Callers are never_cache: the raw token must not linger in any cache."""
    return render(request, "access/token_created.html", {"token": token, "raw": raw, "back": back})


@never_cache
@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    """The raw token is in this one response and nowhere else, so it is rendered, not
    redirected to."""
    user: User = request.user  # type: ignore[assignment]
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, raw = services.issue_token(
                user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _token_created(request, token, raw, reverse("access:profile"))
    return render(
        request,
        "access/profile.html",
        {
            "form": ProfileForm(instance=user),
            "token_form": form,
            "tokens": _tokens_of(user),
            "has_2fa": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
        },
        status=400,
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Own tokens for everyone; any token for managers. Someone else's token is a 404."""
    user: User = request.user  # type: ignore[assignment]
    tokens = ApiToken.objects.all()
    if not is_manager(user):
        tokens = tokens.filter(user=user)
    token = get_object_or_404(tokens, pk=pk)
    services.revoke_token(token.pk, actor=user)
    messages.success(request, _("The token was revoked."))
    return HttpResponseRedirect(_safe_next(request, reverse("access:profile")))


# --- settings: landing ----------------------------------------------------


@manager_required
def settings_home(request: HttpRequest) -> HttpResponse:
    return render(request, "access/settings/home.html")


# --- settings: departments ------------------------------------------------


@manager_required
def department_list(request: HttpRequest) -> HttpResponse:
    return render(
        request, "access/settings/department_list.html", {"departments": Department.objects.all()}
    )


@manager_required
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk) if pk else None
    # A copy for the form: validation writes into its instance, the service reads the row.
    form = DepartmentForm(
        request.POST or None,
        instance=Department.objects.get(pk=department.pk) if department else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if department:
                services.update_department(
                    department.pk, data=form.cleaned_data, actor=request.user
                )
            else:
                services.create_department(data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The department was saved."))
            return redirect("access:department_list")
    return render(
        request,
        "access/settings/department_form.html",
        {"form": form, "department": department},
        status=400 if form.errors else 200,
    )


# --- settings: roles ------------------------------------------------------


@manager_required
def role_list(request: HttpRequest) -> HttpResponse:
    return render(request, "access/settings/role_list.html", {"roles": Role.objects.all()})


@manager_required
def role_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk) if pk else None
    form = RoleForm(request.POST or None, instance=Role.objects.get(pk=role.pk) if role else None)
    if request.method == "POST" and form.is_valid():
        try:
            if role:
                services.update_role(role.pk, data=form.service_data(), actor=request.user)
            else:
                services.create_role(data=form.service_data(), actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The role was saved."))
            return redirect("access:role_list")
    return render(
        request,
        "access/settings/role_form.html",
        {"form": form, "role": role},
        status=400 if form.errors else 200,
    )


@require_POST
@manager_required
def role_delete(request: HttpRequest, pk: int) -> HttpResponse:
    role = get_object_or_404(Role, pk=pk)
    try:
        services.delete_role(role.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("access:role_edit", pk=role.pk)
    messages.success(request, _("The role was deleted."))
    return redirect("access:role_list")


# --- settings: users ------------------------------------------------------


@manager_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = User.objects.order_by("username").prefetch_related(
        Prefetch("departments", queryset=Department.objects.order_by("name")),
        Prefetch("roles", queryset=Role.objects.order_by("name")),
    )
    return render(request, "access/settings/user_list.html", {"users": users})


@sensitive_post_parameters("password1", "password2")
@manager_required
def user_create(request: HttpRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.create_user(
                data=form.cleaned_data, password=form.cleaned_data["password1"], actor=request.user
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The user was created."))
            return redirect("access:user_edit", pk=user.pk)
    return render(
        request,
        "access/settings/user_create.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@manager_required
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    form = UserEditForm(request.POST or None, instance=User.objects.get(pk=target.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_user(target.pk, data=form.cleaned_data, actor=request.user)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The user was saved."))
            return redirect("access:user_edit", pk=target.pk)
    return render(
        request,
        "access/settings/user_edit.html",
        {
            "form": form,
            "target": target,
            "password_form": SetPasswordForm(target),
            "has_2fa": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
        },
        status=400 if form.errors else 200,
    )


@require_POST
@manager_required
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.set_user_active(target.pk, active, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The user was activated.") if active else _("The user was deactivated.")
        )
    return redirect("access:user_edit", pk=target.pk)


@sensitive_post_parameters("password1", "password2")
@require_POST
@manager_required
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    form = SetPasswordForm(target, request.POST)
    if form.is_valid():
        services.set_user_password(target.pk, form.cleaned_data["password1"], actor=request.user)
        if target.pk == request.user.pk:
            update_session_auth_hash(request, User.objects.get(pk=target.pk))
        messages.success(request, _("The password was changed."))
        return redirect("access:user_edit", pk=target.pk)
    return render(
        request,
        "access/settings/user_edit.html",
        {
            "form": UserEditForm(instance=target),
            "target": target,
            "password_form": form,
            "has_2fa": TOTPDevice.objects.filter(user=target, confirmed=True).exists(),
        },
        status=400,
    )


@require_POST
@manager_required
def user_reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    """For a user who lost their phone: they sign in with the password alone and enrol again."""
    target = get_object_or_404(User, pk=pk)
    services.disable_totp(target, actor=request.user)
    messages.success(request, _("Two-step sign-in was turned off for this user."))
    return redirect("access:user_edit", pk=target.pk)


# --- settings: API tokens -------------------------------------------------


@never_cache
@manager_required
def token_list(request: HttpRequest) -> HttpResponse:
    form = ManagerTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.issue_token(
                form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                actor=request.user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            return _token_created(request, token, raw, reverse("access:token_list"))
    tokens = ApiToken.objects.select_related("user").order_by("-created_at")
    return render(
        request,
        "access/settings/token_list.html",
        {"form": form, "tokens": tokens},
        status=400 if form.errors else 200,
    )
