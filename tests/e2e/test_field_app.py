"""The technician's offline field app in Debian's chromium: the page installs its service
worker, keeps working with the network cut (even reloaded), queues time and a material,
and syncs them when the connection returns; a change the office made meanwhile is shown
beside the technician's instead of being overwritten, until they choose."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.service.models import ServiceOrder
from peyvand.service.orders import services
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC)


def _orders(service1: Any) -> tuple[ServiceOrder, ServiceOrder]:
    ensure_currencies()  # a transactional test starts with the seeded rows flushed
    team = Department.objects.get(code="service")
    customer = CustomerFactory(department=team, display_name="Kayhan <script>x</script> Co")
    made = [
        services.create_order(
            actor=service1,
            customer=customer,
            title=title,
            department=team,
            technician=service1,
            window_start=START + dt.timedelta(hours=3 * index),
            window_end=START + dt.timedelta(hours=3 * index + 2),
        )
        for index, title in enumerate(["Replace the fuser", "Service the copier"])
    ]
    return made[0], made[1]


def _card(page: Any, order: ServiceOrder) -> Any:
    return page.locator(f"[data-order='{order.pk}']")


@pytest.mark.parametrize("language", ["en", "fa"])
def test_offline_changes_sync_and_conflicts_are_shown(
    page: Any, service1: Any, manager: Any, language: str
) -> None:
    if language == "fa":
        speak_persian(service1)
    fuser, copier = _orders(service1)
    page.set_default_timeout(60_000)
    sign_in(page, "service1", PASSWORD)
    page.goto("/service/orders/mobile/")
    _card(page, fuser).wait_for()
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.state)") in (
        "activating",
        "activated",
    )
    # Once the worker controls the page, it has cached the page and its assets.
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    _card(page, fuser).wait_for()

    page.context.set_offline(True)
    page.reload()  # served by the service worker from its cache
    _card(page, fuser).wait_for()
    time_form = _card(page, fuser).locator("[data-form=time]")
    time_form.locator("[name=minutes]").fill("30")
    time_form.locator("[name=note]").fill("Diagnosis")
    time_form.locator("button").click()
    page.wait_for_selector("[data-pending][data-count='1']")
    material = _card(page, fuser).locator("[data-form=material]")
    material.locator("[name=description]").fill("Drive belt")
    # The cards are redrawn on every change and connection event; typing survives it.
    description = f"[data-order='{fuser.pk}'] [data-form=material] [name=description]"
    page.evaluate(
        "(sel) => { document.querySelector(sel).dataset.old = '1';"
        " window.dispatchEvent(new Event('offline')); }",
        description,
    )
    page.wait_for_function("(sel) => !document.querySelector(sel).dataset.old", arg=description)
    assert material.locator("[name=description]").input_value() == "Drive belt"
    material.locator("[name=quantity]").fill("1")
    material.locator("[name=unit_cost]").fill("50000")
    material.locator("button").click()
    page.wait_for_selector("[data-pending][data-count='2']")
    assert material.locator("[name=description]").input_value() == ""
    notes = _card(page, copier).locator("[data-form=notes]")
    notes.locator("[name=work_notes]").fill("Cleaned the drum")
    notes.locator("button").click()
    page.wait_for_selector("[data-pending][data-count='3']")
    assert _card(page, fuser).locator("[data-lines] li").count() == 1
    screenshot(page, f"field-app-offline-{language}")

    # Meanwhile the office writes on the copier order.
    services.set_work_notes(copier, actor=manager, text="Office: call before coming")
    assert ServiceOrder.objects.get(pk=fuser.pk).time_entries.count() == 0

    page.context.set_offline(False)
    page.wait_for_selector(f"[data-conflict='{copier.pk}']")
    page.wait_for_selector("[data-pending][data-count='1']")
    fuser.refresh_from_db()
    assert [(e.minutes, e.note) for e in fuser.time_entries.all()] == [(30, "Diagnosis")]
    assert [line.description for line in fuser.lines.all()] == ["Drive belt"]
    assert fuser.status == "in_progress" and fuser.version > 1
    conflict = page.locator(f"[data-conflict='{copier.pk}']")
    assert conflict.locator("[data-office]").inner_text() == "Office: call before coming"
    assert conflict.locator("[data-theirs]").inner_text() == "Cleaned the drum"
    copier.refresh_from_db()
    assert copier.work_notes == "Office: call before coming"
    # The customer's name is shown as text, never parsed as markup.
    assert "Kayhan <script>x</script> Co" in _card(page, fuser).inner_text()
    screenshot(page, f"field-app-conflict-{language}")

    conflict.locator("[data-action=keep-mine]").click()
    page.wait_for_selector("[data-pending][data-count='0']")
    assert page.locator("[data-conflict]").count() == 0
    copier.refresh_from_db()
    assert copier.work_notes == "Cleaned the drum"


@pytest.mark.parametrize("language", ["en", "fa"])
def test_service_order_and_attachment_screens(
    page: Any, service1: Any, manager: Any, language: str
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from djmoney.money import Money

    from peyvand.service.kb import services as kb_services

    if language == "fa":
        speak_persian(service1)
    fuser, _copier = _orders(service1)
    services.add_line(
        fuser, actor=service1, description="Drive belt", quantity=2, unit_cost=Money(50_000, "IRR")
    )
    services.add_time(fuser, actor=service1, minutes=45, note="Fitting")
    services.set_status(fuser, actor=service1, status="done")
    article = kb_services.save_article(
        None, actor=service1, title="Copier jams", body="<p>Open the tray.</p>", language="en"
    )
    kb_services.add_attachment(
        article, SimpleUploadedFile("<img src=x onerror=alert(1)>.pdf", b"%PDF-1.4"), actor=service1
    )
    page.set_default_timeout(60_000)
    sign_in(page, "service1", PASSWORD)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for name, path in [
        ("service-orders", "/service/orders/"),
        ("service-order", f"/service/orders/{fuser.pk}/"),
        ("field-app", "/service/orders/mobile/"),
        ("kb-attachments", f"/service/kb/{article.pk}/"),
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "fa" else "ltr")
        screenshot(page, f"{name}-{language}")
    assert page.get_by_text("<img src=x onerror=alert(1)>.pdf").count() == 1
    assert dialogs == []
    page.goto(f"/service/orders/{fuser.pk}/")
    pad = page.locator("[data-signature-pad]")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 150, box["y"] + 90, steps=8)
    page.mouse.up()
    page.locator("[name=name]").fill("Ali Rezaei")
    page.locator("[data-signature-form] button[type=submit]").click()
    page.wait_for_selector("img.signature")
    fuser.refresh_from_db()
    assert fuser.status == "signed_off" and fuser.signature_kind == "drawn"
    screenshot(page, f"service-order-signed-{language}")
