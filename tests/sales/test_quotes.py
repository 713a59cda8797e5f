"""Quote services: pricing from the price list, totals and rounding, the life cycle, and
acceptance into an order in one audited transaction."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from peyvand.audit.models import ChangeLog
from peyvand.catalog.services import record_exchange_rate
from peyvand.core.problems import ServiceError
from peyvand.sales.choices import OpportunityStatus, QuoteStatus
from peyvand.sales.models import Opportunity, Order, Quote, QuoteLine, StageHistory
from peyvand.sales.opportunities import lose_opportunity
from peyvand.sales.quotes import (
    accept_quote,
    create_quote,
    expire_quotes,
    line_amounts,
    reject_quote,
    send_quote,
    update_quote,
)
from peyvand.sales.services import NotFound
from tests.sales.pipeline_factories import make_opportunity
from tests.sales.quote_factories import make_price_list, make_quote


def _changes(model: type[Any], **filters: Any) -> int:
    return ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(model), **filters
    ).count()


def test_lines_are_priced_from_the_list_and_totals_add_up(sales1: Any, customer1: Any) -> None:
    price_list, products = make_price_list(prices={"ERP-1": "1500000", "SUP-1": "333333"})
    quote = create_quote(
        actor=sales1,
        customer=customer1,
        price_list=price_list,
        lines=[
            {"product": products["ERP-1"].pk, "quantity": "2", "discount_percent": "10"},
            {
                "product": products["SUP-1"],
                "quantity": "3",
                "discount_percent": "2.5",
                "tax_percent": "9",
            },
        ],
    )
    first, second = quote.lines.all()
    assert first.unit_price.amount == Decimal("1500000")
    assert first.net.amount == Decimal("2700000") and first.tax.amount == 0
    # 3 × 333333 = 999999; less 2.5 % = 974999.025 → 974999; 9 % tax = 87749.91 → 87750.
    assert second.net.amount == Decimal("974999")
    assert second.tax.amount == Decimal("87750")
    assert quote.subtotal.amount == Decimal("3000000") + Decimal("999999")
    assert quote.discount_total.amount == first.discount.amount + second.discount.amount
    assert (
        quote.total.amount
        == quote.subtotal.amount - quote.discount_total.amount + quote.tax_total.amount
    )
    assert quote.status == QuoteStatus.DRAFT and quote.number.startswith(
        f"QT-{quote.issued_on.year}-"
    )
    assert str(quote.total.currency) == "IRR"


@given(
    quantity=st.decimals("0.001", "5000", places=3),
    price=st.decimals("0", "100000", places=2),
    discount=st.decimals("0", "100", places=2),
    tax=st.decimals("0", "100", places=2),
)
def test_line_amounts_round_each_part_half_up_once(
    quantity: Decimal, price: Decimal, discount: Decimal, tax: Decimal
) -> None:
    cents = Decimal("0.01")
    amounts = line_amounts(quantity, price, discount, tax, "USD", 2)
    exact_net = quantity * price * (100 - discount) / 100
    net = exact_net.quantize(cents, rounding=ROUND_HALF_UP)
    assert amounts.net == net
    assert amounts.tax == (net * tax / 100).quantize(cents, rounding=ROUND_HALF_UP)
    assert amounts.gross - amounts.discount == amounts.net
    assert amounts.total == amounts.net + amounts.tax


def test_a_quote_in_another_currency_converts_at_the_quote_date(
    sales1: Any, customer1: Any
) -> None:
    price_list, products = make_price_list("IRR", prices={"ERP-1": "1000000"})
    issued = timezone.localdate()
    record_exchange_rate(
        actor=None, base="USD", quote="IRR", date=issued - dt.timedelta(days=3), rate="600000"
    )
    record_exchange_rate(
        actor=None, base="USD", quote="IRR", date=issued + dt.timedelta(days=1), rate="1"
    )
    quote = create_quote(
        actor=sales1,
        customer=customer1,
        price_list=price_list,
        currency="USD",
        lines=[{"product": products["ERP-1"], "quantity": "1"}],
    )
    # 1,000,000 IRR at 600,000 IRR per USD (the rate known on the quote's date) = 1.67 USD.
    assert quote.lines.get().unit_price.amount == Decimal("1.67")
    assert str(quote.total.currency) == "USD"


def test_bad_lines_name_the_field_and_write_nothing(sales1: Any, customer1: Any) -> None:
    price_list, products = make_price_list()
    _other_list, other = make_price_list(name="Other", prices={"ZZZ-9": "10"})
    cases = [
        ([], "lines"),
        ([{"product": other["ZZZ-9"], "quantity": "1"}], "lines.0.product"),
        ([{"product": products["ERP-1"], "quantity": "0"}], "lines.0.quantity"),
        ([{"product": products["ERP-1"], "quantity": "abc"}], "lines.0.quantity"),
        (
            [{"product": products["ERP-1"], "quantity": "1", "discount_percent": "101"}],
            "lines.0.discount_percent",
        ),
        (
            [
                {"product": products["ERP-1"], "quantity": "1"},
                {"product": products["ERP-1"], "tax_percent": "-1"},
            ],
            "lines.1.tax_percent",
        ),
        ([{"product": 999999, "quantity": "1"}], "lines.0.product"),
    ]
    for lines, field in cases:
        with pytest.raises(ServiceError) as error:
            create_quote(actor=sales1, customer=customer1, price_list=price_list, lines=lines)
        assert error.value.field == field
    assert Quote.objects.count() == 0 and QuoteLine.objects.count() == 0


def test_quote_for_another_reps_customer_or_opportunity_is_not_found(
    sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    price_list, products = make_price_list()
    lines = [{"product": products["ERP-1"], "quantity": "1"}]
    with pytest.raises(NotFound):
        create_quote(actor=sales1, customer=customer2, price_list=price_list, lines=lines)
    deal = make_opportunity(customer2, sales2)
    with pytest.raises(NotFound):
        create_quote(
            actor=sales1, customer=customer1, price_list=price_list, lines=lines, opportunity=deal
        )
    own_deal = make_opportunity(customer1, sales1)
    quote = create_quote(
        actor=sales1, customer=customer1, price_list=price_list, lines=lines, opportunity=own_deal
    )
    assert quote.opportunity_id == own_deal.pk


def test_only_drafts_change_and_changes_are_audited(sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    product = quote.lines.get().product
    before = _changes(QuoteLine)
    update_quote(
        quote,
        actor=sales1,
        lines=[{"product": product, "quantity": "5"}],
        notes="<b>hi</b> سلام 🙂",
    )
    quote.refresh_from_db()
    assert quote.lines.get().quantity == 5 and quote.notes == "<b>hi</b> سلام 🙂"
    assert quote.total.amount == quote.lines.get().line_total.amount
    assert _changes(QuoteLine) == before + 2  # one line deleted, one created
    send_quote(quote, actor=sales1)
    with pytest.raises(ServiceError) as error:
        update_quote(quote, actor=sales1, notes="late")
    assert error.value.code == "not_draft"


def test_accept_makes_one_order_with_the_same_lines_and_total(sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    with pytest.raises(ServiceError):
        accept_quote(quote, actor=sales1)  # a draft must be sent first
    send_quote(quote, actor=sales1)
    order = accept_quote(quote, actor=sales1)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.order_id == order.pk
    assert order.total == quote.total and order.customer_id == customer1.pk
    assert order.external_ref == quote.number
    quote_line = quote.lines.get()
    item, tax = order.lines.order_by("pk")
    assert item.product_id == quote_line.product_id and item.line_total == quote_line.net
    assert tax.line_total == quote_line.tax and "9" in tax.description
    # Idempotent: a second accept returns the same order and writes nothing.
    logged = ChangeLog.objects.count()
    assert accept_quote(quote, actor=sales1).pk == order.pk
    assert Order.objects.count() == 1 and ChangeLog.objects.count() == logged
    with pytest.raises(ServiceError):
        reject_quote(quote, actor=sales1)


def test_accepting_a_quote_wins_its_open_opportunity(
    sales1: Any, manager: Any, customer1: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    open_stage = deal.stage
    quote = make_quote(customer1, actor=sales1, opportunity=deal)
    send_quote(quote, actor=sales1)
    # The manager accepts: the deal is won under the manager's name, through the stage move.
    accept_quote(quote, actor=manager)
    deal.refresh_from_db()
    won = deal.pipeline.stages.get(is_won=True)
    assert deal.status == OpportunityStatus.WON and deal.stage_id == won.pk
    assert deal.closed_at is not None and quote.number in deal.close_reason
    history = StageHistory.objects.filter(opportunity=deal).order_by("-pk").first()
    assert history is not None
    assert (history.from_stage_id, history.to_stage_id, history.by_id) == (
        open_stage.pk,
        won.pk,
        manager.pk,
    )
    change = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity), object_id=str(deal.pk)
    ).latest("pk")
    assert change.actor_id == manager.pk and change.after["status"] == OpportunityStatus.WON


def test_accepting_a_quote_keeps_a_closed_opportunity_as_it_is(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    quote = make_quote(customer1, actor=sales1, opportunity=deal)
    send_quote(quote, actor=sales1)
    lose_opportunity(deal, actor=sales1, reason="Went with a competitor")
    moves = StageHistory.objects.filter(opportunity=deal).count()
    accept_quote(quote, actor=sales1)
    deal.refresh_from_db()
    assert deal.status == OpportunityStatus.LOST
    assert StageHistory.objects.filter(opportunity=deal).count() == moves
    # A quote without an opportunity is accepted as before.
    plain = make_quote(customer1, actor=sales1)
    send_quote(plain, actor=sales1)
    assert accept_quote(plain, actor=sales1).customer_id == customer1.pk


def test_a_failed_accept_leaves_neither_order_nor_status(sales1: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    send_quote(quote, actor=sales1)
    # The product was withdrawn after the quote was sent: the order service refuses it.
    product = quote.lines.get().product
    product.is_active = False
    product.save(update_fields=["is_active"])
    with pytest.raises(ServiceError):
        accept_quote(quote, actor=sales1)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT and quote.order_id is None
    assert Order.objects.count() == 0


def test_reject_and_expire(sales1: Any, customer1: Any) -> None:
    rejected = make_quote(customer1, actor=sales1)
    send_quote(rejected, actor=sales1)
    reject_quote(rejected, actor=sales1, reason="Too expensive")
    assert reject_quote(rejected, actor=sales1).reject_reason == "Too expensive"
    today = timezone.localdate()
    lapsing = make_quote(
        customer1,
        actor=sales1,
        issued_on=today - dt.timedelta(days=10),
        valid_until=today - dt.timedelta(days=1),
    )
    current = make_quote(customer1, actor=sales1, valid_until=today)
    assert expire_quotes() == 1
    assert expire_quotes() == 0
    lapsing.refresh_from_db()
    current.refresh_from_db()
    rejected.refresh_from_db()
    assert lapsing.status == QuoteStatus.EXPIRED
    assert current.status == QuoteStatus.DRAFT and rejected.status == QuoteStatus.REJECTED
    assert _changes(Quote, object_id=str(lapsing.pk)) == 2
    with pytest.raises(ServiceError):
        send_quote(lapsing, actor=sales1)


def test_another_rep_cannot_act_on_the_quote(sales1: Any, sales2: Any, customer1: Any) -> None:
    quote = make_quote(customer1, actor=sales1)
    for action in (send_quote, accept_quote, reject_quote):
        with pytest.raises(NotFound):
            action(quote, actor=sales2)
    with pytest.raises(NotFound):
        update_quote(quote, actor=sales2, notes="x")


@pytest.mark.django_db(transaction=True)
def test_numbers_are_unique_and_sequential(sales1: Any, customer1: Any) -> None:
    price_list, products = make_price_list()
    numbers = [
        create_quote(
            actor=sales1,
            customer=customer1,
            price_list=price_list,
            lines=[{"product": products["ERP-1"]}],
        ).number
        for _ in range(3)
    ]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 3))
