from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import user_has_device

from peyvand.access.middleware import OTP_REQUIRED_SESSION_KEY
from peyvand.access.models import ApiToken, Role, User
from peyvand.core.api.auth import forget_principals


@receiver(user_logged_in, dispatch_uid="peyvand.access.otp_required")
def remember_second_factor(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Decide once per sign-in whether this session must pass the second factor."""
    if request is not None and hasattr(request, "session"):
        request.session[OTP_REQUIRED_SESSION_KEY] = user_has_device(user, confirmed=True)


@receiver(post_save, sender=ApiToken, dispatch_uid="peyvand.access.token_saved")
@receiver(post_delete, sender=ApiToken, dispatch_uid="peyvand.access.token_deleted")
@receiver(post_save, sender=User, dispatch_uid="peyvand.access.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="peyvand.access.user_deleted")
@receiver(post_save, sender=Role, dispatch_uid="peyvand.access.role_saved")
@receiver(post_delete, sender=Role, dispatch_uid="peyvand.access.role_deleted")
@receiver(m2m_changed, sender=User.roles.through, dispatch_uid="peyvand.access.roles_changed")
@receiver(
    m2m_changed, sender=User.departments.through, dispatch_uid="peyvand.access.departments_changed"
)
def forget_cached_tokens(sender: Any, **kwargs: Any) -> None:
    """What a token may do follows its user's current rights: cached resolutions go."""
    if kwargs.get("action", "post_").startswith("post_"):
        forget_principals()
