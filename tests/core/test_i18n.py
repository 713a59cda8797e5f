"""The Persian catalogue: complete, faithful to every placeholder, compiled, and used by the UI."""

from __future__ import annotations

import ast
import gettext
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "fa" / "LC_MESSAGES"

# Named and positional %-directives, str.format fields and HTML tags must survive translation
# unchanged; "%%" is a literal percent sign (Django doubles "%" in template strings).
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdifr]|%[sdifr]|\{[A-Za-z_0-9]*\}|</?[A-Za-z][^>]*>")
_PERSIAN_LETTER = re.compile(r"[\u0600-\u06FF]")
# Arabic forms that Persian text must not use (Persian has ی and ک).
_ARABIC_YEH_KAF = re.compile(r"[\u064A\u0643]")
# Proper names and protocol terms that are shown as they are in the Persian interface.
_KEPT_AS_IS = {"English", "JSON", "GSM-7", "UIDVALIDITY", "UID"}


@dataclass
class Entry:
    msgid: str
    context: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def _read_po(path: Path) -> tuple[str, list[Entry]]:
    """Parse the active entries of a .po file (obsolete "#~" entries are ignored)."""
    header = ""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    start = 0
    key = ""

    def flush() -> None:
        nonlocal header
        if "msgid" not in fields:
            return
        strs = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        if fields["msgid"] == "":
            header = fields.get("msgstr", "")
        else:
            entries.append(
                Entry(
                    fields["msgid"],
                    fields.get("msgctxt"),
                    fields.get("msgid_plural"),
                    strs,
                    flags,
                    start,
                )
            )

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            fields, flags, key, start = {}, set(), "", 0
            continue
        if line.startswith("#,"):
            flags = {flag.strip() for flag in line[2:].split(",")}
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            fields[key] += ast.literal_eval(line)
            continue
        key, _, value = line.partition(" ")
        fields[key] = ast.literal_eval(value)
        if key in ("msgctxt", "msgid") and not start:
            start = number
    flush()
    return header, entries


@pytest.fixture(scope="module")
def catalogue() -> tuple[str, list[Entry]]:
    return _read_po(CATALOGUE / "django.po")


def test_header_declares_persian_plural_rule(catalogue: tuple[str, list[Entry]]) -> None:
    header, entries = catalogue
    assert "Language: fa\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header
    assert "charset=UTF-8" in header
    assert len(entries) > 500


def test_every_entry_is_translated_and_reviewed(catalogue: tuple[str, list[Entry]]) -> None:
    _, entries = catalogue
    untranslated = [
        e.msgid for e in entries if not e.msgstrs or not all(s.strip() for s in e.msgstrs)
    ]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not untranslated, f"untranslated: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"
    plural = [e for e in entries if e.msgid_plural is not None]
    assert all(len(e.msgstrs) == 2 for e in plural)


def test_placeholders_survive_translation(catalogue: tuple[str, list[Entry]]) -> None:
    _, entries = catalogue
    wrong = []
    for entry in entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid, entry.msgid_plural]
        for index, text in enumerate(entry.msgstrs):
            source = sources[min(index, len(sources) - 1)]
            if Counter(_PLACEHOLDER.findall(text)) != Counter(_PLACEHOLDER.findall(source)):
                wrong.append((entry.line, entry.msgid, text))
    assert not wrong, wrong[:10]


def test_translations_are_written_in_persian(catalogue: tuple[str, list[Entry]]) -> None:
    _, entries = catalogue
    latin_only = [
        e.msgid
        for e in entries
        if e.msgid not in _KEPT_AS_IS and not all(_PERSIAN_LETTER.search(s) for s in e.msgstrs)
    ]
    arabic_letters = [e.msgid for e in entries if any(_ARABIC_YEH_KAF.search(s) for s in e.msgstrs)]
    latin_question = [e.msgid for e in entries if e.msgid.endswith("?") and e.msgstrs[0][-1] != "؟"]
    assert not latin_only, latin_only[:20]
    assert not arabic_letters, arabic_letters[:20]
    assert not latin_question, latin_question


def test_compiled_catalogue_matches_the_source(catalogue: tuple[str, list[Entry]]) -> None:
    _, entries = catalogue
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in entries:
        if entry.msgid_plural is None and entry.context is None:
            got = [compiled.gettext(entry.msgid)]
        elif entry.msgid_plural is None:
            got = [compiled.pgettext(entry.context, entry.msgid)]
        elif entry.context is None:
            got = [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
        else:
            got = [
                compiled.npgettext(entry.context, entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        if got != entry.msgstrs:
            stale.append(entry.msgid)
    assert not stale, f"django.mo is older than django.po; run compilemessages: {stale[:10]}"


def test_django_serves_the_persian_catalogue() -> None:
    with translation.override("fa"):
        assert translation.gettext("Recycle bin") == "سطل بازیافت"
        assert translation.ngettext("%(n)s error.", "%(n)s errors.", 3) % {"n": 3} == "3 خطا."
    with translation.override("en"):
        assert translation.gettext("Recycle bin") == "Recycle bin"


@pytest.mark.django_db
def test_login_page_is_persian_and_right_to_left(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "<title>ورود" in html or "ورود</h1>" in html
    assert "Sign in" not in html
    assert "پرش به محتوا" in html


@pytest.mark.django_db
def test_login_page_stays_english_for_english_readers(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/accounts/login/").content.decode()
    assert 'dir="ltr"' in html
    assert "Sign in" in html
    assert "ورود</h1>" not in html
