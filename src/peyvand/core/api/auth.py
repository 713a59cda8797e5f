"""Who is calling: a bearer token (integrations) or a signed-in session (the staff UI).

A token carries scopes that narrow what its user may do; a session acts with the user's
full rights. Either way, record visibility is still decided by the access helpers.
"""

from __future__ import annotations

import datetime as dt
import inspect
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja.errors import AuthorizationError, HttpError
from ninja.operation import Operation
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf, contribute_operation_callback

from peyvand.access.choices import ApiScope
from peyvand.access.models import ApiToken, User, hash_token
from peyvand.access.scopes import department_ids, roles_of

F = TypeVar("F", bound=Callable[..., Any])

# Writing last_used_at on every call would turn each read into a write.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)

_CACHE_ATTR = "_peyvand_api_token"

# The token, its user and the user's roles and departments are what every API request reads
# before anything else: resolved once, they are kept for a few seconds. Any change to a
# token, user, role or membership moves the generation (access.signals), so the change
# holds at once wherever the cache is shared (Redis) and in the process that made it; with
# the per-process memory cache, other processes follow within PRINCIPAL_TTL seconds.
PRINCIPAL_TTL = 10
_GENERATION_KEY = "peyvand:api-principals:generation"


def forget_principals() -> None:
    """Drop every cached token resolution, now and again when the transaction commits
    (a request in between may have cached what was still committed)."""
    cache.set(_GENERATION_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(_GENERATION_KEY, uuid.uuid4().hex, None))


def _principal_key(key_hash: str) -> str:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        if not cache.add(_GENERATION_KEY, generation, None):
            generation = cache.get(_GENERATION_KEY, generation)
    return f"peyvand:api-principal:{generation}:{key_hash}"


def _activate_language(request: HttpRequest, user: User) -> None:
    """An explicit Accept-Language wins; otherwise the user's saved language."""
    if "HTTP_ACCEPT_LANGUAGE" in request.META or not user.language:
        return
    translation.activate(user.language)
    request.LANGUAGE_CODE = user.language


def _cached_token(key: str) -> ApiToken | None:
    token: ApiToken | None = cache.get(key)
    # Expiry and deactivation are checked again: the cached copy may have outlived either.
    if token is not None and token.is_usable and token.user.is_active:
        return token
    return None


def _load_token(key_hash: str) -> ApiToken | None:
    token = ApiToken.objects.usable().select_related("user").filter(key_hash=key_hash).first()
    if token is not None:
        roles_of(token.user)
        department_ids(token.user)
    return token


def token_for(request: HttpRequest, raw: str) -> ApiToken | None:
    """The usable token behind a raw bearer value, looked up once per request."""
    if hasattr(request, _CACHE_ATTR):
        return cast(ApiToken | None, getattr(request, _CACHE_ATTR))
    token = None
    if raw:
        key_hash = hash_token(raw)
        key = _principal_key(key_hash)
        token = _cached_token(key)
        loaded = token is None
        if loaded:
            token = _load_token(key_hash)
        if token is not None and (_touch(token) or loaded):
            cache.set(key, token, PRINCIPAL_TTL)
    setattr(request, _CACHE_ATTR, token)
    return token


def _touch(token: ApiToken) -> bool:
    """Record the use at most once per LAST_USED_RESOLUTION; True when it was recorded."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    # Conditional so that concurrent requests with one token write at most once.
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
    return True


def bearer_value(request: HttpRequest) -> str | None:
    """The raw token of an `Authorization: Bearer` header, "" when the header is malformed,
    None when there is no Authorization header at all."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; only the token's SHA-256 is stored."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = token_for(request, token.strip())
        if api_token is None:
            return None
        _activate_language(request, api_token.user)
        return api_token.user


class SessionCsrfAuth(APIKeyCookie):
    """The signed-in staff UI calling the API: Django's session plus its CSRF check on
    unsafe methods. An explicit Authorization header is never second-guessed by a cookie."""

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> User | None:
        if "Authorization" in request.headers:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if check_csrf(request) is not None:
            raise HttpError(403, _("CSRF verification failed. Send the X-CSRFToken header."))
        return cast(User, user)


def api_user(request: HttpRequest) -> User:
    """The authenticated caller of an endpoint (set by the auth classes above)."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def identify(request: HttpRequest) -> User | None:
    """The caller, without the CSRF check: enough to scope an Idempotency-Key before
    the operation itself authenticates and authorises."""
    raw = bearer_value(request)
    if raw is not None:
        token = token_for(request, raw)
        return token.user if token is not None else None
    user = getattr(request, "user", None)
    return cast(User, user) if user is not None and user.is_authenticated else None


def request_token(request: HttpRequest) -> ApiToken | None:
    """The token this request authenticated with; None for a session."""
    return cast(ApiToken | None, getattr(request, _CACHE_ATTR, None))


def token_has_scope(token: ApiToken, scope: str) -> bool:
    granted = set(token.scopes or [])
    return ApiScope.ALL.value in granted or scope in granted


class MissingScope(AuthorizationError):
    def __init__(self, scope: str) -> None:
        super().__init__(
            message=_("This token does not carry the scope “%(scope)s”.") % {"scope": scope}
        )
        self.scope = scope


def require_scope(scope: ApiScope) -> Callable[[F], F]:
    """Refuse (403) a token without `scope`; sessions act with the user's own rights."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            token = request_token(request)
            if token is not None and not token_has_scope(token, scope.value):
                raise MissingScope(scope.value)
            return view(request, *args, **kwargs)

        # ninja resolves string annotations in the wrapper's module; resolve them in the view's.
        wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]

        def document(operation: Operation) -> None:
            note = f"Requires the token scope `{scope.value}`."
            operation.description = (
                f"{operation.description}\n\n{note}" if operation.description else note
            )
            operation.openapi_extra = {
                **(operation.openapi_extra or {}),
                "x-required-scope": scope.value,
            }

        contribute_operation_callback(wrapper, document)
        return cast(F, wrapper)

    return decorator


API_AUTH = [BearerTokenAuth(), SessionCsrfAuth()]
