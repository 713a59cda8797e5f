"""Lead import from the leads screen and the lead sources screen, in a real browser, in
English and Persian: upload, map, import, the job page; edit a source's response hours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from peyvand.imports.models import ImportJob
from peyvand.sales.choices import LeadChannel
from peyvand.sales.models import Lead, LeadSource
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.imports.conftest import csv_bytes

ROWS = [
    ["نام", "شرکت", "ایمیل", "موبایل", "منبع"],
    ["مریم رضایی", "شرکت آریا", "maryam@example.com", "09121234567", "Website"],
    ["<b>Bold</b> Ali", "", "ali@example.com", "", "web"],
    ["Bad row", "", "not-an-email", "", ""],
]


def _layout(page: Any, language: str, name: str) -> None:
    page.wait_for_load_state("networkidle")
    shot = page.evaluate(
        "() => ({dir: document.documentElement.dir,"
        " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
    )
    assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
    assert not shot["wide"], name
    screenshot(page, f"{name}-{language}")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_import_leads_from_the_leads_screen(
    page: Any, sales1: Any, sales2: Any, tmp_path: Path, language: str
) -> None:
    LeadSource.objects.create(code="web", name="Website", name_fa="وبسایت")
    if language == "fa":
        speak_persian(sales1)
    else:
        sales1.language = "en"
        sales1.save(update_fields=["language"])
    upload = tmp_path / "leads.csv"
    upload.write_bytes(csv_bytes(ROWS))
    sign_in(page, "sales1", PASSWORD)
    page.goto("/sales/leads/")
    page.locator("a[href='/imports/new/leads/']").click()
    page.wait_for_url("**/imports/new/leads/")
    _layout(page, language, "lead-import-upload")
    page.locator("input[type=file]").set_input_files(str(upload))
    page.locator("form button.primary").click()
    page.wait_for_url("**/mapping/")
    _layout(page, language, "lead-import-mapping")
    page.locator("button[value=import]").click()
    page.wait_for_url("**/imports/*/")
    page.locator(".badge.status-done").first.wait_for()
    _layout(page, language, "lead-import-job")
    job = ImportJob.objects.get()
    assert [(line, column) for line, column, _m in job.errors] == [(4, "ایمیل")]
    assert job.errors[0][2] in page.locator("main").inner_text()
    leads = {lead.email: lead for lead in Lead.objects.all()}
    assert set(leads) == {"maryam@example.com", "ali@example.com"}
    assert all(lead.channel == LeadChannel.IMPORT for lead in leads.values())
    # Round robin shared the leads: the list shows this rep's, as text, not the other's.
    assert {lead.owner for lead in leads.values()} == {sales1, sales2}
    page.goto("/sales/leads/")
    listed = page.locator("main").inner_text()
    for lead in leads.values():
        assert (lead.name in listed) == (lead.owner == sales1), lead.name
    _layout(page, language, "lead-list-after-import")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "fa"])
def test_manager_sets_a_sources_response_hours(page: Any, manager: Any, language: str) -> None:
    source = LeadSource.objects.create(code="fair", name="Trade fair", name_fa="نمایشگاه")
    LeadSource.objects.create(code="web", name="Website", name_fa="وبسایت", response_hours=4)
    if language == "fa":
        speak_persian(manager)
    sign_in(page, "manager", PASSWORD)
    page.goto("/sales/leads/sources/")
    _layout(page, language, "lead-sources")
    page.locator(f"a[href='/sales/leads/sources/{source.pk}/']").click()
    page.locator("#id_response_hours").fill("0")
    page.locator("form.card button.primary").click()
    page.locator(".errorlist, .field-error").first.wait_for()
    _layout(page, language, "lead-source-error")
    page.locator("#id_response_hours").fill("2")
    page.locator("form.card button.primary").click()
    page.wait_for_url("**/sales/leads/sources/")
    source.refresh_from_db()
    assert source.response_hours == 2
