"""Charts can be taken away: the PNG is the chart as drawn, the CSV has the raw figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import sign_in
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_chart_downloads_as_png_and_csv(page: Any, personas: dict[str, Any]) -> None:
    from peyvand.analytics.costs.services import refresh_costs_to_serve, set_department_rate

    manager, service1 = personas["manager"], personas["service1"]
    set_department_rate(service1.departments.get(), Decimal("600000"), actor=manager)
    department = service1.departments.get()
    # A label that a spreadsheet would run as a formula.
    type(department).objects.filter(pk=department.pk).update(name="=SUM(A1)")
    customer = CustomerFactory(display_name="Cost", owner=manager, department=department)
    InteractionFactory(customer=customer, agent=service1, duration_seconds=5400)
    refresh_costs_to_serve()

    sign_in(page, "manager", PASSWORD)
    page.goto("/analytics/costs/")
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].split(",")[1:] == ["Service", "Marketing", "Discounts", "Retention"]
    # The raw amount, not "900,000 IRR": a spreadsheet can add it up.
    label, service = lines[1].split(",")[:2]
    assert label == "'=SUM(A1)" and float(service) == 900000
    assert csv_download.value.suggested_filename.endswith(".csv")

    with page.expect_download() as png_download:
        page.get_by_role("button", name="Download PNG").click()
    data = Path(png_download.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
