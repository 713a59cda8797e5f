"""The import engine against the real database: validation, dedupe, idempotence, audit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.customers.models import ContactPoint, Customer, CustomFieldDefinition
from peyvand.imports import services
from peyvand.imports.choices import DuplicatePolicy, ImportStatus
from peyvand.imports.readers import ImportFileError
from peyvand.imports.services import import_file
from tests.factories import ContactPointFactory, CustomerFactory

HEADER = ["name", "email", "mobile", "tags", "notes", "external id"]


def _emails(customer: Customer) -> set[str]:
    return set(customer.contact_points.filter(kind="email").values_list("normalized", flat=True))


def test_rows_become_customers_with_contacts_tags_owner_and_audit(write_csv, sales1: Any) -> None:
    path = write_csv(
        [
            HEADER,
            ["علي كريمي", "Ali@Example.com", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "vip; طلایی", "", "A-1"],
            ["Sara Ahmadi", "", "+98 21 8888 7777", "", "note", "A-2"],
        ]
    )
    job = import_file(path, actor=sales1)
    assert (job.status, job.created_rows, job.error_count) == (ImportStatus.DONE, 2, 0)
    ali = Customer.objects.get(external_ref="A-1")
    assert ali.owner == sales1
    assert ali.department == sales1.departments.first()
    assert ali.name_key == "علی کریمی"
    assert _emails(ali) == {"ali@example.com"}
    assert set(ali.contact_points.values_list("normalized", flat=True)) == {
        "ali@example.com",
        "+989121234567",
    }
    assert set(ali.tags.values_list("name", flat=True)) == {"vip", "طلایی"}
    assert Customer.objects.search("علی کریمی").filter(pk=ali.pk).exists()
    sara = Customer.objects.get(external_ref="A-2")
    assert sara.contact_points.get(kind="phone").normalized == "+982188887777"
    logged = ChangeLog.objects.filter(action="create", customer_id__in=[ali.pk, sara.pk])
    assert logged.count() == 2
    assert logged.get(customer_id=ali.pk).after["tags"] == ["vip", "طلایی"]
    assert verify_chain().ok


def test_windows_1256_file_imports_and_is_found_with_persian_letters(
    write_csv, sales1: Any
) -> None:
    path = write_csv([["نام", "موبايل"], ["علي كريمي", "09121234567"]], encoding="cp1256")
    job = import_file(path, actor=sales1)
    assert job.created_rows == 1
    assert Customer.objects.search("علی کریمی").count() == 1


def test_binary_garbage_is_refused_clearly_and_imports_nothing(tmp_path: Path, sales1: Any) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 400)
    with pytest.raises(ImportFileError, match="encoding"):
        import_file(path, actor=sales1)
    assert not Customer.objects.exists()


def test_missing_required_columns_is_one_error_and_nothing_imported(write_csv, sales1: Any) -> None:
    path = write_csv([["email", "mobile"], ["a@example.com", "09121234567"]])
    with pytest.raises(ImportFileError, match="Required columns are missing"):
        import_file(path, actor=sales1)
    assert not Customer.objects.exists()


def test_mapping_naming_a_missing_required_custom_field_is_refused(write_csv, sales1: Any) -> None:
    CustomFieldDefinition.objects.create(
        key="national_id", label="National ID", field_type="text", required=True
    )
    path = write_csv([["name"], ["Ali"]])
    with pytest.raises(ImportFileError, match="National ID"):
        import_file(path, actor=sales1)
    assert not Customer.objects.exists()


def _bad_and_good(count_bad: int) -> list[list[str]]:
    rows = [HEADER]
    for i in range(count_bad):
        rows.append([f"Bad {i}", f"not-an-email-{i}", "", "", "", ""])
    rows.append(["Good One", "good1@example.com", "", "", "", ""])
    rows.append(["Good Two", "", "09351112233", "", "", ""])
    rows.append(["", "noname@example.com", "", "", "", ""])
    return rows


def test_ten_thousand_bad_rows_dry_run_reports_all_commits_nothing(write_csv, sales2: Any) -> None:
    path = write_csv(_bad_and_good(10_000))
    job = import_file(path, actor=sales2, dry_run=True)
    assert job.status == ImportStatus.DONE
    assert job.error_count == 10_001
    assert job.created_rows == 2
    assert len(job.errors) == 10_000
    assert job.errors[0] == [2, "email", "“not-an-email-0” is not a valid email address."]
    report = Path(job.error_report.path).read_text(encoding="utf-8-sig").splitlines()
    assert len(report) == 1 + 10_001
    assert report[-1] == "10004,name,A name is required."
    assert not Customer.objects.exists()
    assert not ChangeLog.objects.exists()


def test_ten_thousand_bad_rows_real_run_commits_only_good_rows(write_csv, sales2: Any) -> None:
    path = write_csv(_bad_and_good(10_000))
    job = import_file(path, actor=sales2)
    assert (job.created_rows, job.error_count, job.processed_rows) == (2, 10_001, 10_003)
    assert set(Customer.objects.values_list("display_name", flat=True)) == {"Good One", "Good Two"}


def test_formula_cells_are_stored_as_plain_text(write_csv, sales1: Any) -> None:
    path = write_csv([HEADER, ['=HYPERLINK("http://evil","x")', "", "", "", "@SUM(A1:A9)", "-1+2"]])
    import_file(path, actor=sales1)
    customer = Customer.objects.get()
    assert customer.display_name == '=HYPERLINK("http://evil","x")'
    assert customer.notes == "@SUM(A1:A9)"
    assert customer.external_ref == "-1+2"


def test_rows_matching_existing_customers_update_instead_of_duplicating(
    write_csv, sales1: Any
) -> None:
    by_email = CustomerFactory(display_name="Old Name", owner=sales1)
    ContactPointFactory(
        customer=by_email, kind="email", value="old@example.com", normalized="old@example.com"
    )
    by_phone = CustomerFactory(display_name="Phone Person", owner=sales1)
    ContactPointFactory(
        customer=by_phone, kind="phone", value="0912 000 1111", normalized="+989120001111"
    )
    by_ref = CustomerFactory(display_name="Ref Person", owner=sales1, external_ref="R-9")
    path = write_csv(
        [
            HEADER,
            ["New Name", "OLD@example.com", "", "", "", ""],
            ["Phone Person", "", "+989120001111", "gold", "", ""],
            ["Ref Person", "ref@example.com", "", "", "", "R-9"],
        ]
    )
    job = import_file(path, actor=sales1)
    assert (job.created_rows, job.updated_rows) == (0, 3)
    assert Customer.objects.count() == 3
    by_email.refresh_from_db()
    assert by_email.display_name == "New Name"
    assert list(by_phone.tags.values_list("name", flat=True)) == ["gold"]
    assert _emails(by_ref) == {"ref@example.com"}
    assert (
        ChangeLog.objects.filter(action="update", customer_id=by_email.pk)
        .get()
        .before["display_name"]
        == "Old Name"
    )


def test_skip_existing_leaves_matches_alone(write_csv, sales1: Any) -> None:
    existing = CustomerFactory(display_name="Keep Me", owner=sales1, external_ref="K-1")
    path = write_csv([HEADER, ["Changed", "", "", "", "", "K-1"], ["Fresh", "", "", "", "", "K-2"]])
    job = import_file(path, actor=sales1, on_duplicate=DuplicatePolicy.SKIP)
    assert (job.created_rows, job.updated_rows, job.skipped_rows) == (1, 0, 1)
    existing.refresh_from_db()
    assert existing.display_name == "Keep Me"


def test_duplicates_within_the_file_become_one_customer(
    write_csv, sales1: Any, monkeypatch
) -> None:
    # Small chunks, so the duplicates straddle a chunk boundary as well as share one.
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    path = write_csv(
        [
            HEADER,
            ["Ali", "ali@example.com", "", "a", "", ""],
            ["Ali Again", "ALI@example.com", "09121234567", "b", "", ""],
            ["Ali Phone", "", "0912 123 4567", "c", "", ""],
            ["Other", "other@example.com", "", "", "", ""],
        ]
    )
    job = import_file(path, actor=sales1)
    assert job.created_rows == 2
    assert Customer.objects.count() == 2
    ali = Customer.objects.get(contact_points__normalized="ali@example.com")
    assert ali.display_name == "Ali Phone"
    assert set(ali.tags.values_list("name", flat=True)) == {"a", "b", "c"}
    assert ali.contact_points.filter(kind="phone").count() == 1


@pytest.mark.parametrize("chunk", [2, 5000])
def test_dry_run_counts_within_file_duplicates_like_a_real_run(
    write_csv, sales1: Any, monkeypatch, chunk: int
) -> None:
    monkeypatch.setattr(services, "CHUNK_ROWS", chunk)
    rows = [HEADER, *([f"P{i}", f"p{i % 3}@example.com", "", "", "", ""] for i in range(6))]
    dry = import_file(write_csv(rows), actor=sales1, dry_run=True)
    assert not Customer.objects.exists()
    real = import_file(write_csv(rows, name="again.csv"), actor=sales1)
    assert dry.created_rows == real.created_rows == 3


def test_reimporting_the_same_file_changes_nothing(write_csv, sales1: Any) -> None:
    path = write_csv(
        [
            HEADER,
            ["Ali", "ali@example.com", "09121234567", "x;y", "n", "E-1"],
            ["Ali Renamed", "ali@example.com", "", "", "", ""],
            ["No Keys", "", "", "t", "", ""],
        ]
    )
    first = import_file(path, actor=sales1)
    assert first.created_rows == 2
    state = list(Customer.objects.order_by("pk").values())
    contacts = ContactPoint.objects.count()
    changes = ChangeLog.objects.count()
    second = import_file(path, actor=sales1)
    assert (second.created_rows, second.updated_rows, second.skipped_rows) == (0, 0, 3)
    assert list(Customer.objects.order_by("pk").values()) == state
    assert ContactPoint.objects.count() == contacts
    assert ChangeLog.objects.count() == changes


def test_a_match_with_someone_elses_customer_is_an_error_not_an_update(
    write_csv, sales2: Any, sales1: Any
) -> None:
    theirs = CustomerFactory(display_name="Theirs", owner=sales1)
    ContactPointFactory(
        customer=theirs, kind="email", value="t@example.com", normalized="t@example.com"
    )
    path = write_csv([HEADER, ["Mine Now", "t@example.com", "", "", "", ""]])
    job = import_file(path, actor=sales2)
    assert (job.created_rows, job.updated_rows, job.error_count) == (0, 0, 1)
    assert "may not change" in job.errors[0][2]
    theirs.refresh_from_db()
    assert theirs.display_name == "Theirs"
    assert Customer.objects.count() == 1


def test_custom_fields_are_validated_by_the_customer_rules(write_csv, sales2: Any) -> None:
    CustomFieldDefinition.objects.create(key="vip_level", label="VIP level", field_type="number")
    path = write_csv([["name", "VIP level"], ["Ali", "۳"], ["Sara", "lots"]])
    job = import_file(path, actor=sales2)
    assert job.created_rows == 1
    assert Customer.objects.get().custom == {"vip_level": 3}
    assert job.errors == [[3, "VIP level", "Enter a number."]]


def test_errors_are_in_the_importing_users_language(write_csv, sales1: Any) -> None:
    sales1.language = "fa"
    sales1.save()
    path = write_csv([["name", "email"], ["Ali", "bad"]])
    job = import_file(path, actor=sales1)
    from django.utils import translation

    with translation.override("fa"):
        expected = translation.gettext("“%(value)s” is not a valid email address.") % {
            "value": "bad"
        }
    assert job.errors == [[2, "email", expected]]
    assert "is not a valid email address" not in expected


def test_failed_chunk_leaves_earlier_chunks_and_resume_finishes(
    write_csv, sales2: Any, monkeypatch
) -> None:
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    path = write_csv([HEADER, *([f"C{i}", f"c{i}@example.com", "", "", "", ""] for i in range(6))])
    original = services._Importer._write
    calls = {"n": 0}

    def fail_on_second_chunk(self: Any, chunk: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        original(self, chunk)

    monkeypatch.setattr(services._Importer, "_write", fail_on_second_chunk)
    job = import_file(path, actor=sales2)
    assert job.status == ImportStatus.FAILED
    assert job.committed_line == 3
    assert "Lines 2 to 3 were imported" in job.failure
    assert Customer.objects.count() == 2
    services.resume_import(job, actor=sales2)
    job = services.run_import_job(job.pk)
    assert job.status == ImportStatus.DONE
    assert Customer.objects.count() == 6
    assert job.created_rows == 6
    assert verify_chain().ok


def test_a_file_broken_halfway_keeps_committed_chunks_and_says_so(
    tmp_path: Path, sales2: Any, monkeypatch
) -> None:
    import csv as csv_module

    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    path = tmp_path / "broken.csv"
    path.write_text(
        "name,email\nA,a@example.com\nB,b@example.com\nC,c@example.com\nD," + "x" * 300 + "\n"
    )
    limit = csv_module.field_size_limit(100)
    try:
        job = import_file(path, actor=sales2)
    finally:
        csv_module.field_size_limit(limit)
    assert job.status == ImportStatus.FAILED
    assert "not valid CSV" in job.failure
    assert "Lines 2 to 3 were imported" in job.failure
    assert job.errors[-1][0] == 4
    assert set(Customer.objects.values_list("display_name", flat=True)) == {"A", "B"}


def test_file_over_the_size_limit_is_refused(write_csv, sales1: Any, settings) -> None:
    settings.PEYVAND_MAX_IMPORT_BYTES = 1000
    path = write_csv(
        [HEADER, *([f"C{i}", f"c{i}@example.com", "", "", "", ""] for i in range(100))]
    )
    with pytest.raises(ImportFileError, match="largest file you can import"):
        import_file(path, actor=sales1)
    assert not Customer.objects.exists()


@pytest.mark.slow
def test_a_200_mb_file_is_refused_before_parsing(tmp_path: Path, sales1: Any, settings) -> None:
    settings.PEYVAND_MAX_IMPORT_BYTES = 100 * 1024 * 1024
    path = tmp_path / "huge.csv"
    line = b"Customer,customer@example.com,09121234567,tag,notes notes notes,REF\n"
    block = line * (1024 * 1024 // len(line) + 1)
    with path.open("wb") as handle:
        handle.write(b"name,email,mobile,tags,notes,external id\n")
        while handle.tell() < 200 * 1024 * 1024:
            handle.write(block)
    with pytest.raises(ImportFileError, match="largest file you can import"):
        import_file(path, actor=sales1)
    assert not Customer.objects.exists()
    assert not list((Path(settings.MEDIA_ROOT) / "imports").rglob("*.csv"))
