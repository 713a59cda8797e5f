"""Lead import from CSV and XLSX: every row captured like a lead typed in (assignment rules,
scores, first-response deadline, change log), bad rows reported by line, duplicates
skipped, dry runs and failures leaving nothing half-done, the screens and the command."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from peyvand.audit.models import ChangeLog
from peyvand.catalog.services import create_product
from peyvand.customers.services import create_customer
from peyvand.imports.choices import ImportKind, ImportStatus
from peyvand.imports.models import ImportJob
from peyvand.imports.services import import_file, resume_import, run_import_job
from peyvand.sales import lead_import
from peyvand.sales.choices import AssignmentAction, LeadChannel
from peyvand.sales.models import AssignmentRule, Lead, LeadSource, ScoringRule
from tests.imports.conftest import csv_bytes

XSS = "<script>alert(1)</script>"
HEADER = ["Name", "Company", "Email", "Mobile", "City", "Source", "Notes"]


@pytest.fixture
def write_file(tmp_path: Path) -> Any:
    def make(rows: list[list[Any]], name: str = "leads.csv") -> Path:
        path = tmp_path / name
        if name.endswith(".xlsx"):
            import openpyxl

            workbook = openpyxl.Workbook()
            for row in rows:
                workbook.active.append(row)
            workbook.save(path)
        else:
            path.write_bytes(csv_bytes(rows))
        return path

    return make


def _lead_changes() -> int:
    return ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(Lead)).count()


def test_rows_are_captured_like_any_lead_and_bad_rows_reported_by_line(
    write_file: Any, sales1: Any, sales2: Any
) -> None:
    fair = LeadSource.objects.create(name="Trade fair", name_fa="نمایشگاه", code="fair")
    fair.response_hours = 2
    fair.save()
    AssignmentRule.objects.create(
        name="Tabriz to sales2", match_city="Tabriz", action=AssignmentAction.USER, user=sales2
    )
    ScoringRule.objects.create(name="Company", field="company", points=15)
    path = write_file(
        [
            HEADER,
            [
                "مریم رضایی",
                "شرکت آریا",
                "maryam@example.com",
                "۰۹۱۲۱۲۳۴۵۶۷",
                "تهران",
                "نمایشگاه",
                "",
            ],
            ["Tabriz lead", "", "t@example.com", "", "Tabriz", "fair", ""],
            [XSS, '=HYPERLINK("http://evil")', "x@example.com", "", "", "", "@SUM(A1)"],
            ["Bad email", "", "not-an-email", "", "", "", ""],
            ["Unknown source", "", "u@example.com", "", "", "Billboard", ""],
            ["", "", "nobody@example.com", "", "", "", ""],
            ["No contact", "Co", "", "", "", "", ""],
            # The same person again (phone written another way): skipped, not doubled.
            ["Maryam again", "", "", "+98 912 123 4567", "", "", ""],
        ]
    )
    job = import_file(path, actor=sales1, kind=ImportKind.LEADS)
    assert job.status == ImportStatus.DONE, job.failure
    assert (job.created_rows, job.skipped_rows, job.processed_rows) == (3, 1, 8)
    errors = {(line, column) for line, column, _message in job.errors}
    assert errors == {(5, "Email"), (6, "Source"), (7, "Name"), (8, "Email")}
    report = Path(job.error_report.path).read_text(encoding="utf-8-sig")
    assert "Billboard" in report and "6,Source" in report

    leads = {lead.email: lead for lead in Lead.objects.all()}
    assert set(leads) == {"maryam@example.com", "t@example.com", "x@example.com"}
    maryam = leads["maryam@example.com"]
    assert maryam.channel == LeadChannel.IMPORT and maryam.name == "مریم رضایی"
    assert maryam.phone == "+989121234567" and maryam.source == fair
    assert maryam.score == 15  # the company rule
    assert maryam.respond_by - maryam.created_at == dt.timedelta(hours=2)
    # No rule for Tehran: round robin in the importer's department; Tabriz: the rule.
    assert maryam.owner in (sales1, sales2) and maryam.department.code == "sales"
    assert leads["t@example.com"].owner == sales2
    # Script and formula text are kept as plain text, never evaluated.
    assert leads["x@example.com"].name == XSS
    assert leads["x@example.com"].company == '=HYPERLINK("http://evil")'
    assert _lead_changes() == 3

    # The same file again imports nothing twice.
    again = import_file(path, actor=sales1, kind=ImportKind.LEADS)
    assert (again.created_rows, again.skipped_rows) == (0, 4)
    assert Lead.objects.count() == 3


def test_xlsx_and_dry_run_commit_nothing(write_file: Any, sales1: Any) -> None:
    create_product(actor=None, sku="ERP-1", name="ERP", unit_price=100, currency="IRR")
    path = write_file(
        [
            ["نام", "ایمیل", "محصول", "زبان"],
            ["Nima", "nima@example.com", "erp-1", "فارسی"],
            ["Sara", "sara@example.com", "NOPE", "en"],
            ["Reza", 9121234567, None, "xx"],
        ],
        name="leads.xlsx",
    )
    logged = ChangeLog.objects.count()
    dry = import_file(path, actor=sales1, kind=ImportKind.LEADS, dry_run=True)
    assert dry.status == ImportStatus.DONE and dry.dry_run
    assert (dry.created_rows, dry.error_count) == (1, 2)
    assert Lead.objects.count() == 0 and ChangeLog.objects.count() == logged
    real = import_file(path, actor=sales1, kind=ImportKind.LEADS)
    assert (real.created_rows, real.error_count) == (1, 2)
    lead = Lead.objects.get()
    assert lead.product.sku == "ERP-1" and lead.language == "fa"
    assert sorted(e[1] for e in real.errors) == ["زبان", "محصول"]


def test_a_row_matching_a_customer_is_imported_and_the_file_needs_its_columns(
    write_file: Any, sales1: Any, tmp_path: Path
) -> None:
    create_customer(
        actor=sales1,
        display_name="Old friend",
        contact_points=[{"kind": "email", "value": "old@example.com"}],
    )
    job = import_file(
        write_file([["Name", "Email"], ["Old friend", "old@example.com"]]),
        actor=sales1,
        kind=ImportKind.LEADS,
    )
    assert job.created_rows == 1 and Lead.objects.count() == 1
    with pytest.raises(Exception, match="email or a phone"):
        import_file(write_file([["Name"], ["X"]], "no-contact.csv"), actor=sales1, kind="leads")
    assert Lead.objects.count() == 1


def test_chunks_show_progress_and_a_stopped_job_resumes_without_doubles(
    write_file: Any, sales1: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(lead_import, "CHUNK_ROWS", 3)
    rows = [["Name", "Email"]] + [[f"Lead {i}", f"l{i}@example.com"] for i in range(8)]
    path = write_file(rows)
    real_capture = lead_import.capture_lead
    crashed = []

    def capture_once_crashing(**kwargs: Any) -> Any:
        # The worker dies on row 5 the first time (line 6, in the second chunk).
        if kwargs["email"] == "l4@example.com" and not crashed:
            crashed.append(True)
            raise RuntimeError("worker lost")
        return real_capture(**kwargs)

    monkeypatch.setattr(lead_import, "capture_lead", capture_once_crashing)
    seen: list[int] = []
    job = import_file(
        path, actor=sales1, kind=ImportKind.LEADS, progress=lambda j: seen.append(j.processed_rows)
    )
    assert job.status == ImportStatus.FAILED
    # The first chunk (lines 2-4) is in; the chunk that broke left nothing behind.
    assert job.committed_line == 4 and Lead.objects.count() == 3
    assert "Lines 2 to 4" in job.failure
    resume_import(job, actor=sales1)
    job = run_import_job(job.pk, progress=lambda j: seen.append(j.processed_rows))
    assert job.status == ImportStatus.DONE and job.created_rows == 8
    assert Lead.objects.count() == 8
    assert seen == [3, 6, 8, 8]


def _upload(client: Any, rows: list[list[str]]) -> Any:
    return client.post(
        reverse("imports:new_kind", args=["leads"]),
        {"file": SimpleUploadedFile("leads.csv", csv_bytes(rows))},
    )


def test_upload_from_the_leads_screen_map_and_import(
    client_for: Any, sales1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(sales1)
    leads_page = client.get(reverse("sales:lead_list")).content.decode()
    assert reverse("imports:new_kind", args=["leads"]) in leads_page
    assert client.get(reverse("imports:new_kind", args=["leads"])).status_code == 200
    response = _upload(client, [["نام", "ایمیل", "Mystery"], [XSS, "a@example.com", "x"]])
    job = ImportJob.objects.get()
    assert job.kind == ImportKind.LEADS and response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "&lt;script&gt;" in html and XSS not in html
    assert page.context["form"]["col_0"].initial == "name"
    assert page.context["form"]["col_1"].initial == "email"
    assert "on_duplicate" not in page.context["form"].fields
    # A mapping without an email or phone column is refused in the form.
    refused = client.post(
        reverse("imports:mapping", args=[job.pk]), {"col_0": "name", "action": "import"}
    )
    assert refused.status_code == 400 and "email or a phone" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:mapping", args=[job.pk]),
            {"col_0": "name", "col_1": "email", "col_2": "notes", "action": "import"},
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and job.created_rows == 1
    lead = Lead.objects.get()
    assert lead.owner is not None and lead.notes == "x"
    detail = client.get(reverse("imports:job", args=[job.pk])).content.decode()
    assert reverse("sales:lead_list") in detail
    listing = client.get(reverse("sales:lead_list")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in listing and XSS not in listing


def test_who_may_not_import_leads_gets_404(
    client_for: Any, sales1: Any, sales2: Any, service1: Any, marketing1: Any
) -> None:
    job = import_file_for(sales1)
    for user in (service1, marketing1):
        client = client_for(user)
        assert client.get(reverse("imports:new_kind", args=["leads"])).status_code == 404
        assert _upload(client, [["Name", "Email"], ["A", "a@example.com"]]).status_code == 404
        assert client.get(reverse("imports:job", args=[job.pk])).status_code == 404
    other = client_for(sales2)
    assert other.get(reverse("imports:job", args=[job.pk])).status_code == 404
    assert other.get(reverse("imports:mapping", args=[job.pk])).status_code == 404
    assert client_for(sales1).get(reverse("imports:new_kind", args=["bogus"])).status_code == 404
    assert Lead.objects.count() == 1


def import_file_for(user: Any) -> ImportJob:
    from django.core.files.base import ContentFile

    from peyvand.imports.services import create_import_job

    upload = ContentFile(csv_bytes([["Name", "Email"], ["A", "a@example.com"]]), name="l.csv")
    job = create_import_job(file=upload, filename="l.csv", actor=user, kind=ImportKind.LEADS)
    job.status = ImportStatus.QUEUED
    job.save()
    return run_import_job(job.pk)


def test_command_imports_leads(write_file: Any, sales1: Any, service1: Any, capsys: Any) -> None:
    path = write_file([["Name", "Email"], ["Cli lead", "cli@example.com"], ["Bad", "nope"]])
    with pytest.raises(CommandError):
        call_command("import_data", "leads", str(path), "--as", "service1")
    assert Lead.objects.count() == 0
    with pytest.raises(CommandError, match="1 errors"):
        call_command("import_data", "leads", str(path), "--as", "sales1")
    assert "created 1" in capsys.readouterr().out
    assert Lead.objects.get().channel == LeadChannel.IMPORT
