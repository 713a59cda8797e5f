"""Eligibility rules of an offer: a small JSON object, validated on save, evaluated on the profile.

    {"languages": ["fa"], "channels": ["sms", "email"], "min_orders": 1, "max_orders": 10,
     "owns_product": 12, "not_owns_product": 7, "churn_bands": ["high"],
     "segments": ["at_risk", "hibernating"]}

Every key is optional and all given keys must hold. A rule about a feature the profile does
not have (churn band or segment before those models run) does not hold: an offer meant for
high-risk customers is not shown to customers whose risk is unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from peyvand.access.choices import Language
from peyvand.customers.choices import Channel
from peyvand.personalization.choices import ChurnBand


def _strings(allowed: set[str] | None) -> Callable[[Any], list[str]]:
    def check(value: Any) -> list[str]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ValidationError(_("Give a non-empty list of values."))
        unknown = sorted(set(value) - allowed) if allowed is not None else []
        if unknown:
            raise ValidationError(_("Unknown values: %(values)s.") % {"values": ", ".join(unknown)})
        return value

    return check


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(_("Give a whole number of at least 0."))
    return value


def _product(value: Any) -> int:
    from peyvand.catalog.models import Product

    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("Give a product id."))
    if not Product.objects.filter(pk=value).exists():
        raise ValidationError(_("No product has the id %(id)s.") % {"id": value})
    return value


VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "languages": _strings(set(Language.values)),
    "channels": _strings(set(Channel.values)),
    "min_orders": _count,
    "max_orders": _count,
    "owns_product": _product,
    "not_owns_product": _product,
    "churn_bands": _strings(set(ChurnBand.values)),
    "segments": _strings(None),
}


def validate_rules(rules: Any) -> None:
    """Raise a ValidationError naming each bad key; an empty object means everyone."""
    if not isinstance(rules, dict):
        raise ValidationError(_("Rules must be a JSON object."))
    problems: list[str] = []
    for key, value in rules.items():
        validator = VALIDATORS.get(key)
        if validator is None:
            problems.append(
                _("Unknown rule “%(key)s”; known rules: %(known)s.")
                % {"key": key, "known": ", ".join(VALIDATORS)}
            )
            continue
        try:
            validator(value)
        except ValidationError as exc:
            problems.append(f"{key}: {' '.join(exc.messages)}")
    if rules.get("min_orders", 0) > rules.get("max_orders", float("inf")):
        problems.append(_("min_orders cannot be larger than max_orders."))
    if problems:
        raise ValidationError(problems)


def matches(rules: Mapping[str, Any], profile: Mapping[str, Any]) -> bool:
    """Whether a customer with this profile may be offered it."""
    if "languages" in rules and profile.get("language") not in rules["languages"]:
        return False
    if "channels" in rules and profile.get("preferred_channel") not in rules["channels"]:
        return False
    orders = profile.get("frequency", 0)
    if orders < rules.get("min_orders", 0) or orders > rules.get("max_orders", orders):
        return False
    owned = profile.get("owned_products") or ()
    if "owns_product" in rules and rules["owns_product"] not in owned:
        return False
    if "not_owns_product" in rules and rules["not_owns_product"] in owned:
        return False
    if "churn_bands" in rules and profile.get("churn_risk_band") not in rules["churn_bands"]:
        return False
    return not ("segments" in rules and profile.get("segment") not in rules["segments"])
