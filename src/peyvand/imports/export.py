"""Export of the customers a user may see, as CSV or XLSX, streamed.

Column names are the import's field names, so an exported file imports back unchanged.
Every text cell that a spreadsheet would read as a formula is neutralised with an
apostrophe (DESIGN §8).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any

from django.utils import timezone

from peyvand.customers.models import Customer, CustomFieldDefinition
from peyvand.imports.mapping import CUSTOM_PREFIX

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BASE_COLUMNS = (
    "external_ref",
    "display_name",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "email",
    "phone",
    "address",
    "tags",
    "preferred_language",
    "currency",
    "notes",
)
_TRAILING_COLUMNS = ("id", "owner", "department", "created_at")


def neutralize(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def export_queryset(user: Any, q: str = "") -> Any:
    """What `user` may export, narrowed by the customer list's search."""
    qs = Customer.objects.visible_to(user, "export").alive()
    if q.strip():
        qs = qs.search(q)
    return (
        qs.select_related("owner", "department")
        .prefetch_related("contact_points", "tags")
        .order_by("pk")
    )


def header(custom_keys: list[str]) -> list[str]:
    return [*_BASE_COLUMNS, *(CUSTOM_PREFIX + k for k in custom_keys), *_TRAILING_COLUMNS]


def _first(points: list[Any], kind: str) -> str:
    chosen = [p for p in points if p.kind == kind]
    chosen.sort(key=lambda p: (not p.is_primary, p.pk))
    return chosen[0].value if chosen else ""


def _row(customer: Customer, custom_keys: list[str]) -> list[str]:
    points = list(customer.contact_points.all())
    custom = customer.custom or {}
    values = [
        customer.external_ref,
        customer.display_name,
        customer.kind,
        customer.first_name,
        customer.last_name,
        customer.organization_name,
        _first(points, "email"),
        _first(points, "phone"),
        _first(points, "address"),
        "; ".join(sorted(t.name for t in customer.tags.all())),
        customer.preferred_language,
        customer.currency,
        customer.notes,
        *("" if custom.get(k) is None else str(custom[k]) for k in custom_keys),
        str(customer.pk),
        customer.owner.get_username() if customer.owner else "",
        customer.department.code if customer.department else "",
        timezone.localtime(customer.created_at).isoformat(),
    ]
    return [neutralize(v) for v in values]


def export_rows(user: Any, q: str = "") -> Iterator[list[str]]:
    """The header, then one row per customer, read from the database in chunks."""
    custom_keys = list(
        CustomFieldDefinition.objects.filter(is_active=True).values_list("key", flat=True)
    )
    yield header(custom_keys)
    for customer in export_queryset(user, q).iterator(chunk_size=2000):
        yield _row(customer, custom_keys)


class _Line:
    """A file-like object whose write() hands back what csv.writer wrote."""

    def write(self, text: str) -> str:
        return text


def csv_stream(rows: Iterable[list[str]]) -> Iterator[bytes]:
    """Rows as CSV in UTF-8 with a BOM, so Excel shows Persian text; one row per chunk.
    Cells are written as given: neutralise them first."""
    writer = csv.writer(_Line())
    yield "\ufeff".encode()
    for row in rows:
        yield writer.writerow(row).encode()  # type: ignore[func-returns-value]


def csv_chunks(user: Any, q: str = "") -> Iterator[bytes]:
    return csv_stream(export_rows(user, q))


def write_xlsx(user: Any, target: IO[bytes], q: str = "") -> None:
    """An XLSX workbook in openpyxl's write-only mode: rows go to disk, not to memory."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("customers")
    for row in export_rows(user, q):
        sheet.append(row)
    workbook.save(target)


def xlsx_file(user: Any, q: str = "") -> IO[bytes]:
    """A temporary file holding the workbook, positioned at its start."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - the response closes it
    write_xlsx(user, handle, q)
    handle.seek(0)
    return handle
