"""Content types decided from a file's first bytes, never from what the uploader claims.

Only types we recognise by signature are named; anything else is plain text when it
decodes as UTF-8 without markup, and an opaque byte stream otherwise. Markup (HTML, SVG,
XML) is deliberately never reported as such, so no stored file can become a page.
"""

from __future__ import annotations

OCTET_STREAM = "application/octet-stream"

# (offset, signature, content type); the first match wins.
_SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"%PDF-", "application/pdf"),
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (0, b"\x1f\x8b", "application/gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (0, b"Rar!\x1a\x07", "application/vnd.rar"),
    (0, b"ID3", "audio/mpeg"),
    (0, b"OggS", "audio/ogg"),
    (0, b"fLaC", "audio/flac"),
    (4, b"ftyp", "video/mp4"),
)

# RIFF containers carry their real type at offset 8.
_RIFF_TYPES = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}

# Everything `sniff_content_type` can answer: the only types a download is labelled with.
SERVABLE_TYPES = frozenset(
    {OCTET_STREAM, "text/plain", *(t for _, _, t in _SIGNATURES), *_RIFF_TYPES.values()}
)

_MARKUP_HINTS = (b"<!doctype", b"<html", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe")

SNIFF_BYTES = 4096


def sniff_content_type(head: bytes) -> str:
    """The content type of a file whose first bytes (up to SNIFF_BYTES) are `head`."""
    if head.startswith(b"RIFF") and len(head) >= 12:
        return _RIFF_TYPES.get(head[8:12], OCTET_STREAM)
    for offset, signature, content_type in _SIGNATURES:
        if head[offset : offset + len(signature)] == signature:
            return content_type
    return "text/plain" if _is_plain_text(head) else OCTET_STREAM


def _is_plain_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        # A multi-byte character may be cut at the end of the sniffed window.
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return False
    lowered = head[:1024].lstrip().lower()
    return not any(hint in lowered for hint in _MARKUP_HINTS)
