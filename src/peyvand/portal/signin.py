"""Portal sign-in without a password: a one-time code and a magic link sent to an email
address or phone number already on file for a customer.

What the asker learns is the same whether the address is on file or not: `request_code`
answers nothing, and a wrong code, an expired one and one for an unknown address fail
alike. Sends and attempts are rate limited per address and per customer; a code expires
after `CODE_LIFETIME`, works once, and dies after `MAX_FAILED_ATTEMPTS` wrong tries.

Functions take `now` so tests move the clock themselves.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from peyvand.channels.email.services import send_email
from peyvand.channels.sms.services import send_sms
from peyvand.core.ratelimit import take_slot
from peyvand.core.text import normalize_email, normalize_phone
from peyvand.customers.choices import ContactKind
from peyvand.customers.models import ContactPoint, Customer
from peyvand.portal.models import SignInCode

log = logging.getLogger(__name__)

CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_FAILED_ATTEMPTS = 5
# (limit, window in seconds) per bucket.
SENDS_PER_ADDRESS = (3, 15 * 60)
SENDS_PER_CUSTOMER = (6, 60 * 60)
SENDS_PER_CLIENT = (20, 60 * 60)
ATTEMPTS_PER_ADDRESS = (10, 15 * 60)
_HASH_SALT = "peyvand.portal.sign-in"


class RateLimited(Exception):
    def __init__(self, wait: int) -> None:
        super().__init__(wait)
        self.wait = wait


@dataclass(frozen=True)
class Address:
    kind: str
    value: str


def parse_address(text: str) -> Address:
    """An email address or a phone number, normalised; ValidationError otherwise."""
    text = (text or "").strip()
    if "@" in text:
        email = normalize_email(text)
        if email.count("@") == 1 and "." in email.rpartition("@")[2] and len(email) <= 254:
            return Address(ContactKind.EMAIL, email)
        raise ValidationError({"address": _("Enter a valid email address or mobile number.")})
    phone = normalize_phone(text)
    if not phone:
        raise ValidationError({"address": _("Enter a valid email address or mobile number.")})
    return Address(ContactKind.PHONE, phone)


def _digest(purpose: str, value: str) -> str:
    return salted_hmac(f"{_HASH_SALT}.{purpose}", value, algorithm="sha256").hexdigest()


def address_key(address: Address) -> str:
    return _digest("address", f"{address.kind}:{address.value}")


def _throttle(bucket: str, key: str, rule: tuple[int, int], now: dt.datetime) -> None:
    wait = take_slot(f"portal-{bucket}:{key}", limit=rule[0], window=rule[1], at=now)
    if wait:
        raise RateLimited(wait)


def _contact_for(address: Address) -> ContactPoint | None:
    # The oldest alive customer with this address on file: the one the address was first
    # given for (a merged duplicate is in the recycle bin and never matches).
    return (
        ContactPoint.objects.filter(
            kind=address.kind, normalized=address.value, customer__deleted_at__isnull=True
        )
        .select_related("customer")
        .order_by("customer_id", "pk")
        .first()
    )


def request_code(
    address: Address,
    *,
    link_for: Callable[[str], str],
    client: str = "",
    now: dt.datetime | None = None,
) -> None:
    """Send a code and a link when the address is on file; silently nothing otherwise.
    Raises RateLimited (the same for known and unknown addresses) when asked too often."""
    when = now or timezone.now()
    key = address_key(address)
    if client:
        _throttle("send-client", client, SENDS_PER_CLIENT, when)
    _throttle("send-address", key, SENDS_PER_ADDRESS, when)
    point = _contact_for(address)
    if point is None:
        return
    customer = point.customer
    try:
        _throttle("send-customer", str(customer.pk), SENDS_PER_CUSTOMER, when)
    except RateLimited:
        # Telling the asker would say the address is on file; the customer has codes enough.
        return
    code = f"{secrets.randbelow(10**6):06d}"
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # One live code per address: asking again retires the previous one.
        SignInCode.objects.filter(address_hash=key, used_at__isnull=True).update(used_at=when)
        SignInCode.objects.create(
            customer=customer,
            contact_point=point,
            kind=address.kind,
            address_hash=key,
            code_hash=_digest("code", f"{key}:{code}"),
            link_hash=_digest("link", token),
            created_at=when,
            expires_at=when + CODE_LIFETIME,
        )
        try:
            _deliver(customer, address, code=code, link=link_for(token))
        except ValidationError as exc:
            # No identity or gateway configured, or the channel refused: the asker must not
            # learn it from the answer, the operator learns it from the log.
            log.warning("portal sign-in code not sent to customer %s: %s", customer.pk, exc)


def _deliver(customer: Customer, address: Address, *, code: str, link: str) -> None:
    language = customer.preferred_language or "fa"
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    with translation.override(language):
        if address.kind == ContactKind.EMAIL:
            send_email(
                customer,
                actor=None,
                to=address.value,
                language=language,
                secret=True,
                subject=_("Your sign-in code: %(code)s") % {"code": code},
                body=_(
                    "Your code to sign in to the customer portal is %(code)s.\n\n"
                    "Or open this link: %(link)s\n\n"
                    "It works once, for %(minutes)d minutes. If you did not ask for it, "
                    "ignore this message."
                )
                % {"code": code, "link": link, "minutes": minutes},
            )
        else:
            send_sms(
                customer,
                actor=None,
                to=address.value,
                secret=True,
                body=_("Your portal sign-in code is %(code)s (valid %(minutes)d minutes).")
                % {"code": code, "minutes": minutes},
            )


def _invalid() -> ValidationError:
    return ValidationError({"code": _("This code is not right or has expired. Ask for a new one.")})


def _consume(row: SignInCode, when: dt.datetime) -> Customer:
    claimed = SignInCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=when)
    if not claimed:  # a concurrent request used it first
        raise _invalid()
    customer = Customer.objects.filter(pk=row.customer_id, deleted_at__isnull=True).first()
    if customer is None:
        raise _invalid()
    return customer


def _live(when: dt.datetime) -> dict[str, object]:
    return {"used_at__isnull": True, "expires_at__gt": when}


def verify_code(address: Address, code: str, *, now: dt.datetime | None = None) -> Customer:
    """The customer the code signs in; ValidationError for a wrong, used or expired code
    (or an address not on file), RateLimited after too many attempts on the address. Not
    one transaction: a wrong try must stay counted although the call fails."""
    when = now or timezone.now()
    key = address_key(address)
    _throttle("attempt-address", key, ATTEMPTS_PER_ADDRESS, when)
    code = "".join(ch for ch in (code or "") if not ch.isspace())
    row = SignInCode.objects.filter(address_hash=key, **_live(when)).first()
    if row is None:
        raise _invalid()
    if not hmac.compare_digest(row.code_hash, _digest("code", f"{key}:{code}")):
        SignInCode.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1)
        if row.failed_attempts + 1 >= MAX_FAILED_ATTEMPTS:
            SignInCode.objects.filter(pk=row.pk).update(used_at=when)
        raise _invalid()
    return _consume(row, when)


def verify_link(token: str, *, now: dt.datetime | None = None) -> Customer:
    """The customer a magic link signs in; ValidationError when it is unknown, used or
    expired."""
    when = now or timezone.now()
    row = SignInCode.objects.filter(link_hash=_digest("link", token or ""), **_live(when)).first()
    if row is None:
        raise _invalid()
    return _consume(row, when)
