"""The segment rule language: a tree of AND/OR groups of conditions, as JSON.

    {"match": "all", "children": [
        {"field": "profile.preferred_language", "operator": "eq", "value": "fa"},
        {"match": "any", "children": [
            {"field": "rfm.segment", "operator": "in", "value": ["champions", "loyal"]},
            {"field": "orders.count", "operator": "gte", "value": 3, "days": 90}
        ]}
    ]}

A condition names a field of the registry below, an operator its type allows, a value of
that type and the field's parameters (a time window in days, a channel, a product...).
`validate_rules` checks a tree and returns it normalised; `compiler.compile_rules` turns a
valid tree into one queryset condition.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from peyvand.access.choices import Language
from peyvand.analytics.models.rfm import Segment as RfmSegment
from peyvand.channels.choices import Direction, InteractionChannel
from peyvand.customers.choices import Channel, ConsentPurpose, CustomFieldType, PartyKind
from peyvand.marketing.choices import Source
from peyvand.personalization.choices import Outcome
from peyvand.tracking.choices import EventType

MAX_DEPTH = 4
MAX_CONDITIONS = 40
MAX_DAYS = 3650
MAX_FUNNEL_STEPS = 5

# Value types and the operators each allows.
OPERATORS: dict[str, tuple[str, ...]] = {
    "text": ("eq", "ne", "contains", "is_set", "is_empty"),
    "choice": ("eq", "ne", "in", "not_in"),
    "number": ("gt", "gte", "lt", "lte", "eq", "ne", "is_set", "is_empty"),
    "count": ("gte", "gt", "lt", "lte", "eq"),
    "amount": ("gte", "gt", "lt", "lte"),
    "date": ("in_last_days", "not_in_last_days", "before", "after"),
    "bool": ("is_true", "is_false"),
    "tag": ("has_any", "has_none"),
    "consent": ("granted", "not_granted", "withdrawn"),
    "funnel": ("completed", "not_completed"),
}
OPERATOR_LABELS: dict[str, Promise] = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "contains": gettext_lazy("contains"),
    "is_set": gettext_lazy("is known"),
    "is_empty": gettext_lazy("is unknown"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "gt": gettext_lazy("more than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "in_last_days": gettext_lazy("in the last N days"),
    "not_in_last_days": gettext_lazy("not in the last N days"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "is_true": gettext_lazy("is yes"),
    "is_false": gettext_lazy("is no"),
    "has_any": gettext_lazy("has any of"),
    "has_none": gettext_lazy("has none of"),
    "granted": gettext_lazy("granted"),
    "not_granted": gettext_lazy("not granted"),
    "withdrawn": gettext_lazy("withdrawn"),
    "completed": gettext_lazy("completed"),
    "not_completed": gettext_lazy("did not complete"),
}
# Operators that take no value.
NO_VALUE = {"is_set", "is_empty", "is_true", "is_false", "granted", "not_granted", "withdrawn"}
NO_VALUE |= {"completed", "not_completed"}
LIST_VALUE = {"in", "not_in", "has_any", "has_none"}


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: Any
    group: Any
    type: str
    source: str
    choices: Callable[[], list[tuple[str, str]]] | None = None
    params: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.type]


def _choices(enum: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(v), str(label)) for v, label in enum.choices]


_PROFILE = gettext_lazy("Profile")
_SCORES = gettext_lazy("Scores")
_ACTIVITY = gettext_lazy("Activity")

FIELDS: dict[str, FieldSpec] = {
    spec.key: spec
    for spec in [
        FieldSpec(
            "profile.kind",
            gettext_lazy("Kind"),
            _PROFILE,
            "choice",
            Source.PROFILE,
            _choices(PartyKind),
        ),
        FieldSpec(
            "profile.preferred_language",
            gettext_lazy("Preferred language"),
            _PROFILE,
            "choice",
            Source.PROFILE,
            _choices(Language),
        ),
        FieldSpec(
            "profile.preferred_channel",
            gettext_lazy("Preferred channel"),
            _PROFILE,
            "choice",
            Source.PROFILE,
            _choices(Channel),
        ),
        FieldSpec("profile.display_name", gettext_lazy("Name"), _PROFILE, "text", Source.PROFILE),
        FieldSpec("profile.currency", gettext_lazy("Currency"), _PROFILE, "text", Source.PROFILE),
        FieldSpec(
            "profile.created_at", gettext_lazy("Customer since"), _PROFILE, "date", Source.PROFILE
        ),
        FieldSpec("tags", gettext_lazy("Tags"), _PROFILE, "tag", Source.TAGS),
        FieldSpec(
            "consent",
            gettext_lazy("Consent"),
            _PROFILE,
            "consent",
            Source.CONSENT,
            params=("channel", "purpose"),
            required=("channel",),
        ),
        FieldSpec(
            "rfm.segment",
            gettext_lazy("RFM segment"),
            _SCORES,
            "choice",
            Source.SCORES,
            _choices(RfmSegment),
        ),
        FieldSpec("rfm.r", gettext_lazy("RFM recency score"), _SCORES, "number", Source.SCORES),
        FieldSpec("rfm.f", gettext_lazy("RFM frequency score"), _SCORES, "number", Source.SCORES),
        FieldSpec("rfm.m", gettext_lazy("RFM monetary score"), _SCORES, "number", Source.SCORES),
        FieldSpec(
            "clv.value", gettext_lazy("Lifetime value, 12 months"), _SCORES, "number", Source.SCORES
        ),
        FieldSpec(
            "clv.p_alive", gettext_lazy("Probability alive"), _SCORES, "number", Source.SCORES
        ),
        FieldSpec("churn.risk", gettext_lazy("Churn risk"), _SCORES, "number", Source.SCORES),
        FieldSpec(
            "orders.count",
            gettext_lazy("Orders"),
            _ACTIVITY,
            "count",
            Source.ORDERS,
            params=("days",),
        ),
        FieldSpec(
            "orders.total",
            gettext_lazy("Amount spent"),
            _ACTIVITY,
            "amount",
            Source.ORDERS,
            params=("days", "currency"),
            required=("currency",),
        ),
        FieldSpec(
            "orders.product",
            gettext_lazy("Orders of a product"),
            _ACTIVITY,
            "count",
            Source.ORDERS,
            params=("product", "days"),
            required=("product",),
        ),
        FieldSpec(
            "interactions.count",
            gettext_lazy("Interactions"),
            _ACTIVITY,
            "count",
            Source.INTERACTIONS,
            params=("channel", "direction", "days"),
        ),
        FieldSpec(
            "events.count",
            gettext_lazy("Website events"),
            _ACTIVITY,
            "count",
            Source.EVENTS,
            params=("event_type", "event_name", "days"),
        ),
        FieldSpec(
            "events.funnel",
            gettext_lazy("Website funnel"),
            _ACTIVITY,
            "funnel",
            Source.EVENTS,
            params=("steps", "days"),
            required=("steps",),
        ),
        FieldSpec(
            "offers.responses",
            gettext_lazy("Offer responses"),
            _ACTIVITY,
            "count",
            Source.OFFERS,
            params=("outcome", "offer", "days"),
        ),
    ]
}

PARAM_LABELS: dict[str, Promise] = {
    "days": gettext_lazy("in the last N days"),
    "channel": gettext_lazy("channel"),
    "purpose": gettext_lazy("purpose"),
    "direction": gettext_lazy("direction"),
    "currency": gettext_lazy("currency"),
    "product": gettext_lazy("product id"),
    "event_type": gettext_lazy("event type"),
    "event_name": gettext_lazy("event name"),
    "outcome": gettext_lazy("answer"),
    "offer": gettext_lazy("offer id"),
    "steps": gettext_lazy("steps"),
}

_CUSTOM_TYPES: dict[str, str] = {
    CustomFieldType.NUMBER: "number",
    CustomFieldType.DATE: "date",
    CustomFieldType.BOOLEAN: "bool",
    CustomFieldType.CHOICE: "choice",
}


def _listed(options: list[tuple[str, str]]) -> Callable[[], list[tuple[str, str]]]:
    return lambda: options


def custom_fields() -> dict[str, FieldSpec]:
    """One field per active custom field definition, typed like the definition."""
    from peyvand.customers.models import CustomFieldDefinition

    specs = {}
    for definition in CustomFieldDefinition.objects.filter(is_active=True):
        kind = _CUSTOM_TYPES.get(str(definition.field_type), "text")
        options = [(str(c), str(c)) for c in definition.choices or []]
        specs[f"custom.{definition.key}"] = FieldSpec(
            f"custom.{definition.key}",
            str(definition),
            gettext_lazy("Custom fields"),
            kind,
            Source.PROFILE,
            _listed(options) if kind == "choice" else None,
            extra={"custom_key": definition.key},
        )
    return specs


def field_spec(key: str, custom: dict[str, FieldSpec] | None = None) -> FieldSpec | None:
    if key.startswith("custom."):
        return (custom if custom is not None else custom_fields()).get(key)
    return FIELDS.get(key)


def all_fields() -> list[FieldSpec]:
    return [*FIELDS.values(), *custom_fields().values()]


# Parameter checkers: each returns the normalised value or raises ValidationError.


def _int(value: Any, low: int, high: int) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            _("Give a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return value


def _one_of(values: list[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in values:
            raise ValidationError(
                _("“%(value)s” is not one of: %(known)s.")
                % {"value": value, "known": ", ".join(values)}
            )
        return str(value)

    return check


def _existing(model_path: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        from django.apps import apps

        pk = _int(value, 1, 2**62)
        if not apps.get_model(model_path).objects.filter(pk=pk).exists():
            raise ValidationError(_("No record has the id %(id)s.") % {"id": pk})
        return pk

    return check


def _currency(value: Any) -> str:
    if not isinstance(value, str) or len(value.strip()) != 3 or not value.strip().isalpha():
        raise ValidationError(_("Give a three-letter currency code, such as IRR."))
    return value.strip().upper()


def _event_name(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 100:
        raise ValidationError(_("Give a name of at most 100 characters."))
    return value.strip()


def _steps(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or not 2 <= len(value) <= MAX_FUNNEL_STEPS:
        raise ValidationError(
            _("A funnel has from 2 to %(max)s steps.") % {"max": MAX_FUNNEL_STEPS}
        )
    steps = []
    for step in value:
        if not isinstance(step, dict):
            raise ValidationError(_("Each step needs an event type."))
        steps.append(
            {
                "event_type": _one_of(list(EventType.values))(step.get("event_type")),
                "event_name": _event_name(step.get("event_name", "")),
            }
        )
    return steps


PARAMS: dict[str, Callable[[Any], Any]] = {
    "days": lambda v: _int(v, 1, MAX_DAYS),
    "purpose": _one_of(list(ConsentPurpose.values)),
    "direction": _one_of(list(Direction.values)),
    "currency": _currency,
    "product": _existing("catalog.Product"),
    "event_type": _one_of(list(EventType.values)),
    "event_name": _event_name,
    "outcome": _one_of(list(Outcome.values)),
    "offer": _existing("personalization.Offer"),
    "steps": _steps,
}


def _channel_checker(spec: FieldSpec) -> Callable[[Any], str]:
    # Consent is given per contact channel; interactions happen on interaction channels.
    enum = Channel if spec.type == "consent" else InteractionChannel
    return _one_of(list(enum.values))


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValidationError(_("Give a number."))
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Give a number.")) from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ValidationError(_("Give a number."))
    return int(number) if number.is_integer() else number


def _amount(value: Any) -> str:
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(_("Give an amount, such as 1500000.")) from exc
    if not amount.is_finite() or amount < 0:
        raise ValidationError(_("Give an amount, such as 1500000."))
    return str(amount)


def _date(value: Any) -> str:
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise ValidationError(_("Give a date as YYYY-MM-DD.")) from exc


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationError(_("Give a text of 1 to 200 characters."))
    return value.strip()


def _value(spec: FieldSpec, operator: str, value: Any) -> Any:
    if operator in NO_VALUE:
        return None
    if operator in LIST_VALUE:
        items = value if isinstance(value, list) else [value]
        if not items or len(items) > 100:
            raise ValidationError(_("Give at least one value."))
        return [_single(spec, operator, item) for item in items]
    return _single(spec, operator, value)


def _single(spec: FieldSpec, operator: str, value: Any) -> Any:
    if spec.type == "choice":
        options = [v for v, _label in spec.choices()] if spec.choices else []
        return _one_of(options)(value)
    if spec.type in ("text", "tag"):
        return _text(value)
    if spec.type == "number":
        return _number(value)
    if spec.type == "count":
        return _int(value, 0, 1_000_000)
    if spec.type == "amount":
        return _amount(value)
    if spec.type == "date":
        if operator in ("in_last_days", "not_in_last_days"):
            return _int(value, 1, MAX_DAYS)
        return _date(value)
    return value


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.conditions = 0
        self.custom: dict[str, FieldSpec] | None = None

    def node(self, node: Any, path: str, depth: int) -> dict[str, Any] | None:
        if not isinstance(node, dict):
            self.errors.append(_("%(path)s: expected a condition or a group.") % {"path": path})
            return None
        if "children" in node or "match" in node:
            return self.group(node, path, depth)
        return self.condition(node, path)

    def group(self, node: dict[str, Any], path: str, depth: int) -> dict[str, Any] | None:
        match = node.get("match", "all")
        if match not in ("all", "any"):
            self.errors.append(_("%(path)s: a group matches “all” or “any”.") % {"path": path})
        if depth > MAX_DEPTH:
            self.errors.append(
                _("%(path)s: groups nest at most %(max)s deep.") % {"path": path, "max": MAX_DEPTH}
            )
            return None
        children = node.get("children")
        if not isinstance(children, list):
            self.errors.append(_("%(path)s: a group needs a list of children.") % {"path": path})
            return None
        checked = [
            self.node(child, f"{path}.{i + 1}", depth + 1) for i, child in enumerate(children)
        ]
        return {"match": match, "children": [c for c in checked if c is not None]}

    def condition(self, node: dict[str, Any], path: str) -> dict[str, Any] | None:
        self.conditions += 1
        key = node.get("field")
        if isinstance(key, str) and key.startswith("custom.") and self.custom is None:
            self.custom = custom_fields()
        spec = field_spec(key, self.custom) if isinstance(key, str) else None
        if spec is None:
            self.errors.append(
                _("%(path)s: unknown field “%(field)s”.") % {"path": path, "field": key}
            )
            return None
        operator = node.get("operator")
        if operator not in spec.operators:
            self.errors.append(
                _("%(path)s: “%(operator)s” cannot be used with %(field)s; use one of: %(known)s.")
                % {
                    "path": path,
                    "operator": operator,
                    "field": spec.label,
                    "known": ", ".join(spec.operators),
                }
            )
            return None
        out: dict[str, Any] = {"field": spec.key, "operator": operator}
        try:
            value = _value(spec, operator, node.get("value"))
        except ValidationError as exc:
            self.errors.append(f"{path} ({spec.label}): {' '.join(exc.messages)}")
            return None
        if value is not None:
            out["value"] = value
        unknown = sorted(set(node) - {"field", "operator", "value", *spec.params})
        if unknown:
            self.errors.append(
                _("%(path)s: %(field)s takes no “%(param)s”.")
                % {"path": path, "field": spec.label, "param": ", ".join(unknown)}
            )
        for param in spec.params:
            raw = node.get(param)
            if raw in (None, ""):
                if param in spec.required:
                    self.errors.append(
                        _("%(path)s: %(field)s needs the %(param)s.")
                        % {"path": path, "field": spec.label, "param": PARAM_LABELS[param]}
                    )
                continue
            checker = _channel_checker(spec) if param == "channel" else PARAMS[param]
            try:
                out[param] = checker(raw)
            except ValidationError as exc:
                self.errors.append(
                    f"{path} ({spec.label}, {PARAM_LABELS[param]}): {' '.join(exc.messages)}"
                )
        return out


def validate_rules(tree: Any) -> dict[str, Any]:
    """The tree, normalised; a ValidationError listing every problem, each with its place
    in the tree ("1.2" is the second child of the first), in the user's language."""
    if tree in (None, {}):
        tree = {"match": "all", "children": []}
    if not isinstance(tree, dict) or "children" not in tree:
        raise ValidationError(_('Rules must be a group: {"match": "all", "children": [...]}.'))
    checker = _Checker()
    checked = checker.group(tree, "1", 1)
    if checker.conditions > MAX_CONDITIONS:
        checker.errors.append(
            _("A segment has at most %(max)s conditions.") % {"max": MAX_CONDITIONS}
        )
    if checker.errors or checked is None:
        raise ValidationError(checker.errors)
    return checked


def sources_of(tree: dict[str, Any]) -> list[str]:
    """The data kinds a valid tree reads (for event-driven re-evaluation)."""
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        if "children" in node:
            for child in node["children"]:
                walk(child)
        else:
            key = node["field"]
            found.add(Source.PROFILE if key.startswith("custom.") else FIELDS[key].source)

    walk(tree)
    return sorted(found)
