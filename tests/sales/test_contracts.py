"""Contract services: create from an order, renew, cancel, renewal reminders on the owner's
desk once per term, and the end of a term."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from peyvand.core.problems import ServiceError
from peyvand.desk.models import Task
from peyvand.sales.choices import ContractStatus
from peyvand.sales.contracts import (
    cancel_contract,
    end_lapsed_contracts,
    remind_renewals,
    renew_contract,
    renewals_due,
)
from peyvand.sales.services import NotFound, cancel_order
from tests.sales.factories import make_order
from tests.sales.quote_factories import make_contract


def test_contract_from_an_order_keeps_its_terms(sales1: Any, customer1: Any) -> None:
    order = make_order(customer1, actor=sales1, unit_price="5000000")
    start = dt.date(2026, 1, 1)
    contract = make_contract(
        customer1,
        actor=sales1,
        order=order.pk,
        start_date=start,
        value=order.total.amount,
        billing_period="monthly",
    )
    assert contract.order_id == order.pk and contract.status == ContractStatus.ACTIVE
    assert contract.end_date == dt.date(2026, 12, 31) and contract.renewal_date == contract.end_date
    assert contract.value.amount == Decimal("5000000") and contract.number.startswith("CT-2026-")


def test_bad_terms_are_refused(sales1: Any, sales2: Any, customer1: Any, customer2: Any) -> None:
    start = timezone.localdate()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"end_date": start - dt.timedelta(days=1)}, "end_date"),
        ({"renewal_date": start + dt.timedelta(days=400)}, "renewal_date"),
        ({"notice_days": 400}, "notice_days"),
        ({"value": "1.5"}, "value"),  # IRR has no decimals
        ({"value": "-1"}, "value"),
        ({"currency": "XXX"}, "currency"),
        ({"title": "  "}, "title"),
        ({"billing_period": "weekly"}, "billing_period"),
        ({"order": make_order(customer2, actor=sales2).pk}, "order"),
    ]
    for values, field in cases:
        with pytest.raises(ServiceError) as error:
            make_contract(customer1, actor=sales1, start_date=start, **values)
        assert error.value.field == field, values
    with pytest.raises(NotFound):
        make_contract(customer2, actor=sales1)
    cancelled = make_order(customer1, actor=sales1)
    cancel_order(cancelled, actor=sales1)
    with pytest.raises(ServiceError) as error:
        make_contract(customer1, actor=sales1, order=cancelled)
    assert error.value.code == "cancelled"


def test_renew_starts_the_next_term_and_is_idempotent(sales1: Any, customer1: Any) -> None:
    contract = make_contract(customer1, actor=sales1, start_date=dt.date(2026, 1, 1))
    renewal = renew_contract(contract, actor=sales1, value="13000000")
    contract.refresh_from_db()
    assert contract.status == ContractStatus.RENEWED
    assert renewal.previous_id == contract.pk and renewal.status == ContractStatus.ACTIVE
    assert renewal.start_date == dt.date(2027, 1, 1) and renewal.end_date == dt.date(2027, 12, 31)
    assert renewal.value.amount == Decimal("13000000")
    assert renew_contract(contract, actor=sales1).pk == renewal.pk


def test_cancel(sales1: Any, sales2: Any, customer1: Any) -> None:
    contract = make_contract(customer1, actor=sales1)
    with pytest.raises(NotFound):
        cancel_contract(contract, actor=sales2)
    cancel_contract(contract, actor=sales1, reason="Closed down")
    assert cancel_contract(contract, actor=sales1).cancel_reason == "Closed down"
    with pytest.raises(ServiceError):
        renew_contract(contract, actor=sales1)


def test_renewal_reminder_lands_on_the_owners_desk_once_per_term(
    sales1: Any, customer1: Any
) -> None:
    today = timezone.localdate()
    soon = make_contract(customer1, start_date=today - dt.timedelta(days=300), days=320)
    later = make_contract(customer1, start_date=today, days=365)
    assert remind_renewals(today) == 1
    assert remind_renewals(today) == 0
    soon.refresh_from_db()
    task = Task.objects.get(pk=soon.renewal_task_id)
    assert task.assignee_id == sales1.pk and task.customer_id == customer1.pk
    assert soon.number in task.title and soon.reminded_for == soon.renewal_date
    later.refresh_from_db()
    assert later.renewal_task_id is None
    # The next term gets its own reminder when its window opens.
    next_term = renew_contract(soon, actor=sales1)
    assert remind_renewals(next_term.renewal_date - dt.timedelta(days=30)) == 1
    assert Task.objects.filter(customer=customer1).count() == 2


def test_lapsed_contracts_expire_or_renew_themselves(customer1: Any) -> None:
    today = timezone.localdate()
    ended = make_contract(customer1, start_date=today - dt.timedelta(days=40), days=30)
    renewing = make_contract(
        customer1, start_date=today - dt.timedelta(days=40), days=30, auto_renew=True
    )
    current = make_contract(customer1, start_date=today, days=30)
    assert end_lapsed_contracts(today) == 2
    assert end_lapsed_contracts(today) == 0
    ended.refresh_from_db()
    renewing.refresh_from_db()
    current.refresh_from_db()
    assert ended.status == ContractStatus.EXPIRED
    assert renewing.status == ContractStatus.RENEWED and renewing.renewal.auto_renew
    assert current.status == ContractStatus.ACTIVE


def test_renewals_due_lists_only_what_the_user_may_see(
    sales1: Any, sales2: Any, manager: Any, customer1: Any, customer2: Any
) -> None:
    today = timezone.localdate()
    mine = make_contract(customer1, start_date=today - dt.timedelta(days=340), days=365)
    theirs = make_contract(customer2, start_date=today - dt.timedelta(days=340), days=365)
    make_contract(customer1, start_date=today, days=365)  # renewal a year away
    assert list(renewals_due(sales1)) == [mine]
    assert list(renewals_due(sales2)) == [theirs]
    assert set(renewals_due(manager)) == {mine, theirs}
