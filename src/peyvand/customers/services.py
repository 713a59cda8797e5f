"""Every state change of customers: validated, in one transaction, written to the change log."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import moneyed
from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from peyvand.audit.choices import ChangeAction
from peyvand.audit.models import ChangeLog
from peyvand.audit.services import Change, diff, record, snapshot, write_changes
from peyvand.core.text import normalize_digits, normalize_email, normalize_phone, normalize_text
from peyvand.customers import events
from peyvand.customers.choices import (
    Channel,
    ConsentPurpose,
    ConsentStatus,
    ContactKind,
    CustomFieldType,
    PartyKind,
    RelationshipKind,
)
from peyvand.customers.models import (
    Consent,
    ContactPoint,
    Customer,
    CustomFieldDefinition,
    Relationship,
    Tag,
)
from peyvand.customers.search import name_key_for, search_text_for

CUSTOMER_FIELDS = (
    "display_name",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "preferred_language",
    "preferred_channel",
    "currency",
    "owner",
    "department",
    "notes",
    "external_ref",
)
MAX_TEXT_CUSTOM = 1000
MAX_TAG = 60
# Control characters (NUL breaks PostgreSQL text, the rest break CSV exports and layouts).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRUE = {"1", "true", "yes", "on", "y", "بله", "آری"}
_FALSE = {"0", "false", "no", "off", "n", "خیر", "نه"}


# --- validation helpers ---------------------------------------------------------------


def _clean_str(value: Any) -> str:
    text = "" if value is None else str(value)
    return unicodedata.normalize("NFC", text).strip()


def _has_control(value: str) -> bool:
    return bool(_CONTROL.search(value))


def normalize_contact(kind: str, value: Any) -> tuple[str, str]:
    """The stored value and its dedupe key; ValidationError with a readable message."""
    text = _clean_str(value)
    if not text:
        raise ValidationError(_("Enter a value."), code="required")
    if _has_control(text):
        raise ValidationError(_("Remove the control characters."), code="invalid")
    if kind == ContactKind.PHONE:
        e164 = normalize_phone(text)
        if not e164:
            raise ValidationError(
                _("“%(value)s” is not a valid phone number."),
                code="invalid_phone",
                params={"value": text},
            )
        return text, e164
    if kind == ContactKind.EMAIL:
        email = normalize_email(text)
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError(
                _("“%(value)s” is not a valid email address."),
                code="invalid_email",
                params={"value": text},
            ) from exc
        return email, email
    if kind == ContactKind.WEBSITE:
        url = text if "://" in text else f"https://{text}"
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise ValidationError(_("Enter a valid web address."), code="invalid_url") from exc
        return url, url.lower()
    if kind in (ContactKind.ADDRESS, ContactKind.MESSENGER):
        return text, normalize_text(text)
    raise ValidationError(_("Unknown kind of contact point."), code="invalid_kind")


def _custom_value(definition: CustomFieldDefinition, raw: Any) -> Any:
    """One custom value in its stored JSON form, or ValidationError."""
    kind = definition.field_type
    if kind == CustomFieldType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = normalize_text(str(raw))
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError(_("Choose yes or no."), code="invalid")
    text = normalize_digits(_clean_str(raw))
    if kind == CustomFieldType.NUMBER:
        try:
            number = Decimal(text.replace(",", "").replace("٬", ""))
        except InvalidOperation as exc:
            raise ValidationError(_("Enter a number."), code="invalid") from exc
        if not number.is_finite():
            raise ValidationError(_("Enter a number."), code="invalid")
        return int(number) if number == number.to_integral_value() else float(number)
    if _has_control(text):
        raise ValidationError(_("Remove the control characters."), code="invalid")
    if kind == CustomFieldType.DATE:
        try:
            parsed = parse_date(text)
        except ValueError:
            parsed = None
        if parsed is None:
            raise ValidationError(_("Enter a date as YYYY-MM-DD."), code="invalid")
        return parsed.isoformat()
    if kind == CustomFieldType.CHOICE:
        choices = [str(c) for c in definition.choices or []]
        if text not in choices:
            raise ValidationError(
                _("“%(value)s” is not one of the choices."),
                code="invalid_choice",
                params={"value": text},
            )
        return text
    if kind == CustomFieldType.EMAIL:
        return normalize_contact(ContactKind.EMAIL, text)[0]
    if kind == CustomFieldType.URL:
        return normalize_contact(ContactKind.WEBSITE, text)[0]
    if len(text) > MAX_TEXT_CUSTOM:
        raise ValidationError(
            _("Keep this under %(max)d characters."),
            code="max_length",
            params={"max": MAX_TEXT_CUSTOM},
        )
    return text


def validate_custom_fields(
    custom: Mapping[str, Any] | None,
    *,
    definitions: Iterable[CustomFieldDefinition] | None = None,
) -> dict[str, Any]:
    """Check values against the active definitions; the cleaned values, or a ValidationError
    keyed `custom.<key>` per bad field."""
    custom = dict(custom or {})
    if definitions is None:
        definitions = CustomFieldDefinition.objects.filter(is_active=True)
    defs = {d.key: d for d in definitions}
    errors: dict[str, list[ValidationError]] = {}
    cleaned: dict[str, Any] = {}
    for key in custom:
        if key not in defs:
            errors[f"custom.{key}"] = [
                ValidationError(_("There is no custom field “%(key)s”."), params={"key": key})
            ]
    for key, definition in defs.items():
        raw = custom.get(key)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if definition.required:
                errors[f"custom.{key}"] = [
                    ValidationError(_("This field is required."), code="required")
                ]
            continue
        try:
            cleaned[key] = _custom_value(definition, raw)
        except ValidationError as exc:
            errors[f"custom.{key}"] = [exc]
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_tags(tags: Iterable[Any]) -> list[str]:
    names: dict[str, None] = {}
    for tag in tags:
        name = re.sub(r"\s+", " ", _clean_str(getattr(tag, "name", tag)))
        if not name:
            continue
        if len(name) > MAX_TAG or _has_control(name):
            raise ValidationError(
                {"tags": [_("Tag “%(tag)s” is too long or malformed.") % {"tag": name[:MAX_TAG]}]}
            )
        names.setdefault(name, None)
    return list(names)


def _clean_contact_points(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned, errors = [], {}
    for index, item in enumerate(items):
        kind = _clean_str(item.get("kind"))
        label = _clean_str(item.get("label"))
        try:
            if kind not in ContactKind.values:
                raise ValidationError(_("Choose a kind of contact point."), code="invalid_kind")
            value, normalized = normalize_contact(kind, item.get("value"))
        except ValidationError as exc:
            errors[f"contact_points.{index}.value"] = [exc]
            continue
        if len(value) > 500 or len(label) > 60:
            errors[f"contact_points.{index}.value"] = [ValidationError(_("This is too long."))]
            continue
        cleaned.append(
            {
                "kind": kind,
                "value": value,
                "normalized": normalized,
                "label": label,
                "is_primary": bool(item.get("is_primary")),
            }
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _merge_errors(*errors: ValidationError) -> ValidationError:
    combined: dict[str, list[Any]] = defaultdict(list)
    for error in errors:
        for field, messages in error.update_error_dict({}).items():
            combined[field].extend(messages)
    return ValidationError(dict(combined))


# --- search text ------------------------------------------------------------------------


def _searchable_custom(custom: Mapping[str, Any]) -> dict[str, Any]:
    keys = set(
        CustomFieldDefinition.objects.filter(searchable=True, is_active=True).values_list(
            "key", flat=True
        )
    )
    return {k: v for k, v in custom.items() if k in keys}


def refresh_search_fields(customer: Customer) -> None:
    """Recompute `search_text` and `name_key` from the saved rows and store them."""
    customer.name_key = name_key_for(customer.display_name)
    customer.search_text = search_text_for(
        display_name=customer.display_name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        organization_name=customer.organization_name,
        contact_values=ContactPoint.objects.filter(customer=customer).values_list(
            "normalized", flat=True
        ),
        tags=customer.tags.values_list("name", flat=True),
        custom=_searchable_custom(customer.custom or {}),
    )
    Customer.objects.filter(pk=customer.pk).update(
        name_key=customer.name_key, search_text=customer.search_text
    )


# --- customers --------------------------------------------------------------------------


def _apply_fields(customer: Customer, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    errors: dict[str, list[Any]] = {}
    for field in CUSTOMER_FIELDS:
        if field not in values:
            continue
        value = values[field]
        if field in ("owner", "department"):
            setattr(customer, field, value)
            continue
        text = _clean_str(value)
        if _has_control(text):
            errors[field] = [_("Remove the control characters.")]
        setattr(customer, field, text)
    if not customer.display_name:
        derived = " ".join(p for p in (customer.first_name, customer.last_name) if p)
        customer.display_name = derived or customer.organization_name
    customer.currency = customer.currency.upper()
    if customer.currency:
        try:
            moneyed.get_currency(code=customer.currency)
        except moneyed.CurrencyDoesNotExist:
            errors["currency"] = [
                _("“%(code)s” is not a currency code.") % {"code": customer.currency}
            ]
    if customer.kind == PartyKind.ORGANIZATION and not customer.organization_name:
        customer.organization_name = customer.display_name
    return errors


def _full_clean(customer: Customer, extra: Mapping[str, list[Any]]) -> None:
    errors: dict[str, list[Any]] = {k: list(v) for k, v in extra.items()}
    try:
        customer.full_clean(
            exclude=["tags", "search_text", "name_key", "custom"], validate_unique=False
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _set_tags(customer: Customer, names: list[str], *, actor: Any) -> None:
    before = sorted(customer.tags.values_list("name", flat=True))
    if before == sorted(names):
        return
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    tags = [existing.get(n) or Tag.objects.get_or_create(name=n)[0] for n in names]
    customer.tags.set(tags)
    write_changes(
        [
            Change(
                ChangeAction.UPDATE,
                customer,
                {"tags": before},
                {"tags": sorted(names)},
            )
        ],
        actor=actor,
    )


def _add_contact_rows(customer: Customer, rows: list[dict[str, Any]], *, actor: Any) -> None:
    for row in rows:
        _create_contact_point(customer, actor=actor, **row)


def _create_contact_point(
    customer: Customer,
    *,
    actor: Any,
    kind: str,
    value: str,
    normalized: str,
    label: str = "",
    is_primary: bool = False,
) -> ContactPoint:
    siblings = ContactPoint.objects.filter(customer=customer, kind=kind)
    if not is_primary and not siblings.filter(is_primary=True).exists():
        is_primary = True
    if is_primary:
        for other in siblings.filter(is_primary=True):
            with record(other, actor=actor):
                other.is_primary = False
                other.save(update_fields=["is_primary", "updated_at"])
    point = ContactPoint(
        customer=customer,
        kind=kind,
        value=value,
        normalized=normalized,
        label=label,
        is_primary=is_primary,
    )
    with record(point, actor=actor):
        point.save()
    return point


def create_customer(
    *,
    actor: Any,
    display_name: str,
    kind: str = PartyKind.PERSON,
    first_name: str = "",
    last_name: str = "",
    organization_name: str = "",
    preferred_language: str = "fa",
    preferred_channel: str = "",
    currency: str = "IRR",
    owner: Any = None,
    department: Any = None,
    notes: str = "",
    external_ref: str = "",
    tags: Iterable[Any] = (),
    custom: Mapping[str, Any] | None = None,
    contact_points: Iterable[Mapping[str, Any]] = (),
) -> Customer:
    """A new customer with its contact points, tags and custom values, or a ValidationError
    listing every bad field (nothing is written then)."""
    customer = Customer()
    values = {
        "display_name": display_name,
        "kind": kind,
        "first_name": first_name,
        "last_name": last_name,
        "organization_name": organization_name,
        "preferred_language": preferred_language,
        "preferred_channel": preferred_channel,
        "currency": currency,
        "owner": owner,
        "department": department,
        "notes": notes,
        "external_ref": external_ref,
    }
    problems: list[ValidationError] = []
    field_errors = _apply_fields(customer, values)
    try:
        _full_clean(customer, field_errors)
    except ValidationError as exc:
        problems.append(exc)
    try:
        customer.custom = validate_custom_fields(custom)
    except ValidationError as exc:
        problems.append(exc)
    try:
        tag_names = _clean_tags(tags)
    except ValidationError as exc:
        problems.append(exc)
    try:
        points = _clean_contact_points(contact_points)
    except ValidationError as exc:
        problems.append(exc)
    if problems:
        raise _merge_errors(*problems)
    with transaction.atomic():
        with record(customer, actor=actor):
            customer.name_key = name_key_for(customer.display_name)
            customer.save()
        _set_tags(customer, tag_names, actor=actor)
        _add_contact_rows(customer, points, actor=actor)
        refresh_search_fields(customer)
        events.customer_created(customer)
    return customer


def update_customer(customer: Customer, *, actor: Any, **changes: Any) -> Customer:
    """Change the given fields; `tags`, `custom` and `contact_points` replace when given."""
    allowed = {*CUSTOMER_FIELDS, "tags", "custom", "contact_points"}
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.is_deleted:
            raise ValidationError(_("This customer is in the recycle bin."))
        # Taken before the fields are applied: a snapshot taken after would equal the new
        # state and the change would go unlogged.
        before = snapshot(customer)
        problems: list[ValidationError] = []
        field_errors = _apply_fields(customer, changes)
        try:
            _full_clean(customer, field_errors)
        except ValidationError as exc:
            problems.append(exc)
        if "custom" in changes:
            try:
                cleaned = validate_custom_fields(changes["custom"])
                # Values of deactivated fields are kept: switching a field off must not
                # erase what was recorded while it was on.
                inactive = set(
                    CustomFieldDefinition.objects.filter(is_active=False).values_list(
                        "key", flat=True
                    )
                )
                kept = {k: v for k, v in (customer.custom or {}).items() if k in inactive}
                customer.custom = {**kept, **cleaned}
            except ValidationError as exc:
                problems.append(exc)
        tag_names: list[str] | None = None
        if "tags" in changes:
            try:
                tag_names = _clean_tags(changes["tags"] or ())
            except ValidationError as exc:
                problems.append(exc)
        points: list[dict[str, Any]] | None = None
        if "contact_points" in changes:
            try:
                points = _clean_contact_points(changes["contact_points"] or ())
            except ValidationError as exc:
                problems.append(exc)
        if problems:
            raise _merge_errors(*problems)
        customer.name_key = name_key_for(customer.display_name)
        customer.save()
        after = snapshot(customer)
        changed = diff(before, after)
        if changed:
            write_changes([Change(ChangeAction.UPDATE, customer, before, after)], actor=actor)
        if tag_names is not None:
            _set_tags(customer, tag_names, actor=actor)
        if points is not None:
            _replace_contact_points(customer, points, actor=actor)
        refresh_search_fields(customer)
        if changed or tag_names is not None or points is not None:
            events.customer_updated(customer, list(changes))
    return customer


def _replace_contact_points(
    customer: Customer, points: list[dict[str, Any]], *, actor: Any
) -> None:
    """Make the customer's contact points exactly `points`, keeping rows that did not change
    (their history and ids survive an edit of an unrelated field)."""
    existing = list(ContactPoint.objects.filter(customer=customer).order_by("pk"))
    wanted = list(points)
    for point in existing:
        match = next(
            (w for w in wanted if w["kind"] == point.kind and w["normalized"] == point.normalized),
            None,
        )
        if match is None:
            remove_contact_point(point, actor=actor)
            continue
        wanted.remove(match)
        with record(point, actor=actor):
            point.value, point.label = match["value"], match["label"]
            point.is_primary = match["is_primary"]
            point.save()
    _add_contact_rows(customer, wanted, actor=actor)
    for kind in {p.kind for p in ContactPoint.objects.filter(customer=customer)}:
        rows = ContactPoint.objects.filter(customer=customer, kind=kind)
        if not rows.filter(is_primary=True).exists():
            first = rows.order_by("pk").first()
            if first is not None:
                with record(first, actor=actor):
                    first.is_primary = True
                    first.save(update_fields=["is_primary", "updated_at"])


def add_contact_point(
    customer: Customer,
    *,
    actor: Any,
    kind: str,
    value: str,
    label: str = "",
    is_primary: bool = False,
) -> ContactPoint:
    try:
        (point,) = _clean_contact_points(
            [{"kind": kind, "value": value, "label": label, "is_primary": is_primary}]
        )
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from exc
    with transaction.atomic():
        created = _create_contact_point(
            customer,
            actor=actor,
            kind=point["kind"],
            value=point["value"],
            normalized=point["normalized"],
            label=point["label"],
            is_primary=point["is_primary"],
        )
        refresh_search_fields(customer)
    return created


def remove_contact_point(contact_point: ContactPoint, *, actor: Any) -> None:
    with transaction.atomic():
        customer = contact_point.customer
        write_changes(
            [Change(ChangeAction.DELETE, contact_point, snapshot(contact_point), None)],
            actor=actor,
        )
        contact_point.delete()
        refresh_search_fields(customer)


def set_consent(
    customer: Customer,
    *,
    actor: Any,
    channel: str,
    purpose: str,
    status: str,
    source: str,
    recorded_at: dt.datetime | None = None,
) -> Consent:
    """Record the latest decision for one channel and purpose; earlier ones stay in the log."""
    errors: dict[str, list[str]] = {}
    if channel not in Channel.values:
        errors["channel"] = [_("Choose a channel.")]
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choose a purpose.")]
    if status not in ConsentStatus.values:
        errors["status"] = [_("Choose granted or withdrawn.")]
    source = _clean_str(source)
    if not source:
        errors["source"] = [_("Say where this decision came from.")]
    elif len(source) > 120 or _has_control(source):
        errors["source"] = [_("Keep this under 120 characters, without control characters.")]
    when = recorded_at or timezone.now()
    if timezone.is_naive(when):
        errors["recorded_at"] = [_("Give the time with its time zone.")]
    elif when > timezone.now() + dt.timedelta(minutes=5):
        errors["recorded_at"] = [_("A consent cannot be recorded in the future.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        consent = (
            Consent.objects.select_for_update()
            .filter(customer=customer, channel=channel, purpose=purpose)
            .first()
        ) or Consent(customer=customer, channel=channel, purpose=purpose)
        with record(consent, actor=actor):
            consent.status, consent.source, consent.recorded_at = status, source, when
            consent.save()
    return consent


def add_relationship(
    from_customer: Customer, to_customer: Customer, *, actor: Any, kind: str, note: str = ""
) -> Relationship:
    errors: dict[str, list[str]] = {}
    if kind not in RelationshipKind.values:
        errors["kind"] = [_("Choose a kind of relationship.")]
    if from_customer.pk == to_customer.pk:
        errors["to_customer"] = [_("A customer cannot be related to itself.")]
    note = _clean_str(note)
    if len(note) > 200 or _has_control(note):
        errors["note"] = [_("Keep the note under 200 characters.")]
    if (
        not errors
        and Relationship.objects.filter(
            from_customer=from_customer, to_customer=to_customer, kind=kind
        ).exists()
    ):
        errors["to_customer"] = [_("This relationship is already recorded.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        relationship = Relationship(
            from_customer=from_customer, to_customer=to_customer, kind=kind, note=note
        )
        with record(relationship, actor=actor):
            relationship.save()
    return relationship


def delete_customer(customer: Customer, *, actor: Any) -> None:
    """Move to the recycle bin (restorable); the audit app owns the bin."""
    from peyvand.audit.recycle import soft_delete

    soft_delete(customer, actor=actor)


# --- merge ------------------------------------------------------------------------------

# Rows of these models are merged by rule below; every other model pointing at Customer
# simply moves to the kept customer.
_SPECIAL = {"customers.contactpoint", "customers.consent", "customers.relationship"}


def _move(
    model: type[models.Model],
    field: str,
    pks: list[Any],
    to_value: Any,
) -> None:
    if pks:
        model._base_manager.filter(pk__in=pks).update(**{field: to_value})


def _customer_foreign_keys() -> list[tuple[type[models.Model], Any]]:
    """Every (model, FK) that points at Customer, except the rows handled by rule."""
    found = []
    for rel in Customer._meta.related_objects:
        if not (rel.one_to_many or rel.one_to_one):
            continue
        model = rel.related_model
        if model._meta.label_lower in _SPECIAL:
            continue
        found.append((model, rel.field))
    return found


def merge_customers(keep: Customer, drop: Customer, *, actor: Any) -> Customer:
    """Fold `drop` into `keep`: every row of `drop` moves, its blanks fill `keep`'s, and the
    change log records enough to put every row back (`unmerge_customers`)."""
    if keep.pk == drop.pk:
        raise ValidationError(_("Choose two different customers."))
    with transaction.atomic():
        locked = {
            c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk])
        }
        keep, drop = locked[keep.pk], locked[drop.pk]
        if keep.is_deleted or drop.is_deleted:
            raise ValidationError(_("A customer in the recycle bin cannot be merged."))
        moves: list[dict[str, Any]] = []
        removed: list[dict[str, Any]] = []
        row_changes: list[Change] = []

        def note_move(obj: models.Model, fields: dict[str, tuple[Any, Any]]) -> None:
            moves.append(
                {
                    "model": obj._meta.label_lower,
                    "pk": obj.pk,
                    "fields": {k: [b, a] for k, (b, a) in fields.items()},
                }
            )
            row_changes.append(
                Change(
                    ChangeAction.MERGE,
                    obj,
                    {k: b for k, (b, _a) in fields.items()},
                    {k: a for k, (_b, a) in fields.items()},
                    customer_id=keep.pk,
                )
            )

        def note_removal(obj: models.Model, customer_id: int) -> None:
            row = snapshot(obj)
            removed.append({"model": obj._meta.label_lower, "pk": obj.pk, "row": row})
            row_changes.append(Change(ChangeAction.MERGE, obj, row, None, customer_id=customer_id))
            # A queryset delete leaves `obj.pk` set, which the change row still needs.
            type(obj)._base_manager.filter(pk=obj.pk).delete()

        # Contact points all move; the kept customer's primaries stay primary.
        keep_primary_kinds = set(
            ContactPoint.objects.filter(customer=keep, is_primary=True).values_list(
                "kind", flat=True
            )
        )
        for point in ContactPoint.objects.filter(customer=drop):
            fields: dict[str, tuple[Any, Any]] = {"customer_id": (drop.pk, keep.pk)}
            if point.is_primary and point.kind in keep_primary_kinds:
                fields["is_primary"] = (True, False)
            note_move(point, fields)
            ContactPoint.objects.filter(pk=point.pk).update(
                customer=keep, is_primary=point.is_primary and point.kind not in keep_primary_kinds
            )

        # One consent per channel and purpose: the more recent decision is the person's.
        keep_consents = {(c.channel, c.purpose): c for c in Consent.objects.filter(customer=keep)}
        for consent in Consent.objects.filter(customer=drop):
            other = keep_consents.get((consent.channel, consent.purpose))
            if other is not None and other.recorded_at >= consent.recorded_at:
                note_removal(consent, drop.pk)
                continue
            if other is not None:
                note_removal(other, keep.pk)
            note_move(consent, {"customer_id": (drop.pk, keep.pk)})
            Consent.objects.filter(pk=consent.pk).update(customer=keep)

        # Relationships: repoint both ends; drop the ones that become self-links or repeats.
        for field in ("from_customer_id", "to_customer_id"):
            for rel in Relationship.objects.filter(**{field: drop.pk}):
                ends = {
                    "from_customer_id": rel.from_customer_id,
                    "to_customer_id": rel.to_customer_id,
                }
                ends[field] = keep.pk
                clash = ends["from_customer_id"] == ends["to_customer_id"] or (
                    Relationship.objects.filter(kind=rel.kind, **ends).exclude(pk=rel.pk).exists()
                )
                if clash:
                    note_removal(rel, drop.pk)
                    continue
                note_move(rel, {field: (drop.pk, keep.pk)})
                Relationship.objects.filter(pk=rel.pk).update(**{field: keep.pk})

        # Everything else that belongs to a customer (interactions, orders, tasks, …).
        for model, fk in _customer_foreign_keys():
            objs = list(model._base_manager.filter(**{fk.attname: drop.pk}))
            for obj in objs:
                note_move(obj, {fk.attname: (drop.pk, keep.pk)})
            try:
                with transaction.atomic():
                    _move(model, fk.attname, [o.pk for o in objs], keep.pk)
            except IntegrityError as exc:
                raise ValidationError(
                    _("These customers cannot be merged: their %(what)s conflict.")
                    % {"what": model._meta.verbose_name_plural}
                ) from exc

        # Blanks of the kept customer are filled from the dropped one.
        keep_before = snapshot(keep)
        keep_tags_before = sorted(keep.tags.values_list("name", flat=True))
        drop_tags = list(drop.tags.all())
        for field in (
            "first_name",
            "last_name",
            "organization_name",
            "preferred_channel",
            "notes",
            "external_ref",
        ):
            if not getattr(keep, field) and getattr(drop, field):
                setattr(keep, field, getattr(drop, field))
        for attr in ("owner_id", "department_id"):
            if getattr(keep, attr) is None and getattr(drop, attr) is not None:
                setattr(keep, attr, getattr(drop, attr))
        keep.custom = {**(drop.custom or {}), **(keep.custom or {})}
        keep.save()
        keep.tags.add(*drop_tags)
        keep_tags_after = sorted(keep.tags.values_list("name", flat=True))

        drop_before = snapshot(drop)
        drop.merged_into = keep
        drop.deleted_at = timezone.now()
        drop.deleted_by = actor if getattr(actor, "pk", None) else None
        drop.save(update_fields=["merged_into", "deleted_at", "deleted_by", "updated_at"])
        refresh_search_fields(keep)

        entries = write_changes(
            [
                Change(
                    ChangeAction.MERGE,
                    keep,
                    {
                        "keep": keep_before,
                        "drop": drop_before,
                        "keep_tags": keep_tags_before,
                        "moves": moves,
                        "removed": removed,
                    },
                    {
                        "keep": snapshot(keep),
                        "keep_tags": keep_tags_after,
                        "dropped_id": drop.pk,
                    },
                ),
                Change(ChangeAction.MERGE, drop, drop_before, snapshot(drop)),
                *row_changes,
            ],
            actor=actor,
        )
        keep._merge_change_id = entries[0].pk  # type: ignore[attr-defined]
    return keep


def latest_merge_changes(customer: Customer) -> list[ChangeLog]:
    """Merges into this customer that have not been undone, newest first."""
    from django.contrib.contenttypes.models import ContentType

    ct = ContentType.objects.get_for_model(Customer)
    merges = list(
        ChangeLog.objects.filter(
            content_type=ct, object_id=str(customer.pk), action=ChangeAction.MERGE
        ).order_by("-seq")
    )
    undone = set(
        ChangeLog.objects.filter(
            content_type=ct, object_id=str(customer.pk), action=ChangeAction.UNMERGE
        ).values_list("before__merge_change", flat=True)
    )
    return [m for m in merges if m.pk not in undone and m.before and "moves" in m.before]


def _restore_row(model: type[models.Model], row: Mapping[str, Any]) -> models.Model:
    values = {}
    for field in model._meta.concrete_fields:
        if field.attname in row:
            values[field.attname] = field.to_python(row[field.attname])
    obj = model(**values)
    obj.save(force_insert=True)
    return obj


def unmerge_customers(merge_change_id: int, *, actor: Any) -> Customer:
    """Undo a merge from its change-log row: every moved row goes back, every removed row is
    re-created, the dropped customer comes back and the kept one loses what it gained."""
    with transaction.atomic():
        try:
            entry = ChangeLog.objects.get(pk=merge_change_id, action=ChangeAction.MERGE)
        except ChangeLog.DoesNotExist as exc:
            raise ValidationError(_("There is no such merge.")) from exc
        if not entry.before or "moves" not in entry.before:
            raise ValidationError(_("There is no such merge."))
        keep = Customer.objects.select_for_update().get(pk=int(entry.object_id))
        if entry not in latest_merge_changes(keep):
            raise ValidationError(_("This merge has already been undone."))
        drop_id = entry.before["drop"]["id"]
        drop = Customer.objects.select_for_update().get(pk=drop_id)
        changes: list[Change] = []

        for move in reversed(entry.before["moves"]):
            model = apps.get_model(move["model"])
            fields = {name: pair[0] for name, pair in move["fields"].items()}
            current = model._base_manager.filter(pk=move["pk"]).first()
            if current is None:
                continue
            before = {name: getattr(current, name) for name in fields}
            model._base_manager.filter(pk=move["pk"]).update(**fields)
            changes.append(
                Change(ChangeAction.UNMERGE, current, before, fields, customer_id=keep.pk)
            )
        for item in entry.before["removed"]:
            model = apps.get_model(item["model"])
            restored = _restore_row(model, item["row"])
            changes.append(Change(ChangeAction.UNMERGE, restored, None, item["row"]))

        keep_snapshot_before = snapshot(keep)
        merged_after = (entry.after or {})["keep"]
        customer_fields = {f.attname: f for f in Customer._meta.concrete_fields}
        for name, old in entry.before["keep"].items():
            # Only what the merge filled in and nobody changed since goes back.
            if old != merged_after.get(name) and keep_snapshot_before.get(name) == merged_after.get(
                name
            ):
                setattr(keep, name, customer_fields[name].to_python(old))
        keep.save()
        gained = set((entry.after or {})["keep_tags"]) - set(entry.before["keep_tags"])
        keep.tags.remove(*Tag.objects.filter(name__in=gained))

        drop_before = snapshot(drop)
        drop.merged_into = None
        drop.deleted_at = None
        drop.deleted_by = None
        drop.save(update_fields=["merged_into", "deleted_at", "deleted_by", "updated_at"])
        refresh_search_fields(keep)
        refresh_search_fields(drop)
        write_changes(
            [
                Change(
                    ChangeAction.UNMERGE,
                    keep,
                    {"merge_change": entry.pk, **keep_snapshot_before},
                    snapshot(keep),
                ),
                Change(ChangeAction.UNMERGE, drop, drop_before, snapshot(drop)),
                *changes,
            ],
            actor=actor,
        )
    return keep


# --- custom field definitions -----------------------------------------------------------

DEFINITION_FIELDS = (
    "key",
    "label",
    "label_fa",
    "field_type",
    "choices",
    "required",
    "searchable",
    "show_in_list",
    "position",
    "is_active",
)


def save_custom_field(
    definition: CustomFieldDefinition | None, *, actor: Any, **values: Any
) -> CustomFieldDefinition:
    """Create or change a custom field definition (administrators only; views check)."""
    definition = definition or CustomFieldDefinition()
    for name in DEFINITION_FIELDS:
        if name in values:
            setattr(definition, name, values[name])
    if definition.field_type == CustomFieldType.CHOICE:
        definition.choices = [str(c).strip() for c in definition.choices or [] if str(c).strip()]
        if not definition.choices:
            raise ValidationError({"choices": [_("A choice field needs at least one choice.")]})
    else:
        definition.choices = []
    definition.full_clean()
    with transaction.atomic(), record(definition, actor=actor):
        definition.save()
    return definition
