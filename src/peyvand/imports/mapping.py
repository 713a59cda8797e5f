"""Which file column feeds which field, and a first guess from the header names.

The customer fields live here; other kinds (see `kinds.py`) bring their own and share
`header_key`, `guess_mapping` and `resolve_mapping`."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from peyvand.core.text import normalize_text
from peyvand.customers.models import CustomFieldDefinition
from peyvand.imports.choices import ImportKind
from peyvand.imports.kinds import target_for
from peyvand.imports.readers import ImportFileError

CUSTOM_PREFIX = "custom:"

# Field -> label, in the order the mapping form offers them.
FIELDS: dict[str, object] = {
    "display_name": _("Name"),
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "organization_name": _("Organisation name"),
    "kind": _("Kind (person or organisation)"),
    "email": _("Email"),
    "phone": _("Phone"),
    "address": _("Address"),
    "tags": _("Tags (separated by ; or ،)"),
    "preferred_language": _("Preferred language"),
    "currency": _("Currency"),
    "external_ref": _("External reference"),
    "notes": _("Notes"),
}

# A customer needs a name from at least one of these columns.
NAME_FIELDS = ("display_name", "first_name", "last_name", "organization_name")

# Header spellings seen in real spreadsheets, English and Persian, compared after
# normalize_text and with spaces, dashes and underscores removed.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "display_name": (
        "name",
        "نام",
        "fullname",
        "displayname",
        "customer",
        "customername",
        "contactname",
        "نام کامل",
        "نام و نام خانوادگی",
        "نام مشتری",
        "مشتری",
        "اسم",
    ),
    "first_name": ("firstname", "givenname", "forename", "نام کوچک"),
    "last_name": ("lastname", "surname", "familyname", "نام خانوادگی", "فامیل", "فامیلی"),
    "organization_name": (
        "organization",
        "organisation",
        "organizationname",
        "organisationname",
        "company",
        "companyname",
        "org",
        "سازمان",
        "شرکت",
        "نام شرکت",
        "نام سازمان",
    ),
    "kind": ("kind", "type", "customertype", "partytype", "نوع", "نوع مشتری"),
    "email": (
        "email",
        "mail",
        "emailaddress",
        "ایمیل",
        "پست الکترونیک",
        "پست الکترونیکی",
        "رایانامه",
    ),
    "phone": (
        "phone",
        "mobile",
        "tel",
        "telephone",
        "cell",
        "cellphone",
        "phonenumber",
        "mobilenumber",
        "تلفن",
        "موبایل",
        "شماره",
        "شماره تلفن",
        "شماره موبایل",
        "همراه",
        "تلفن همراه",
        "شماره همراه",
    ),
    "address": ("address", "postaladdress", "آدرس", "نشانی"),
    "tags": ("tags", "tag", "labels", "برچسب", "برچسب ها", "برچسبها", "تگ"),
    "preferred_language": ("language", "preferredlanguage", "lang", "زبان"),
    "currency": ("currency", "ارز", "واحد پول"),
    "external_ref": (
        "externalref",
        "externalreference",
        "externalid",
        "ref",
        "reference",
        "customerid",
        "customercode",
        "code",
        "شناسه",
        "کد",
        "کد مشتری",
        "شناسه مشتری",
    ),
    "notes": ("notes", "note", "comment", "comments", "description", "یادداشت", "توضیحات"),
}

# "Name" / "نام" is the whole name, unless a surname column sits beside it.
_AMBIGUOUS_NAME = frozenset({"name", "نام"})

_SQUASH = re.compile(r"[\s_\-.]+")


def header_key(header: str) -> str:
    """A header as compared with known spellings: normalised, without spaces or dashes."""
    return _SQUASH.sub("", normalize_text(header))


def spelling_lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """header_key -> field, for each field's own name and its synonyms."""
    lookup: dict[str, str] = {}
    for field, spellings in synonyms.items():
        lookup[header_key(field)] = field
        for spelling in spellings:
            lookup.setdefault(header_key(spelling), field)
    return lookup


def guess_mapping(headers: Sequence[str], lookup: dict[str, str]) -> dict[str, str]:
    """Header -> field for every header found in `lookup`; each field is suggested once."""
    suggestion: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        guess = lookup.get(header_key(header))
        if guess and guess not in used and header not in suggestion:
            suggestion[header] = guess
            used.add(guess)
    return suggestion


def custom_field_definitions() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.filter(is_active=True))


def field_choices() -> list[tuple[str, str]]:
    """Every target a column can be mapped to, built-in fields first."""
    choices = [(key, str(label)) for key, label in FIELDS.items()]
    for definition in custom_field_definitions():
        choices.append((CUSTOM_PREFIX + definition.key, str(definition)))
    return choices


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Header -> customer field for every header we recognise; each field is suggested once."""
    lookup = spelling_lookup(_SYNONYMS)
    for definition in custom_field_definitions():
        target = CUSTOM_PREFIX + definition.key
        for spelling in (target, definition.key, definition.label, definition.label_fa):
            if spelling:
                lookup.setdefault(header_key(spelling), target)
    suggestion = guess_mapping(headers, lookup)
    used = set(suggestion.values())
    if "last_name" in used and "first_name" not in used:
        for header, field in suggestion.items():
            if field == "display_name" and header_key(header) in _AMBIGUOUS_NAME:
                suggestion[header] = "first_name"
    return suggestion


class MappingError(ImportFileError):
    """The mapping cannot import this file; the message is ready to show."""


def resolve_mapping(
    headers: Sequence[str], mapping: dict[str, str], *, kind: str = ImportKind.CUSTOMERS
) -> list[str]:
    """The field each column position feeds ("" = ignored), for a file of `kind`.

    A header that appears twice feeds its field from the first occurrence only.
    """
    target = target_for(kind)
    valid = {key for key, _label in target.field_choices()}
    unknown = sorted({field for field in mapping.values() if field and field not in valid})
    if unknown:
        raise MappingError(gettext("Unknown fields in the mapping: %s") % ", ".join(unknown))
    used_targets: dict[str, str] = {}
    columns: list[str] = []
    seen_headers: set[str] = set()
    for header in headers:
        field = mapping.get(header, "") if header not in seen_headers else ""
        seen_headers.add(header)
        if field and field in used_targets:
            raise MappingError(
                gettext("Columns “%(first)s” and “%(second)s” are both mapped to %(field)s.")
                % {"first": used_targets[field], "second": header, "field": field}
            )
        if field:
            used_targets[field] = header
        columns.append(field)
    missing = target.missing_required(columns)
    if missing:
        raise MappingError(
            gettext("Required columns are missing: %s. Nothing was imported.") % "; ".join(missing)
        )
    return columns


def missing_required(columns: Sequence[str]) -> list[str]:
    present = set(columns)
    missing: list[str] = []
    if not present.intersection(NAME_FIELDS):
        missing.append(gettext("a name (one of: name, first name, last name, organisation name)"))
    for definition in custom_field_definitions():
        if definition.required and CUSTOM_PREFIX + definition.key not in present:
            missing.append(str(definition))
    return missing
