"""The text a customer is found by, and the key duplicates are compared on.

Both are plain functions of the customer's values so that the bulk importer and the seeder
can fill `Customer.search_text` / `Customer.name_key` without the ORM; the database keeps
its own index over `search_text` (a trigram GIN index on PostgreSQL, an FTS5 trigram table
maintained by triggers on SQLite), so nothing else has to be written on a bulk insert.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from peyvand.core.text import normalize_text

# Punctuation and symbols carry no identity: "Karimi, Ali." and "karimi ali" are one name.
_NOT_WORD = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")
# Honorifics that people add or drop at will; they must not keep two records apart.
_HONORIFICS = frozenset(
    normalize_text(word)
    for word in ("mr", "mrs", "ms", "miss", "dr", "eng", "آقای", "آقا", "خانم", "دکتر", "مهندس")
)
NAME_KEY_LENGTH = 200


def name_key_for(display_name: str) -> str:
    """The dedupe key of a name: normalised letters and digits, no honorifics or punctuation."""
    text = _NOT_WORD.sub(" ", normalize_text(display_name)).replace("_", " ")
    words = [w for w in _SPACE.split(text) if w and w not in _HONORIFICS]
    return " ".join(words)[:NAME_KEY_LENGTH]


def _custom_values(custom: Mapping[str, Any] | None) -> Iterable[str]:
    if not custom:
        return ()
    return (str(v) for v in custom.values() if v not in (None, "") and not isinstance(v, bool))


def search_text_for(
    *,
    display_name: str,
    first_name: str = "",
    last_name: str = "",
    organization_name: str = "",
    contact_values: Iterable[str] = (),
    tags: Iterable[str] = (),
    custom: Mapping[str, Any] | None = None,
    normalize: Callable[[str], str] = normalize_text,
) -> str:
    """Everything a search may match, normalised and de-duplicated, one space between parts.

    `contact_values` are the normalised contact values (E.164 phones, lower-case emails);
    `custom` holds only the values of searchable custom fields. Bulk writers pass a faster
    `normalize` that gives what `normalize_text` gives (`imports.rows.normalize`).
    """
    parts = [
        display_name,
        first_name,
        last_name,
        organization_name,
        *contact_values,
        *tags,
        *_custom_values(custom),
    ]
    seen: dict[str, None] = {}
    for part in parts:
        text = normalize(part)
        if text:
            seen.setdefault(text, None)
    return " ".join(seen)
