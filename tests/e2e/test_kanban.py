"""The pipeline board in a real browser: drag a card to another stage, move one with the
keyboard, and check what the database says."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.models import Opportunity, StageHistory
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity


@pytest.mark.django_db(transaction=True)
def test_drag_a_card_to_another_stage_and_move_one_by_keyboard(
    page: Any, sales1: Any, sales2: Any
) -> None:
    ensure_currencies()
    pipeline = ensure_default_pipeline()
    proposal = pipeline.stages.get(name="Proposal")
    negotiation = pipeline.stages.get(name="Negotiation")
    customer = CustomerFactory(display_name="Arian Co", owner=sales1)
    dragged = make_opportunity(customer, sales1, title="ERP rollout", amount="5000000")
    keyed = make_opportunity(customer, sales1, title="Support plan", amount="700000")
    make_opportunity(
        CustomerFactory(display_name="Other", owner=sales2), sales2, title="Not for sales1"
    )

    sign_in(page, "sales1", PASSWORD)
    page.goto("/sales/pipeline/")
    card = page.locator(f"#opportunity-{dragged.pk}")
    card.wait_for()
    assert page.get_by_text("Not for sales1").count() == 0
    screenshot(page, "kanban-before")

    card.drag_to(page.locator(f'.board-column[data-stage="{proposal.pk}"]'))
    page.locator(f'.board-column[data-stage="{proposal.pk}"] #opportunity-{dragged.pk}').wait_for()
    # The moved card keeps the focus, and its column total now counts it.
    assert page.evaluate("document.activeElement.id") == f"opportunity-{dragged.pk}"
    assert "5,000,000" in page.locator(f'.board-column[data-stage="{proposal.pk}"]').inner_text()
    dragged.refresh_from_db()
    assert dragged.stage_id == proposal.pk
    assert StageHistory.objects.filter(opportunity=dragged, to_stage=proposal).count() == 1
    screenshot(page, "kanban-dragged")

    # Keyboard: focus the card, tab to its "Move to" list, choose, press the button.
    page.locator(f"#opportunity-{keyed.pk}").focus()
    page.keyboard.press("Tab")  # the title link
    page.keyboard.press("Tab")  # the "Move to" list
    assert page.evaluate("document.activeElement.id") == f"move-{keyed.pk}"
    page.locator(f"#move-{keyed.pk}").select_option(str(negotiation.pk))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(f'.board-column[data-stage="{negotiation.pk}"] #opportunity-{keyed.pk}').wait_for()
    assert Opportunity.objects.get(pk=keyed.pk).stage_id == negotiation.pk
    assert "moved to Negotiation" in page.locator("#board-status").inner_text()
    screenshot(page, "kanban-keyboard")
