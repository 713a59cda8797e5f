from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peyvand.channels.sniff import OCTET_STREAM, SERVABLE_TYPES, sniff_content_type


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        ("سلام، خوبی؟\nplain text".encode(), "text/plain"),
        (b"<!DOCTYPE html><p>hi</p>", OCTET_STREAM),
        (b"  <svg onload=alert(1)>", OCTET_STREAM),
        (b"<?xml version='1.0'?><x/>", OCTET_STREAM),
        (b"\x00\x01\x02binary", OCTET_STREAM),
        (b"", OCTET_STREAM),
    ],
)
def test_known_signatures(head: bytes, expected: str) -> None:
    assert sniff_content_type(head) == expected


def test_multibyte_character_cut_at_window_end_is_still_text() -> None:
    assert sniff_content_type("ایران".encode()[:-1]) == "text/plain"


@given(st.binary(max_size=512))
def test_any_bytes_get_a_servable_type_and_never_markup(head: bytes) -> None:
    result = sniff_content_type(head)
    assert result in SERVABLE_TYPES
    assert "html" not in result and "xml" not in result and "svg" not in result
