"""Serving stored files that someone uploaded: always as a download, never rendered."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

from peyvand.channels.sniff import OCTET_STREAM, SERVABLE_TYPES


def attachment_response(
    file: FieldFile, *, filename: str, content_type: str, cache: str = "private, no-store"
) -> FileResponse:
    """A download of `file` under `filename`: what was uploaded may be hostile, and our
    origin must not serve it as a page (no sniffing, sandboxed, only known types named)."""
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type=content_type if content_type in SERVABLE_TYPES else OCTET_STREAM,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = cache
    return response
