from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from peyvand.access.choices import Language, Scope
from peyvand.core.models import TimeStampedModel


class Department(TimeStampedModel):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (English)"), max_length=120)
    name_fa = models.CharField(_("name (Persian)"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name


class Role(TimeStampedModel):
    """A named set of grants: `permissions` maps an object type to the actions allowed,
    e.g. {"customer": ["view", "add", "change"], "task": ["view"]}; `scope` says on which
    records (own, department, all)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (English)"), max_length=120)
    name_fa = models.CharField(_("name (Persian)"), max_length=120, blank=True)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices, default=Scope.OWN)
    permissions = models.JSONField(_("permissions"), default=dict, blank=True)
    is_manager = models.BooleanField(
        _("manager"), default=False, help_text=_("Sees every desk and every record.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("fa") and self.name_fa:
            return self.name_fa
        return self.name

    def allows(self, object_type: str, action: str) -> bool:
        return self.is_manager or action in self.permissions.get(object_type, [])


class User(AbstractUser):
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.EN
    )
    departments = models.ManyToManyField(
        Department, related_name="members", blank=True, verbose_name=_("departments")
    )
    roles = models.ManyToManyField(Role, related_name="users", blank=True, verbose_name=_("roles"))
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def usable(self) -> Any:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, user__is_active=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(TimeStampedModel):
    """A bearer token. Only its SHA-256 is stored; the raw value is shown once."""

    PREFIX = "pvk_"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=120, blank=True)
    key_prefix = models.CharField(max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.key_prefix}… ({self.user})"

    @classmethod
    def issue(
        cls, user: User, *, name: str = "", scopes: list[str] | None = None
    ) -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, key_prefix=raw[:12], key_hash=hash_token(raw), scopes=scopes or []
        )
        return token, raw

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )

    def has_scope(self, required: str) -> bool:
        """True when the token was granted `required` ("customers:read"); "*" grants every
        scope and a resource's ":write" includes its ":read"."""
        granted = set(self.scopes)
        if "*" in granted or required in granted:
            return True
        resource, _sep, level = required.partition(":")
        return level == "read" and f"{resource}:write" in granted
