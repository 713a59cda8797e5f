from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

# Set at sign-in (see access.signals) so the per-request check costs no query.
OTP_REQUIRED_SESSION_KEY = "peyvand_otp_required"


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's Accept-Language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class OTPRequiredMiddleware:
    """A user with a second factor reaches nothing but the code page (and sign-out) until
    the session is verified. Must come after django_otp's OTPMiddleware.

    The API is exempt: it authenticates each request with a bearer token, not the session.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _exempt(self, path: str) -> bool:
        exempt = (
            reverse("access:verify"),
            reverse("access:logout"),
            reverse("set_language"),
            reverse("healthz"),
            "/api/",
            "/" + settings.STATIC_URL.lstrip("/"),
        )
        return path.startswith(exempt)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.session.get(OTP_REQUIRED_SESSION_KEY)
            and request.user.is_authenticated
            and not request.user.is_verified()  # type: ignore[union-attr,attr-defined]
            and not self._exempt(request.path)
        ):
            target = reverse("access:verify") + "?" + urlencode({"next": request.get_full_path()})
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return HttpResponseRedirect(target)
        return self.get_response(request)
