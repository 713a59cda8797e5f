"""Service reports and the desk's SLA card in the browser, English and Persian: direction,
no CSP violation, nothing wider than the page, charts drawn."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.service.models import BusinessCalendar, SlaPolicy, Ticket
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory


def _tickets(service1: Any) -> None:
    calendar = BusinessCalendar.objects.create(name="Office")
    policy = SlaPolicy.objects.create(
        name="Standard", first_response_minutes=60, resolution_minutes=480, calendar=calendar
    )
    service = Department.objects.get(code="service")
    customers = [CustomerFactory(display_name=name) for name in ("Dana Co", "شرکت پارس")]
    now = timezone.now()
    for i in range(24):
        opened = now - dt.timedelta(days=i % 12, hours=i)
        Ticket.objects.create(
            customer=customers[i % 2],
            subject=f"<b>Printer</b> {i}" if i % 2 else f"چاپگر کار نمی‌کند {i}",
            queue=service,
            sla_policy=policy,
            category=["printer", "modem", "billing"][i % 3],
            assignee=service1 if i % 3 else None,
            status=["open", "solved", "new", "pending"][i % 4],
            created_at=opened,
            first_responded_at=opened + dt.timedelta(hours=1 + i % 5),
            resolved_at=opened + dt.timedelta(hours=6 + i) if i % 4 == 1 else None,
            first_response_due=opened + dt.timedelta(hours=2),
            resolution_due=opened + dt.timedelta(hours=8) if i % 5 else now + dt.timedelta(hours=1),
            resolution_breached=i % 5 != 0 and i % 4 != 1,
            response_breached=i % 5 == 3,
            warned_at=now if i % 5 == 0 else None,
            csat=i % 5 + 1 if i % 3 else None,
            csat_sent_at=opened + dt.timedelta(days=1) if i % 3 or i % 2 else None,
        )


@pytest.mark.parametrize("language", ["en", "fa"])
def test_service_report_screens_in_both_languages(
    page: Any, service1: Any, manager: Any, language: str
) -> None:
    _tickets(service1)
    if language == "fa":
        speak_persian(service1)
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "service1", PASSWORD)
    for name, path in [
        ("service-analytics", "/service/analytics/"),
        ("sla-breaches", "/service/tickets/breaches/"),
        ("desk-sla-card", "/"),
        ("ticket-queue", "/service/tickets/"),
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert not shot["wide"], name
        screenshot(page, f"{name}-{language}")
    page.goto("/service/analytics/")
    assert page.locator("figure svg").count() == 3  # backlog, categories, satisfaction
    # The reports are one click from the main navigation, which marks where you are.
    assert page.locator('.mainnav a[aria-current="page"]').get_attribute("href") == (
        "/service/analytics/"
    )
    assert problems == []
