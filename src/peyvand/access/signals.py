from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import user_has_device

from peyvand.access.middleware import OTP_REQUIRED_SESSION_KEY


@receiver(user_logged_in, dispatch_uid="peyvand.access.otp_required")
def remember_second_factor(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Decide once per sign-in whether this session must pass the second factor."""
    if request is not None and hasattr(request, "session"):
        request.session[OTP_REQUIRED_SESSION_KEY] = user_has_device(user, confirmed=True)
