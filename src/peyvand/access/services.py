"""State changes of the access app: departments, roles, users, second factors, API tokens.

Every function runs in one transaction and writes its change-log rows. Users and OTP
devices are logged through redacted snapshots: a password hash or a TOTP secret must never
reach the audit trail, which many people may read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from peyvand.access.choices import ApiScope
from peyvand.access.models import ApiToken, Department, Role, User
from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import Change, record, snapshot, write_changes

DEPARTMENT_FIELDS = ("code", "name", "name_fa", "is_active")
ROLE_FIELDS = ("code", "name", "name_fa", "scope", "permissions", "is_manager")
USER_FIELDS = ("first_name", "last_name", "email", "phone", "language", "is_active")
PROFILE_FIELDS = ("first_name", "last_name", "language")
_USER_SECRET_FIELDS = {"password", "last_login"}


def _apply(obj: Any, data: Mapping[str, Any], fields: Iterable[str]) -> None:
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])


def _ensure_a_manager_remains() -> None:
    """Nobody could reach the settings screens again if the last manager lost the right."""
    managers = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(roles__is_manager=True)
    )
    if not managers.exists():
        raise ValidationError(_("At least one active manager must remain."))


# --- departments ----------------------------------------------------------


@transaction.atomic
def create_department(*, data: Mapping[str, Any], actor: Any) -> Department:
    department = Department()
    with record(department, actor=actor):
        _apply(department, data, DEPARTMENT_FIELDS)
        department.full_clean()
        department.save()
    return department


@transaction.atomic
def update_department(department_id: int, *, data: Mapping[str, Any], actor: Any) -> Department:
    """The code is the department's stable key (defaults and imports name it), so it stays."""
    department = Department.objects.select_for_update().get(pk=department_id)
    with record(department, actor=actor):
        _apply(department, data, ("name", "name_fa", "is_active"))
        department.full_clean()
        department.save()
    return department


# --- roles ----------------------------------------------------------------


@transaction.atomic
def create_role(*, data: Mapping[str, Any], actor: Any) -> Role:
    role = Role()
    with record(role, actor=actor):
        _apply(role, data, ROLE_FIELDS)
        role.full_clean()
        role.save()
    return role


@transaction.atomic
def update_role(role_id: int, *, data: Mapping[str, Any], actor: Any) -> Role:
    role = Role.objects.select_for_update().get(pk=role_id)
    with record(role, actor=actor):
        _apply(role, data, tuple(f for f in ROLE_FIELDS if f != "code"))
        role.full_clean()
        role.save()
    _ensure_a_manager_remains()
    return role


@transaction.atomic
def delete_role(role_id: int, *, actor: Any) -> None:
    role = Role.objects.select_for_update().get(pk=role_id)
    write_changes([Change(ChangeAction.DELETE, role, snapshot(role), None)], actor=actor)
    role.delete()
    _ensure_a_manager_remains()


# --- users ----------------------------------------------------------------


def user_snapshot(user: User) -> dict[str, Any]:
    """The user as the change log sees it: no password hash, memberships as sorted ids."""
    data = {k: v for k, v in snapshot(user).items() if k not in _USER_SECRET_FIELDS}
    data["departments"] = sorted(user.departments.values_list("pk", flat=True))
    data["roles"] = sorted(user.roles.values_list("pk", flat=True))
    return data


def _log_user(user: User, before: dict[str, Any] | None, *, actor: Any) -> None:
    after = user_snapshot(user)
    if before == after:
        return
    action = ChangeAction.CREATE if before is None else ChangeAction.UPDATE
    write_changes([Change(action, user, before, after)], actor=actor)


def _set_memberships(user: User, data: Mapping[str, Any]) -> None:
    if "departments" in data:
        user.departments.set(data["departments"])
    if "roles" in data:
        user.roles.set(data["roles"])


@transaction.atomic
def create_user(*, data: Mapping[str, Any], password: str, actor: Any) -> User:
    user = User(username=data["username"])
    _apply(user, data, USER_FIELDS)
    user.set_password(password)
    user.full_clean()
    user.save()
    _set_memberships(user, data)
    _log_user(user, None, actor=actor)
    return user


@transaction.atomic
def update_user(user_id: int, *, data: Mapping[str, Any], actor: Any) -> User:
    user = User.objects.select_for_update().get(pk=user_id)
    before = user_snapshot(user)
    _apply(user, data, USER_FIELDS)
    user.full_clean()
    user.save()
    _set_memberships(user, data)
    _log_user(user, before, actor=actor)
    _ensure_a_manager_remains()
    return user


@transaction.atomic
def update_profile(user: User, *, data: Mapping[str, Any]) -> User:
    """A user's own preferences; they are the actor."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = user_snapshot(locked)
    _apply(locked, data, PROFILE_FIELDS)
    locked.full_clean()
    locked.save()
    _log_user(locked, before, actor=user)
    return locked


@transaction.atomic
def set_user_active(user_id: int, active: bool, *, actor: Any) -> User:
    user = User.objects.select_for_update().get(pk=user_id)
    if not active and user.pk == getattr(actor, "pk", None):
        raise ValidationError(_("You cannot deactivate your own account."))
    before = user_snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    _log_user(user, before, actor=actor)
    _ensure_a_manager_remains()
    return user


@transaction.atomic
def set_user_password(user_id: int, password: str, *, actor: Any) -> User:
    """Setting the password also ends the user's other sessions (Django's session hash)."""
    user = User.objects.select_for_update().get(pk=user_id)
    user.set_password(password)
    user.save(update_fields=["password"])
    write_changes(
        [Change(ChangeAction.UPDATE, user, {"password": "old"}, {"password": "new"})],
        actor=actor,
    )
    return user


# --- second factor --------------------------------------------------------


def _device_snapshot(device: TOTPDevice) -> dict[str, Any]:
    return {"user_id": device.user_id, "name": device.name, "confirmed": device.confirmed}


@transaction.atomic
def enable_totp(user: User, *, key: str, last_t: int, actor: Any) -> TOTPDevice:
    """Store a confirmed TOTP device. `last_t` is the time step of the code that confirmed
    it, so that code cannot be replayed to pass the sign-in step."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name=_("Authenticator app"), key=key, confirmed=True)
    device.last_t = last_t
    device.full_clean()
    device.save()
    write_changes(
        [Change(ChangeAction.CREATE, device, None, _device_snapshot(device))], actor=actor
    )
    return device


@transaction.atomic
def disable_totp(user: User, *, actor: Any) -> int:
    devices = list(TOTPDevice.objects.select_for_update().filter(user=user))
    write_changes(
        [Change(ChangeAction.DELETE, d, _device_snapshot(d), None) for d in devices], actor=actor
    )
    TOTPDevice.objects.filter(pk__in=[d.pk for d in devices]).delete()
    return len(devices)


# --- API tokens -----------------------------------------------------------


def validate_scopes(scopes: Iterable[str]) -> list[str]:
    """Known scopes in a stable order; ValidationError naming the unknown ones."""
    requested = list(dict.fromkeys(scopes))
    valid = set(ApiScope.values)
    unknown = [s for s in requested if s not in valid]
    if unknown:
        raise ValidationError(
            _("Unknown scope(s): %(unknown)s. Valid scopes: %(valid)s.")
            % {"unknown": ", ".join(unknown), "valid": ", ".join(ApiScope.values)}
        )
    if not requested:
        raise ValidationError(_("Choose at least one scope."))
    return [s for s in ApiScope.values if s in requested]


@transaction.atomic
def issue_token(
    user: User, *, name: str = "", scopes: Iterable[str], actor: Any
) -> tuple[ApiToken, str]:
    """A new token for `user`; the raw value is returned once and never stored."""
    if not user.is_active:
        raise ValidationError(_("Tokens cannot be issued to an inactive user."))
    token, raw = ApiToken.issue(user, name=name, scopes=validate_scopes(scopes))
    write_changes([Change(ChangeAction.CREATE, token, None, snapshot(token))], actor=actor)
    return token, raw


@transaction.atomic
def revoke_token(token_id: int, *, actor: Any) -> ApiToken:
    """Idempotent: revoking a revoked token changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token_id)
    if token.revoked_at is not None:
        return token
    with record(token, actor=actor):
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
    return token
