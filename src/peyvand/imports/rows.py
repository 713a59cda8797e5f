"""One file row -> validated, normalised customer values, or the reasons it cannot be imported.

This is the per-row hot path of a million-row import, so it avoids the ORM and model
validation: every check is a string operation, a compiled regex or a cached lookup. The
rules are the customer services' rules (`customers.services`), applied to text cells.
"""

from __future__ import annotations

import multiprocessing
import queue
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from typing import Any

import moneyed
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext

from peyvand.access.choices import Language
from peyvand.core.text import normalize_email, normalize_phone, normalize_text
from peyvand.customers.choices import ContactKind, PartyKind
from peyvand.customers.models import CustomFieldDefinition
from peyvand.customers.search import name_key_for
from peyvand.customers.services import validate_custom_fields
from peyvand.imports.mapping import CUSTOM_PREFIX
from peyvand.imports.readers import ImportFileError

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Control characters other than tab and newlines: NUL breaks PostgreSQL, the rest break layouts.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG_SPLIT = re.compile(r"[;،؛]")
_SPACES = re.compile(r"\s+")
# Phone punctuation people type, and the digits of three scripts, in one translate call.
_PHONE_CHARS = str.maketrans(
    {
        **{ord(c): None for c in " -().\u200c\u200f\u200e\u202a\u202c\u00a0/"},
        **{ord(p): str(i) for i, p in enumerate("۰۱۲۳۴۵۶۷۸۹")},
        **{ord(a): str(i) for i, a in enumerate("٠١٢٣٤٥٦٧٨٩")},
    }
)
# Iranian mobile ranges phonenumbers accepts as valid; parsing them costs ~50 µs, this ~1 µs.
_IR_MOBILE = re.compile(r"(?:\+98|0098|98|0)?(9(?:0[0-5]|1\d|2[0-3]|3\d|9[0-46])\d{7})")
_IR_MOBILE_INTL = re.compile(r"(?:\+98|0098)(9(?:0[0-5]|1\d|2[0-3]|3\d|9[0-46])\d{7})")

MAX_LENGTHS = {
    "display_name": 200,
    "first_name": 100,
    "last_name": 100,
    "organization_name": 200,
    "external_ref": 100,
    "address": 500,
}
# Columns stored as the cleaned cell text.
_PLAIN_TEXT = frozenset(
    {"display_name", "first_name", "last_name", "organization_name", "external_ref", "notes"}
)
_KINDS = {
    **dict.fromkeys(("person", "individual", "people", "p", "شخص", "حقیقی", "فرد"), "person"),
    **dict.fromkeys(
        (
            "organization",
            "organisation",
            "company",
            "org",
            "o",
            "business",
            "حقوقی",
            "سازمان",
            "شرکت",
        ),
        "organization",
    ),
}
LANGUAGES = {
    **dict.fromkeys(("en", "eng", "english", "انگلیسی"), Language.EN.value),
    **dict.fromkeys(("fa", "fas", "per", "persian", "farsi", "فارسی", "پارسی"), Language.FA.value),
}


# A plain address Django's validate_email also accepts; anything else goes to Django's
# validator, which is about ten times slower.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
)


@lru_cache(maxsize=100_000)
def _normalize_non_ascii(value: str) -> str:
    return normalize_text(value)


def normalize(value: str) -> str:
    """`core.text.normalize_text`, at a fraction of the cost: ASCII needs only its spaces
    collapsed and its case folded, and the rest (names, cities, tags) repeats a lot."""
    if value.isascii():
        return " ".join(value.split()).lower()
    return _normalize_non_ascii(value)


# Names repeat (first names, common surnames); the key costs several regex passes.
name_key = lru_cache(maxsize=100_000)(name_key_for)


@lru_cache(maxsize=200_000)
def _phone_slow(raw: str, region: str) -> str:
    return normalize_phone(raw, region)


def phone_e164(raw: str, region: str) -> str:
    """E.164 for a phone cell, "" when it is not a valid number."""
    compact = raw.translate(_PHONE_CHARS)
    match = (_IR_MOBILE if region == "IR" else _IR_MOBILE_INTL).fullmatch(compact)
    if match:
        return "+98" + match.group(1)
    return _phone_slow(raw, region)


def email_ok(email: str) -> bool:
    if len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email):
        return True
    try:
        validate_email(email)
    except ValidationError:
        return False
    return True


@lru_cache(maxsize=64)
def _currency_ok(code: str) -> bool:
    try:
        moneyed.get_currency(code=code)
    except moneyed.CurrencyDoesNotExist:
        return False
    return True


def clean_cell(value: str) -> str:
    """Trimmed, NFC, without control characters. A leading apostrophe that neutralised a
    formula on export is removed, so an exported file imports back unchanged; the formula
    text itself is kept as plain text and never evaluated."""
    if not value:
        return ""
    if value[0] == "'" and len(value) > 1 and value[1] in "=+-@\t\r":
        value = value[1:]
    if _CONTROL.search(value):
        value = _CONTROL.sub("", value)
    value = value.strip()
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    return value


@dataclass(slots=True)
class ParsedRow:
    line: int
    # Customer columns with a non-empty value in this row (an empty cell changes nothing).
    values: dict[str, str]
    display_name: str
    name_key: str
    email: str = ""
    phone: str = ""
    phone_e164: str = ""
    address: str = ""
    tags: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)

    def contacts(self) -> list[tuple[str, str, str]]:
        """(kind, value, normalized) of the contact points this row carries."""
        found = []
        if self.email:
            found.append((ContactKind.EMAIL.value, self.email, self.email))
        if self.phone_e164:
            found.append((ContactKind.PHONE.value, self.phone, self.phone_e164))
        if self.address:
            found.append((ContactKind.ADDRESS.value, self.address, normalize(self.address)))
        return found


RowError = tuple[int, str, str]


class RowParser:
    """Parses the rows of one file with one column mapping; errors in the current language."""

    def __init__(self, headers: list[str], columns: list[str]) -> None:
        self.region = settings.PHONE_DEFAULT_REGION
        self.plan = [
            (index, target, headers[index]) for index, target in enumerate(columns) if target
        ]
        self.header_of = {target: headers[index] for index, target in enumerate(columns) if target}
        self.definitions: list[CustomFieldDefinition] = []
        if any(target.startswith(CUSTOM_PREFIX) for target in columns):
            self.definitions = list(CustomFieldDefinition.objects.filter(is_active=True))
        self.name_column = next(
            (
                self.header_of[f]
                for f in ("display_name", "first_name", "organization_name", "last_name")
                if f in self.header_of
            ),
            "",
        )

    def parse(self, line: int, cells: list[str]) -> tuple[ParsedRow | None, list[RowError]]:
        values: dict[str, str] = {}
        custom_raw: dict[str, str] = {}
        errors: list[RowError] = []
        row_email = row_phone = row_e164 = row_address = ""
        tags: list[str] = []
        width = len(cells)
        for index, target, header in self.plan:
            raw = cells[index] if index < width else ""
            if target.startswith(CUSTOM_PREFIX):
                custom_raw[target[len(CUSTOM_PREFIX) :]] = clean_cell(raw)
                continue
            value = clean_cell(raw)
            if not value:
                continue
            limit = MAX_LENGTHS.get(target)
            if limit is not None and len(value) > limit:
                errors.append(
                    (
                        line,
                        header,
                        gettext("Keep this under %(max)d characters.") % {"max": limit},
                    )
                )
                continue
            if target in _PLAIN_TEXT:
                values[target] = value
            elif target == "email":
                email = normalize_email(value)
                if not email_ok(email):
                    errors.append(
                        (
                            line,
                            header,
                            gettext("“%(value)s” is not a valid email address.") % {"value": value},
                        )
                    )
                    continue
                row_email = email
            elif target == "phone":
                e164 = phone_e164(value, self.region)
                if not e164:
                    errors.append(
                        (
                            line,
                            header,
                            gettext("“%(value)s” is not a valid phone number.") % {"value": value},
                        )
                    )
                    continue
                row_phone, row_e164 = value, e164
            elif target == "address":
                row_address = value
            elif target == "tags":
                tags = self._tags(line, header, value, errors)
            elif target == "kind":
                kind = _KINDS.get(value.lower()) or _KINDS.get(normalize_text(value))
                if kind is None:
                    errors.append(
                        (
                            line,
                            header,
                            gettext("“%(value)s” is not a kind; use person or organisation.")
                            % {"value": value},
                        )
                    )
                    continue
                values["kind"] = kind
            elif target == "preferred_language":
                language = LANGUAGES.get(value.lower()) or LANGUAGES.get(normalize_text(value))
                if language is None:
                    errors.append(
                        (
                            line,
                            header,
                            gettext("“%(value)s” is not a language; use en or fa.")
                            % {"value": value},
                        )
                    )
                    continue
                values["preferred_language"] = language
            elif target == "currency":
                code = value.upper()
                if len(code) != 3 or not _currency_ok(code):
                    errors.append(
                        (
                            line,
                            header,
                            gettext("“%(code)s” is not a currency code.") % {"code": value},
                        )
                    )
                    continue
                values["currency"] = code
        custom = self._custom(line, custom_raw, errors) if self.definitions else {}
        display_name = values.get("display_name") or " ".join(
            values[f] for f in ("first_name", "last_name") if f in values
        )
        display_name = display_name or values.get("organization_name", "")
        if not display_name:
            errors.append((line, self.name_column, gettext("A name is required.")))
        if errors:
            return None, errors
        if len(display_name) > MAX_LENGTHS["display_name"]:
            display_name = display_name[: MAX_LENGTHS["display_name"]]
        if values.get("kind") == PartyKind.ORGANIZATION and "organization_name" not in values:
            values["organization_name"] = display_name
        values["display_name"] = display_name
        return (
            ParsedRow(
                line=line,
                values=values,
                display_name=display_name,
                name_key=name_key(display_name),
                email=row_email,
                phone=row_phone,
                phone_e164=row_e164,
                address=row_address,
                tags=tags,
                custom=custom,
            ),
            errors,
        )

    @staticmethod
    def _tags(line: int, header: str, value: str, errors: list[RowError]) -> list[str]:
        names: dict[str, None] = {}
        for part in _TAG_SPLIT.split(value):
            name = _SPACES.sub(" ", part).strip()
            if not name:
                continue
            if len(name) > 60:
                errors.append(
                    (line, header, gettext("Tag “%(tag)s” is too long.") % {"tag": name[:60]})
                )
                continue
            names.setdefault(name, None)
        return list(names)

    def _custom(self, line: int, raw: dict[str, str], errors: list[RowError]) -> dict[str, Any]:
        try:
            return validate_custom_fields(raw, definitions=self.definitions)
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                column = self.header_of.get(CUSTOM_PREFIX + key.removeprefix("custom."), key)
                errors.extend((line, column, message) for message in messages)
            return {}


# A parsed chunk: its last file line, the rows that parsed and the errors of those that did not.
ParsedChunk = tuple[int, list[ParsedRow], list[RowError]]


def _parse_chunks(
    parser: RowParser, rows: Iterator[tuple[int, list[str]]], size: int
) -> Iterator[ParsedChunk]:
    while batch := list(islice(rows, size)):
        parsed: list[ParsedRow] = []
        errors: list[RowError] = []
        for line, cells in batch:
            row, row_errors = parser.parse(line, cells)
            if row is None:
                errors.extend(row_errors)
            else:
                parsed.append(row)
        yield batch[-1][0], parsed, errors


def _parse_in_child(
    out: Any, parser: RowParser, rows: Iterator[tuple[int, list[str]]], size: int
) -> None:
    try:
        for chunk in _parse_chunks(parser, rows, size):
            out.put(("chunk", chunk))
        out.put(("end", None))
    except ImportFileError as exc:
        out.put(("file_error", str(exc)))
    except Exception as exc:  # reported by the parent, which fails the job
        out.put(("crash", f"{exc.__class__.__name__}: {exc}"))


def _from_child(inbox: Any, child: Any) -> Iterator[ParsedChunk]:
    while True:
        try:
            kind, value = inbox.get(timeout=5)
        except queue.Empty:
            if not child.is_alive():
                raise RuntimeError("the row parser process ended unexpectedly") from None
            continue
        if kind == "end":
            return
        if kind == "file_error":
            raise ImportFileError(value)
        if kind == "crash":
            raise RuntimeError(value)
        yield value


@contextmanager
def parsed_chunks(
    parser: RowParser,
    rows: Iterator[tuple[int, list[str]]],
    *,
    size: int,
    in_child: bool,
) -> Iterator[Iterator[ParsedChunk]]:
    """The file's rows parsed `size` at a time, in file order.

    With `in_child`, a forked process reads and parses while the caller writes the previous
    chunk (and waits for the database): the two halves of an import each get a core. The
    child inherits the parser, the open file and the active language, and never touches
    the database. At most two parsed chunks wait in the pipe, so memory stays bounded.
    A file error is raised at the chunk where the file breaks, as without the child.
    """
    if not in_child:
        yield _parse_chunks(parser, rows, size)
        return
    context = multiprocessing.get_context("fork")
    inbox = context.Queue(maxsize=2)
    child = context.Process(target=_parse_in_child, args=(inbox, parser, rows, size))
    child.start()
    try:
        yield _from_child(inbox, child)
    finally:
        child.terminate()
        child.join()
        inbox.close()
