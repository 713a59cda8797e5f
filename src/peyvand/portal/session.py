"""Who the signed-in customer is on the portal.

Portal customers are not staff users: the session holds the customer's primary key under
its own key, so a staff session and a portal session never stand in for each other, and
every portal read is scoped to ``request.portal_customer``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.http import urlencode

from peyvand.customers.models import Customer

SESSION_KEY = "peyvand_portal_customer"


def current_customer(request: HttpRequest) -> Customer | None:
    """The signed-in portal customer, or None (also when the customer was since deleted)."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    return Customer.objects.filter(pk=pk).first()


def sign_in(request: HttpRequest, customer: Customer) -> None:
    # A new session id at sign-in, so a session fixed before sign-in is worth nothing after.
    request.session.cycle_key()
    request.session[SESSION_KEY] = customer.pk


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def portal_login_required(
    view: Callable[..., HttpResponseBase],
) -> Callable[..., HttpResponseBase]:
    """Sets ``request.portal_customer``; without one, redirects to the portal sign-in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        customer = current_customer(request)
        if customer is None:
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('portal:sign_in')}?{query}")
        request.portal_customer = customer  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped
