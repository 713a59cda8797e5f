"""SMS segment counting: GSM-7 160/153 with the extension table counting double, UCS-2
70/67 for Persian, never splitting an escape pair or a surrogate pair."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from peyvand.channels.sms.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی ۰۱۲۳۴۵۶۷۸۹"
gsm_basic = st.text(alphabet=sorted(GSM7_BASIC), max_size=800)
gsm_any = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=800)
# At least one Persian letter: a text of spaces and digits alone would be GSM-7.
persian = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"),
    st.text(alphabet=PERSIAN, max_size=800),
)
anything = st.text(max_size=600)


@given(gsm_basic)
def test_gsm_basic_text_is_160_then_153(text: str) -> None:
    result = count_segments(text)
    assert result.encoding == "gsm7"
    assert result.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else math.ceil(len(text) / 153)
    assert result.segments == expected


@given(persian)
def test_persian_is_ucs2_70_then_67(text: str) -> None:
    result = count_segments(text)
    assert result.encoding == "ucs2"
    expected = 1 if len(text) <= 70 else math.ceil(len(text) / 67)
    assert result.segments == expected


@given(gsm_any)
def test_extension_characters_count_double(text: str) -> None:
    result = count_segments(text)
    extension = sum(ch in GSM7_EXTENSION for ch in text)
    assert result.units == len(text) + extension
    assert result.units <= result.segments * result.per_segment
    if result.segments > 1:
        # Parts are filled, only an escape pair that would straddle moves to the next one.
        assert result.units > (result.segments - 1) * (result.per_segment - 1)


@given(anything, st.characters())
def test_appending_never_needs_fewer_segments(text: str, extra: str) -> None:
    assert count_segments(text + extra).segments >= count_segments(text).segments


@given(anything)
def test_one_non_gsm_character_switches_to_ucs2(text: str) -> None:
    result = count_segments(text + "ش")
    assert result.encoding == "ucs2"
    assert result.units >= len(text) + 1
    assert result.remaining >= 0


def test_boundaries() -> None:
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3
    assert count_segments("€" * 80).segments == 1  # 160 septets
    # 81 euro signs: 162 septets; a part holds 76 pairs (152), an escape pair is never split.
    assert count_segments("€" * 81).segments == 2
    # 306 septets would fit two parts, but the pair after 152 septets cannot be split.
    assert count_segments("a" * 152 + "€" + "a" * 152).segments == 3
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2
    assert count_segments("س" * 70).segments == 1
    assert count_segments("س" * 71).segments == 2
    assert count_segments("س" * 134).segments == 2
    assert count_segments("س" * 135).segments == 3
    # An emoji is a surrogate pair: two UTF-16 units.
    assert count_segments("😀" * 35).segments == 1
    assert count_segments("😀" * 36).units == 72
    assert count_segments("").segments == 0
