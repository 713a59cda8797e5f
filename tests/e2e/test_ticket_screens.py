"""The ticket page (thread, reply, note, macros, merge/split, watchers), the macros page and
the customer's satisfaction survey in the browser, English and Persian: direction, no CSP
violation, nothing wider than the page, hostile text shown as text."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.access.models import Department
from peyvand.channels.email.models import SendingIdentity
from peyvand.channels.inbox.services import open_conversation, receive_message
from peyvand.service.models import Macro
from peyvand.service.tickets.csat import survey_token
from peyvand.service.tickets.macros import save_macro
from peyvand.service.tickets.services import (
    add_internal_note,
    open_ticket,
    reply_to_customer,
    watch_ticket,
)
from tests.channels.email.conftest import customer_with_email
from tests.conftest import PASSWORD, speak_persian
from tests.e2e.conftest import screenshot, sign_in

HOSTILE = "<img src=x onerror=alert(1)>"


def _data(agent: Any, language: str) -> dict[str, Any]:
    SendingIdentity.objects.create(
        name="Support",
        from_name_en="Support",
        from_name_fa="پشتیبانی",
        address="support@shop.example",
    )
    customer = customer_with_email(
        "nazanin@example.com", display_name=f"نازنین {HOSTILE}", preferred_language=language
    )
    conversation = open_conversation(channel="email", customer=customer, subject="چاپگر")
    receive_message(
        conversation,
        message_id="e2e-1@x",
        body=f"چاپگر کار نمی‌کند {HOSTILE}",
        sender="nazanin@example.com",
        subject="چاپگر",
    )
    ticket = open_ticket(
        actor=agent,
        customer=customer,
        subject=f"چاپگر کار نمی‌کند {HOSTILE}",
        queue=Department.objects.get(code="service"),
        channel="email",
        conversation=conversation,
    )
    reply_to_customer(ticket, actor=agent, body="لطفاً چاپگر را خاموش و روشن کنید.")
    add_internal_note(ticket, actor=agent, body=f"Customer called twice {HOSTILE}")
    watch_ticket(ticket, user=agent)
    save_macro(
        Macro(),
        actor=agent,
        title="Waiting / در انتظار",
        language=language,
        body="سلام {{ customer.first_name | دوست عزیز }}، تیکت {{ ticket.number }}",
        set_status="pending",
    )
    return {"ticket": ticket}


@pytest.mark.parametrize("language", ["en", "fa"])
def test_ticket_screens_in_both_languages(page: Any, manager: Any, language: str) -> None:
    data = _data(manager, language)
    page.set_default_timeout(90_000)
    page.set_default_navigation_timeout(90_000)
    if language == "fa":
        speak_persian(manager)
    problems: list[str] = []
    page.on("dialog", lambda dialog: problems.append("dialog: " + dialog.message))
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    sign_in(page, "manager", PASSWORD)
    ticket = data["ticket"]
    for name, path in [
        ("ticket", f"/service/tickets/{ticket.pk}/"),
        ("macros", "/service/macros/"),
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot = page.evaluate(
            "() => ({dir: document.documentElement.dir, lang: document.documentElement.lang,"
            " wide: document.documentElement.scrollWidth > window.innerWidth + 1})"
        )
        assert shot["dir"] == ("rtl" if language == "fa" else "ltr"), name
        assert shot["lang"] == language, name
        assert not shot["wide"], name
        screenshot(page, f"ticket-{name}-{language}")
    # Applying the macro from the ticket page fills the reply box.
    page.goto(f"/service/tickets/{ticket.pk}/")
    page.locator("select[name=macro]").select_option(label="Waiting / در انتظار")
    page.locator("form[action$='/macro/'] button").click()
    page.wait_for_load_state("networkidle")
    assert f"تیکت {ticket.pk}" in page.locator("textarea[name=body]").first.input_value()
    # The customer's survey page, in the customer's language, without signing in.
    page.context.clear_cookies()
    page.goto(f"/service/survey/{survey_token(ticket)}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => document.documentElement.dir") == (
        "rtl" if language == "fa" else "ltr"
    )
    screenshot(page, f"ticket-survey-{language}")
    assert not problems
