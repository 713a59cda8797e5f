"""How many SMS segments a text costs.

A text that fits the GSM 03.38 alphabet travels as 7-bit septets: 160 in one message, 153 per
part once it is split (the user-data header takes the rest); characters of the extension
table (€, [, ], {, }, ~, ^, \\, |, form feed) take two septets, an escape and the character,
and a part never splits such a pair. Anything else (Persian, emoji) travels as UCS-2:
70 UTF-16 code units in one message, 67 per part, and a surrogate pair is never split.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True)
class Segments:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of one part at the current length
    remaining: int  # units left in the last part before another one is needed

    def as_meta(self) -> dict[str, Any]:
        return asdict(self)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _unit_sizes(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(sizes: list[int], part: int) -> tuple[int, int]:
    """Parts needed when no character may straddle two parts; and the units used in the last."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts, used


def count_segments(text: str) -> Segments:
    gsm = is_gsm7(text)
    sizes = _unit_sizes(text, gsm)
    units = sum(sizes)
    single, part = (GSM7_SINGLE, GSM7_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    encoding = "gsm7" if gsm else "ucs2"
    if units <= single:
        return Segments(encoding, units, 1 if units else 0, single, single - units)
    parts, used = _pack(sizes, part)
    return Segments(encoding, units, parts, part, part - used)
