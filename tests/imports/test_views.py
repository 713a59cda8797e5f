"""The import wizard and job pages through the Django test client, per persona."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from peyvand.customers.models import Customer
from peyvand.imports.choices import ImportStatus
from peyvand.imports.models import ImportJob
from peyvand.imports.services import import_file

from .conftest import csv_bytes

XSS = "<script>alert(1)</script>"


def _upload(client: Any, rows: list[list[str]], name: str = "people.csv") -> Any:
    data = csv_bytes(rows)
    return client.post(reverse("imports:new"), {"file": SimpleUploadedFile(name, data)})


def test_wizard_upload_map_dry_run_then_import(
    client_for: Any, sales1: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sales1.language = "fa"
    sales1.save(update_fields=["language"])
    client = client_for(sales1)
    assert client.get(reverse("imports:list")).status_code == 200
    assert client.get(reverse("imports:new")).status_code == 200
    response = _upload(
        client, [["نام", "ایمیل", "Mystery"], ["Ali", "ali@example.com", "x"], [XSS, "bad", "y"]]
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:mapping", args=[job.pk])
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS not in html
    # Persian headers were recognised; the unknown one is left unmapped.
    assert page.context["form"]["col_0"].initial == "display_name"
    assert page.context["form"]["col_1"].initial == "email"
    assert page.context["form"]["col_2"].initial == ""
    post = {"col_0": "display_name", "col_1": "email", "col_2": "notes", "on_duplicate": "update"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("imports:mapping", args=[job.pk]), {**post, "action": "dry_run"}
        )
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_rows, job.error_count) == (
        ImportStatus.DONE,
        True,
        1,
        1,
    )
    assert not Customer.objects.exists()
    detail = client.get(reverse("imports:job", args=[job.pk]))
    body = detail.content.decode()
    # sales1 works in Persian: the report is in her language.
    with translation.override("fa"):
        invalid = translation.gettext("“%(value)s” is not a valid email address.") % {
            "value": "bad"
        }
    assert invalid in body
    assert 'hx-trigger="every 1s"' not in body
    assert reverse("imports:errors", args=[job.pk]) in body
    report = client.get(reverse("imports:errors", args=[job.pk]))
    assert (
        b"".join(report.streaming_content)
        .decode("utf-8-sig")
        .splitlines()[1]
        .startswith("3,ایمیل,")
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("imports:run", args=[job.pk]))
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("imports:job", args=[real.pk])
    real.refresh_from_db()
    assert (real.dry_run, real.status, real.created_rows) == (False, ImportStatus.DONE, 1)
    assert Customer.objects.get().display_name == "Ali"


def test_running_job_page_polls_with_htmx(client_for: Any, sales1: Any) -> None:
    job = ImportJob.objects.create(
        original_filename="x.csv",
        format="csv",
        created_by=sales1,
        status=ImportStatus.RUNNING,
        total_rows=10,
        processed_rows=4,
    )
    body = client_for(sales1).get(reverse("imports:job", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'value="40"' in body
    partial = client_for(sales1).get(
        reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert "HX-Refresh" not in partial
    job.status = ImportStatus.DONE
    job.save()
    partial = client_for(sales1).get(
        reverse("imports:progress", args=[job.pk]), HTTP_HX_REQUEST="true"
    )
    assert partial["HX-Refresh"] == "true"


def test_upload_refusals_are_clear_and_store_nothing(
    client_for: Any, sales2: Any, settings: Any
) -> None:
    client = client_for(sales2)
    response = client.post(reverse("imports:new"), {"file": SimpleUploadedFile("x.pdf", b"%PDF")})
    assert response.status_code == 400
    assert "Only CSV and XLSX files can be imported." in response.content.decode()
    garbage = bytes(range(256)) * 100
    response = client.post(reverse("imports:new"), {"file": SimpleUploadedFile("x.csv", garbage)})
    assert response.status_code == 400
    assert "not text in a supported encoding" in response.content.decode()
    settings.PEYVAND_MAX_IMPORT_BYTES = 10
    response = _upload(client, [["name"], ["Ali"]])
    assert "largest file you can import" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_mapping_without_a_name_column_is_refused(client_for: Any, sales2: Any) -> None:
    client = client_for(sales2)
    _upload(client, [["name", "email"], ["Ali", "a@example.com"]])
    job = ImportJob.objects.get()
    response = client.post(
        reverse("imports:mapping", args=[job.pk]),
        {"col_0": "", "col_1": "email", "on_duplicate": "update", "action": "import"},
    )
    assert response.status_code == 400
    assert "Required columns are missing" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DRAFT


def test_a_persona_who_may_only_export_sees_the_export_links_not_the_wizard(
    client_for: Any, marketing1: Any
) -> None:
    client = client_for(marketing1)
    page = client.get(reverse("imports:list"))
    assert page.status_code == 200
    body = page.content.decode()
    assert reverse("imports:export_csv") in body
    assert reverse("imports:new") not in body
    assert client.get(reverse("imports:new")).status_code == 404


def test_a_persona_who_may_neither_import_nor_export_gets_404(
    client_for: Any, service1: Any
) -> None:
    client = client_for(service1)
    assert client.get(reverse("imports:list")).status_code == 404
    assert client.get(reverse("imports:new")).status_code == 404


def _job_of(user: Any, tmp_path: Path) -> ImportJob:
    path = tmp_path / "one.csv"
    path.write_bytes(csv_bytes([["name", "email"], ["Ali", "bad"]]))
    return import_file(path, actor=user)


@pytest.mark.parametrize("name", ["job", "progress", "errors", "mapping"])
def test_another_users_job_is_404_and_the_manager_sees_it(
    client_for: Any, sales1: Any, sales2: Any, manager: Any, tmp_path: Path, name: str
) -> None:
    job = _job_of(sales1, tmp_path)
    url = reverse(f"imports:{name}", args=[job.pk])
    assert client_for(sales2).get(url).status_code == 404
    assert client_for(sales1).get(url).status_code in {200, 302}
    assert client_for(manager).get(url).status_code in {200, 302}
    assert client_for(sales2).post(reverse("imports:resume", args=[job.pk])).status_code == 404


def test_job_list_shows_only_own_jobs_with_pinned_queries(
    client_for: Any, sales1: Any, sales2: Any, tmp_path: Path, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        _job_of(sales1, tmp_path)
    other = _job_of(sales2, tmp_path)
    client = client_for(sales1)
    client.get(reverse("imports:list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("imports:list"))
    assert len(response.context["jobs"]) == 3
    assert reverse("imports:job", args=[other.pk]) not in response.content.decode()


def test_error_messages_with_html_are_escaped_on_the_job_page(
    client_for: Any, sales2: Any, tmp_path: Path
) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes([["name", "email"], ["Ali", XSS]]))
    job = import_file(path, actor=sales2)
    body = client_for(sales2).get(reverse("imports:job", args=[job.pk])).content.decode()
    assert XSS not in body
    assert "&lt;script&gt;" in body


def test_error_table_is_paginated(client_for: Any, sales1: Any, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_bytes(csv_bytes([["name", "email"], *([f"P{i}", "bad"] for i in range(250))]))
    job = import_file(path, actor=sales1)
    client = client_for(sales1)
    first = client.get(reverse("imports:job", args=[job.pk]))
    assert len(first.context["page"].object_list) == 100
    last = client.get(reverse("imports:job", args=[job.pk]), {"page": 3})
    assert [row[0] for row in last.context["page"].object_list][-1] == 251


def test_an_abandoned_running_job_can_be_resumed(
    client_for: Any, sales1: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    import datetime as dt

    from django.utils import timezone

    path = tmp_path / "two.csv"
    path.write_bytes(csv_bytes([["name", "email"], ["Ali", "ali@example.com"]]))
    job = import_file(path, actor=sales1)
    Customer.objects.all().delete()
    stale = timezone.now() - dt.timedelta(hours=1)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING,
        committed_line=0,
        updated_at=stale,
        created_rows=0,
        processed_rows=0,
    )
    client = client_for(sales1)
    assert "Run again" in client.get(reverse("imports:job", args=[job.pk])).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("imports:resume", args=[job.pk]))
    job.refresh_from_db()
    assert (job.status, job.created_rows) == (ImportStatus.DONE, 1)
    assert Customer.objects.get().display_name == "Ali"
