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


@pytest.mark.django_db(transaction=True)
def test_show_more_loads_the_next_cards_which_can_be_dragged_too(page: Any, sales1: Any) -> None:
    from django.utils import timezone

    from peyvand.sales.forecast_data import generate_open_deals
    from peyvand.sales.opportunities import open_stages
    from peyvand.sales.selectors import CARDS_PER_COLUMN
    from tests.conftest import speak_persian

    ensure_currencies()
    pipeline = ensure_default_pipeline()
    stages = open_stages(pipeline)
    customer = CustomerFactory(display_name="Arian Co", owner=sales1)
    generate_open_deals(
        pipeline=pipeline, customers=[customer], owners=[sales1],
        deals=(CARDS_PER_COLUMN + 3) * len(stages), now=timezone.now(),
    )  # fmt: skip
    first, second = stages[0], stages[1]
    column = page.locator(f'.board-column[data-stage="{first.pk}"]')

    sign_in(page, "sales1", PASSWORD)
    page.goto("/sales/pipeline/")
    assert column.locator(".kanban-card").count() == CARDS_PER_COLUMN
    screenshot(page, "kanban-show-more-en")
    column.get_by_role("link", name="Show more (3 more)").click()
    column.locator(".kanban-card").nth(CARDS_PER_COLUMN + 2).wait_for()
    assert column.locator(".kanban-card").count() == CARDS_PER_COLUMN + 3
    assert column.get_by_text("Show more").count() == 0
    loaded = column.locator(".kanban-card").last
    pk = int((loaded.get_attribute("id") or "").removeprefix("opportunity-"))
    loaded.drag_to(page.locator(f'.board-column[data-stage="{second.pk}"]'))
    page.locator(f'.board-column[data-stage="{second.pk}"] #opportunity-{pk}').wait_for()
    assert Opportunity.objects.get(pk=pk).stage_id == second.pk

    speak_persian(sales1)
    page.goto("/sales/pipeline/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    # One of its cards was dragged away above.
    column.get_by_role("link", name="نمایش بیشتر (۲ مورد دیگر)").wait_for()
    screenshot(page, "kanban-show-more-fa")
