from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.catalog.models import Currency
from peyvand.core.problems import Conflict, ServiceError
from peyvand.sales.models import Order, OrderLine, Payment
from peyvand.sales.selectors import balance, order_totals_by_currency
from peyvand.sales.services import NotFound, cancel_order, create_order, record_payment
from tests.catalog.factories import ProductFactory
from tests.sales.factories import make_order


def line(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "product": None,
        "description": "Item",
        "quantity": Decimal(1),
        "unit_price": Decimal(100),
    }
    data.update(overrides)
    return data


def test_totals_are_computed_and_rounded_half_up_for_irr(sales1: Any, customer1: Any) -> None:
    product = ProductFactory(name="Tea")
    order = create_order(
        actor=sales1,
        customer=customer1,
        currency="IRR",
        lines=[
            line(
                product=product,
                description="",
                quantity=Decimal(3),
                unit_price=Decimal(333),
                discount_percent=Decimal("12.5"),
            ),
            line(quantity=Decimal("0.5"), unit_price=Decimal(5)),
        ],
    )
    first, second = order.lines.all()
    # 3 × 333 × 0.875 = 874.125 -> 874; 0.5 × 5 = 2.5 -> 3 (half up, not banker's 2)
    assert first.line_total == Money(874, "IRR")
    assert first.description == "Tea"
    assert second.line_total == Money(3, "IRR")
    assert order.total == Money(877, "IRR")
    assert order.number.startswith(f"SO-{dt.date.today().year}-")
    assert order.created_by == sales1


def test_usd_totals_keep_cents(sales1: Any, customer1: Any) -> None:
    order = create_order(
        actor=sales1,
        customer=customer1,
        currency="USD",
        lines=[
            line(quantity=Decimal(3), unit_price=Decimal("19.99"), discount_percent=Decimal(10))
        ],
    )
    assert order.total == Money(Decimal("53.97"), "USD")  # 53.973 -> 53.97


def test_numbers_are_sequential_and_unique(sales1: Any, customer1: Any) -> None:
    numbers = [make_order(customer1, actor=sales1).number for _ in range(3)]
    serials = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert serials == [serials[0], serials[0] + 1, serials[0] + 2]


def test_generated_numbers_skip_numbers_taken_by_imports(sales1: Any, customer1: Any) -> None:
    year = dt.date.today().year
    make_order(customer1, actor=sales1, number=f"SO-{year}-000001")
    assert make_order(customer1, actor=sales1).number == f"SO-{year}-000002"


def test_duplicate_explicit_number_is_a_conflict(sales1: Any, customer1: Any) -> None:
    make_order(customer1, actor=sales1, number="EXT-1")
    with pytest.raises(Conflict):
        make_order(customer1, actor=sales1, number="EXT-1")


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"quantity": Decimal(0)}, "lines.0.quantity"),
        ({"quantity": Decimal(-1)}, "lines.0.quantity"),
        ({"discount_percent": Decimal(101)}, "lines.0.discount_percent"),
        ({"discount_percent": Decimal(-1)}, "lines.0.discount_percent"),
        ({"unit_price": Decimal("-1")}, "lines.0.unit_price"),
        ({"unit_price": Decimal("10.5")}, "lines.0.unit_price"),  # IRR has no decimals
        ({"unit_price": "abc"}, "lines.0.unit_price"),
        ({"unit_price": "1e30"}, "lines.0.unit_price"),
        ({"quantity": "1e30"}, "lines.0.quantity"),
        ({"quantity": "NaN"}, "lines.0.quantity"),
        ({"description": "", "product": None}, "lines.0.description"),
    ],
)
def test_bad_lines_are_refused_and_nothing_is_saved(
    sales1: Any, customer1: Any, bad: dict[str, Any], field: str
) -> None:
    audit_rows = ChangeLog.objects.count()
    with pytest.raises(ServiceError) as excinfo:
        create_order(actor=sales1, customer=customer1, currency="IRR", lines=[line(**bad)])
    assert excinfo.value.field == field
    assert Order.objects.count() == 0 and OrderLine.objects.count() == 0
    assert ChangeLog.objects.count() == audit_rows


def test_unknown_or_inactive_currency_is_refused(sales1: Any, customer1: Any) -> None:
    Currency.objects.filter(code="TRY").update(is_active=False)
    for code in ("TRY", "XYZ"):
        with pytest.raises(ServiceError) as excinfo:
            create_order(actor=sales1, customer=customer1, currency=code, lines=[line()])
        assert excinfo.value.field == "currency"


def test_inactive_product_is_refused(sales1: Any, customer1: Any) -> None:
    product = ProductFactory(is_active=False)
    with pytest.raises(ServiceError) as excinfo:
        create_order(
            actor=sales1, customer=customer1, currency="IRR", lines=[line(product=product)]
        )
    assert excinfo.value.field == "lines.0.product"


def test_an_order_needs_lines(sales1: Any, customer1: Any) -> None:
    with pytest.raises(ServiceError):
        create_order(actor=sales1, customer=customer1, currency="IRR", lines=[])


def test_customer_of_another_rep_is_not_found(sales2: Any, customer1: Any) -> None:
    with pytest.raises(NotFound):
        make_order(customer1, actor=sales2)
    assert not Order.objects.exists()


def test_service_agent_cannot_place_orders(service1: Any, customer1: Any) -> None:
    with pytest.raises(NotFound):
        make_order(customer1, actor=service1)


def test_manager_may_order_for_anyone(manager: Any, customer1: Any) -> None:
    assert make_order(customer1, actor=manager).customer == customer1


def test_order_and_lines_are_audited_with_the_customer(sales1: Any, customer1: Any) -> None:
    order = make_order(customer1, actor=sales1)
    rows = ChangeLog.objects.filter(customer_id=customer1.pk, action="create")
    assert {r.content_type.model for r in rows} >= {"order", "orderline"}
    assert rows.get(content_type__model="order").object_id == str(order.pk)


def test_payments_reduce_the_balance_and_overpayment_is_refused(
    sales1: Any, customer1: Any
) -> None:
    order = make_order(customer1, actor=sales1, unit_price="1000")
    record_payment(order, actor=sales1, amount=Decimal(600), method="card")
    assert balance(order) == Money(400, "IRR")
    with pytest.raises(ServiceError) as excinfo:
        record_payment(order, actor=sales1, amount=Decimal(401), method="cash")
    assert excinfo.value.code == "overpayment"
    assert "400" in excinfo.value.message
    payment = record_payment(order, actor=sales1, amount=Decimal(400), method="cash")
    assert payment.amount == Money(400, "IRR")
    assert balance(order) == Money(0, "IRR")
    assert (
        ChangeLog.objects.filter(customer_id=customer1.pk, content_type__model="payment").count()
        == 2
    )


@pytest.mark.parametrize(
    ("amount", "method"), [(Decimal(0), "card"), (Decimal(-5), "card"), (Decimal(5), "barter")]
)
def test_bad_payments_change_nothing(
    sales1: Any, customer1: Any, amount: Decimal, method: str
) -> None:
    order = make_order(customer1, actor=sales1)
    with pytest.raises(ServiceError):
        record_payment(order, actor=sales1, amount=amount, method=method)
    assert not Payment.objects.exists()


def test_payment_by_someone_out_of_scope_is_not_found(
    sales1: Any, sales2: Any, customer1: Any
) -> None:
    order = make_order(customer1, actor=sales1)
    with pytest.raises(NotFound):
        record_payment(order, actor=sales2, amount=Decimal(1), method="card")


def test_cancel_is_idempotent_and_refused_once_paid(sales1: Any, customer1: Any) -> None:
    order = make_order(customer1, actor=sales1)
    assert cancel_order(order, actor=sales1).status == "cancelled"
    assert cancel_order(order, actor=sales1).status == "cancelled"
    with pytest.raises(ServiceError):
        record_payment(order, actor=sales1, amount=Decimal(1), method="card")
    paid = make_order(customer1, actor=sales1)
    record_payment(paid, actor=sales1, amount=Decimal(1), method="card")
    with pytest.raises(ServiceError):
        cancel_order(paid, actor=sales1)


def test_totals_by_currency_never_mix_currencies(sales1: Any, customer1: Any) -> None:
    make_order(customer1, actor=sales1, unit_price="1000")
    make_order(customer1, actor=sales1, unit_price="2500")
    make_order(customer1, actor=sales1, currency="USD", unit_price="10.50")
    cancel_order(make_order(customer1, actor=sales1, unit_price="999"), actor=sales1)
    assert order_totals_by_currency(customer1) == {
        "IRR": Money(3500, "IRR"),
        "USD": Money(Decimal("10.50"), "USD"),
    }
