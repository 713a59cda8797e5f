"""Exports: only what the user may see, formulas neutralised, a round trip through XLSX."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse

from peyvand.customers.models import Customer
from peyvand.imports.export import neutralize
from peyvand.imports.services import import_file
from tests.factories import ContactPointFactory, CustomerFactory


def _csv_rows(response: Any) -> list[dict[str, str]]:
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+98912", "'+98912"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ali", "Ali"),
        ("", ""),
    ],
)
def test_neutralize(value: str, expected: str) -> None:
    assert neutralize(value) == expected


def test_csv_export_holds_only_visible_customers(
    client_for: Any, sales1: Any, sales2: Any, manager: Any
) -> None:
    CustomerFactory(display_name="Sara's customer", owner=sales1)
    CustomerFactory(display_name="John's customer", owner=sales2)
    url = reverse("imports:export_csv")
    names_for = {
        user.username: {r["display_name"] for r in _csv_rows(client_for(user).get(url))}
        for user in (sales1, sales2, manager)
    }
    assert names_for["sales1"] == {"Sara's customer"}
    assert names_for["sales2"] == {"John's customer"}
    assert names_for["manager"] == {"Sara's customer", "John's customer"}


def test_export_excludes_the_recycle_bin(client_for: Any, manager: Any) -> None:
    from django.utils import timezone

    CustomerFactory(display_name="Gone", deleted_at=timezone.now())
    CustomerFactory(display_name="Here")
    rows = _csv_rows(client_for(manager).get(reverse("imports:export_csv")))
    assert [r["display_name"] for r in rows] == ["Here"]


def test_export_is_refused_to_personas_without_export_permission(
    client_for: Any, service1: Any
) -> None:
    assert client_for(service1).get(reverse("imports:export_csv")).status_code == 404
    assert client_for(service1).get(reverse("imports:export_xlsx")).status_code == 404


def test_export_honours_the_list_search(client_for: Any, sales1: Any) -> None:
    CustomerFactory(
        display_name="Ali Karimi", owner=sales1, name_key="ali karimi", search_text="ali karimi"
    )
    CustomerFactory(
        display_name="Sara Ahmadi", owner=sales1, name_key="sara ahmadi", search_text="sara ahmadi"
    )
    rows = _csv_rows(client_for(sales1).get(reverse("imports:export_csv"), {"q": "karimi"}))
    assert [r["display_name"] for r in rows] == ["Ali Karimi"]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(client_for: Any, sales1: Any) -> None:
    customer = CustomerFactory(display_name='=HYPERLINK("http://x")', notes="@cmd", owner=sales1)
    ContactPointFactory(
        customer=customer, kind="phone", value="+98 912 123 4567", normalized="+989121234567"
    )
    client = client_for(sales1)
    row = _csv_rows(client.get(reverse("imports:export_csv")))[0]
    assert row["display_name"] == '\'=HYPERLINK("http://x")'
    assert row["notes"] == "'@cmd"
    assert row["phone"] == "'+98 912 123 4567"
    response = client.get(reverse("imports:export_xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert cells["display_name"] == '\'=HYPERLINK("http://x")'
    assert sheet.cell(row=2, column=header.index("display_name") + 1).data_type == "s"


def test_xlsx_round_trip_imports_back_unchanged(tmp_path: Path, sales1: Any) -> None:
    source = tmp_path / "source.csv"
    source.write_text(
        "name,email,mobile,tags,notes,external id,kind,currency,language\n"
        "علی کریمی,ali@example.com,09121234567,vip;طلایی,=1+2,A-1,person,USD,fa\n"
        "Peyvand Co,,+982188887777,,line one,A-2,organization,IRR,en\n",
        encoding="utf-8",
    )
    assert import_file(source, actor=sales1).created_rows == 2
    before = list(Customer.objects.order_by("pk").values())
    exported = tmp_path / "export.xlsx"
    from peyvand.imports.export import write_xlsx

    with exported.open("wb") as handle:
        write_xlsx(sales1, handle)
    job = import_file(exported, actor=sales1)
    assert (job.error_count, job.created_rows, job.updated_rows, job.skipped_rows) == (0, 0, 0, 2)
    assert list(Customer.objects.order_by("pk").values()) == before
    assert Customer.objects.get(external_ref="A-1").notes == "=1+2"
