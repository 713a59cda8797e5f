"""The whole sales path in a real browser: lead → convert → drag the opportunity on the
Kanban board → quote (lines added by HTMX) → send → accept → the order on the customer's
360 page → a contract from the order. Then the same screens in Persian, as screenshots."""

from __future__ import annotations

from typing import Any

import pytest

from peyvand.catalog.services import ensure_currencies
from peyvand.sales.choices import ContractStatus, OpportunityStatus, QuoteStatus
from peyvand.sales.models import Contract, Lead, Opportunity, Order, Quote
from peyvand.sales.opportunities import ensure_default_pipeline
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot, sign_in
from tests.sales.quote_factories import make_price_list


@pytest.mark.django_db(transaction=True)
def test_lead_to_contract_in_the_browser(page: Any, sales1: Any, sales2: Any) -> None:
    ensure_currencies()
    pipeline = ensure_default_pipeline()
    proposal = pipeline.stages.get(name="Proposal")
    price_list, products = make_price_list(
        name="Retail 1405", prices={"ERP-1": "1500000", "SUP-1": "333333"}
    )

    sign_in(page, "sales1", PASSWORD)
    # 1. A lead, by hand.
    page.goto("/sales/leads/new/")
    page.locator("#id_name").fill("Arash Tehrani")
    page.locator("#id_company").fill("Tehran Steel")
    page.locator("#id_email").fill("arash@tehransteel.example")
    page.get_by_role("button", name="Save lead").click()
    page.wait_for_url("**/sales/leads/*/")
    lead = Lead.objects.get(email__iexact="arash@tehransteel.example")

    # 2. Convert it: customer + opportunity.
    page.locator("#id_amount").fill("3000000")
    page.get_by_role("button", name="Convert lead").click()
    page.wait_for_url("**/sales/opportunities/*/")
    lead.refresh_from_db()
    opportunity = Opportunity.objects.get(pk=lead.converted_opportunity_id)
    customer = opportunity.customer

    # 3. Drag its card to "Proposal" on the board.
    page.goto("/sales/pipeline/")
    card = page.locator(f"#opportunity-{opportunity.pk}")
    card.wait_for()
    card.drag_to(page.locator(f'.board-column[data-stage="{proposal.pk}"]'))
    page.locator(
        f'.board-column[data-stage="{proposal.pk}"] #opportunity-{opportunity.pk}'
    ).wait_for()
    opportunity.refresh_from_db()
    assert opportunity.stage_id == proposal.pk

    # 4. A quote for it, from the opportunity page; the second line comes by HTMX.
    page.goto(f"/sales/opportunities/{opportunity.pk}/")
    page.locator("#opportunity-quotes").get_by_role("link", name="New quote").click()
    page.wait_for_url("**/sales/quotes/new/**")
    page.locator("#id_price_list").select_option(str(price_list.pk))
    page.locator("#id_lines-0-product").select_option(str(products["ERP-1"].pk))
    page.locator("#id_lines-0-quantity").fill("2")
    page.locator("#id_lines-0-discount_percent").fill("10")
    page.get_by_role("button", name="Add line").click()
    page.locator("#id_lines-1-product").wait_for()
    page.locator("#id_lines-1-product").select_option(str(products["SUP-1"].pk))
    page.locator("#id_lines-1-quantity").fill("3")
    page.locator("#id_lines-1-tax_percent").fill("9")
    screenshot(page, "quote-form-en")
    page.get_by_role("button", name="Create quote").click()
    page.wait_for_url("**/sales/quotes/*/")
    quote = Quote.objects.get(opportunity=opportunity)
    assert quote.lines.count() == 2
    assert page.get_by_text(quote.number).first.is_visible()
    screenshot(page, "quote-detail-en")

    # 5. Send, accept: the order.
    page.get_by_role("button", name="Mark as sent").click()
    page.get_by_role("button", name="Accept and create the order").click()
    page.wait_for_url("**/sales/orders/*/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    order = Order.objects.get(pk=quote.order_id)
    assert order.total == quote.total
    # Accepting the quote won the deal.
    opportunity.refresh_from_db()
    assert opportunity.status == OpportunityStatus.WON
    assert opportunity.stage_id == pipeline.stages.get(is_won=True).pk

    # 6. The order is on the customer's 360 page.
    page.goto(f"/customers/{customer.pk}/")
    orders = page.locator("#customer-orders")
    orders.wait_for()
    assert order.number in orders.inner_text()
    screenshot(page, "customer-360-en")

    # 7. A contract from the order.
    orders.get_by_role("link", name=order.number).click()
    page.get_by_role("link", name="Create a contract from this order").click()
    page.wait_for_url("**/sales/contracts/new/**")
    page.get_by_role("button", name="Create contract").click()
    page.wait_for_url("**/sales/contracts/*/")
    contract = Contract.objects.get(order=order)
    assert contract.status == ContractStatus.ACTIVE and contract.value == order.total
    assert contract.quote_id == quote.pk
    screenshot(page, "contract-detail-en")

    # Another rep sees none of it.
    other = page.context.browser.new_context(base_url=page.url.split("/sales/")[0])
    other_page = other.new_page()
    sign_in(other_page, "sales2", PASSWORD)
    for url in (
        f"/sales/quotes/{quote.pk}/",
        f"/sales/quotes/{quote.pk}/pdf/",
        f"/sales/contracts/{contract.pk}/",
    ):
        assert other_page.goto(url).status == 404, url
    other.close()

    # The same screens in Persian.
    sales1.language = "fa"
    sales1.save(update_fields=["language"])
    for name, url in [
        ("quote-detail-fa", f"/sales/quotes/{quote.pk}/"),
        ("quote-list-fa", "/sales/quotes/"),
        ("quote-form-fa", f"/sales/quotes/new/?opportunity={opportunity.pk}"),
        ("contract-detail-fa", f"/sales/contracts/{contract.pk}/"),
        ("contracts-fa", "/sales/contracts/"),
        ("renewals-fa", "/sales/contracts/renewals/"),
        ("customer-360-fa", f"/customers/{customer.pk}/"),
    ]:
        page.goto(url)
        assert page.locator("html").get_attribute("dir") == "rtl", url
        if name == "customer-360-fa":
            page.locator("#customer-orders").wait_for()
        screenshot(page, name)
