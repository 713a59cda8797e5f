"""Earning, clawback, tiers, expiry, fraud limits and redemption, through the services and
the order signals (tasks run at once in tests), against the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from peyvand.audit.models import ChangeLog
from peyvand.audit.services import verify_chain
from peyvand.catalog.models import ExchangeRate
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.marketing.loyalty import services
from peyvand.marketing.loyalty.choices import EntryKind
from peyvand.marketing.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme, LoyaltyReward
from peyvand.sales.models import Order, Payment
from peyvand.sales.services import cancel_order, record_payment
from tests.factories import CustomerFactory
from tests.sales.factories import make_order

pytestmark = pytest.mark.django_db(transaction=True)

T0 = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)


def balance(customer: Customer) -> int:
    account = LoyaltyAccount.objects.filter(customer=customer).first()
    if account is None:
        return 0
    ledger = account.entries.aggregate(total=Sum("points"))["total"] or 0
    # The cached balance never drifts from the ledger.
    assert account.balance == ledger
    return account.balance


def entries(customer: Customer, kind: str) -> list[LoyaltyEntry]:
    return list(LoyaltyEntry.objects.filter(account__customer=customer, kind=kind).order_by("pk"))


def paid_order(customer: Customer, price: str) -> Order:
    order = make_order(customer, unit_price=price)
    record_payment(order, actor=None, amount=order.total.amount, method="card")
    return order


def test_an_order_earns_once_when_paid_in_full(programme: LoyaltyProgramme, customer1: Any) -> None:
    order = make_order(customer1, unit_price="250000")
    assert balance(customer1) == 0  # confirmed, not paid
    record_payment(order, actor=None, amount=Decimal(100000), method="card")
    assert balance(customer1) == 0  # part-paid
    record_payment(order, actor=None, amount=Decimal(150000), method="cash")
    assert balance(customer1) == 250
    # The signal firing again (any later save) and a direct call earn nothing more.
    order.notes = "gift wrap"
    order.save()
    assert services.sync_order_points(order.pk) is None
    assert balance(customer1) == 250
    [earn] = entries(customer1, EntryKind.EARN)
    assert earn.order_id == order.pk and earn.remaining == 250
    assert earn.expires_at is not None and earn.expires_at.year == earn.occurred_at.year + 1
    assert ChangeLog.objects.filter(object_id=str(earn.pk), customer_id=customer1.pk).exists()
    assert verify_chain().ok


def test_a_fulfilled_order_earns_at_once_and_drafts_never(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    make_order(customer1, unit_price="40000", status="draft")
    assert balance(customer1) == 0
    make_order(customer1, unit_price="40000", status="fulfilled")
    assert balance(customer1) == 40


def test_points_are_converted_from_the_order_currency(customer1: Any) -> None:
    from peyvand.catalog.services import ensure_currencies

    ensure_currencies()
    services.save_programme(
        None, actor=None, name="USD club", currency="USD", points_per_unit=Decimal(2)
    )
    ExchangeRate.objects.create(
        base_id="USD", quote_id="IRR", date=dt.date(2020, 1, 1), rate=500000
    )
    paid_order(customer1, "2600000")  # 5.2 USD → 10.4 points, rounded down
    assert balance(customer1) == 10


def test_a_refund_claws_back_and_paying_again_earns_again(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    order = paid_order(customer1, "100000")
    assert balance(customer1) == 100
    Payment.objects.filter(order=order).get().delete()  # the payment is taken back
    assert balance(customer1) == 0
    [clawback] = entries(customer1, EntryKind.CLAWBACK)
    assert clawback.points == -100 and clawback.lot is not None
    record_payment(order, actor=None, amount=order.total.amount, method="card")
    assert balance(customer1) == 100
    assert len(entries(customer1, EntryKind.EARN)) == 2


def test_cancelling_a_confirmed_order_claws_back(
    programme: LoyaltyProgramme, customer1: Any, manager: Any
) -> None:
    services.save_programme(programme, actor=manager, earn_on="confirmed")
    order = make_order(customer1, unit_price="70000")
    assert balance(customer1) == 70
    cancel_order(order, actor=manager)
    assert balance(customer1) == 0
    cancel_order(order, actor=manager)  # idempotent
    assert len(entries(customer1, EntryKind.CLAWBACK)) == 1


def test_tier_multiplier_applies_once_the_threshold_is_earned(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    services.add_tier(
        programme, actor=None, name="Silver", threshold=100, multiplier=Decimal("1.5")
    )
    services.add_tier(programme, actor=None, name="Gold", threshold=1000, multiplier=Decimal(2))
    paid_order(customer1, "100000")
    account = LoyaltyAccount.objects.get(customer=customer1)
    tier = services.tier_for(account)
    assert tier is not None and tier.name == "Silver"
    paid_order(customer1, "100000")
    assert [e.points for e in entries(customer1, EntryKind.EARN)] == [100, 150]
    # Outside the rolling window the tier is lost.
    later = timezone.now() + dt.timedelta(days=programme.tier_window_days + 1)
    assert services.tier_for(account, now=later) is None


def test_expiry_takes_only_unspent_points_oldest_first(
    programme: LoyaltyProgramme, customer1: Any, customer2: Any
) -> None:
    services.add_reward(programme, actor=None, name="Mug", kind="offer", cost=30)
    mug = LoyaltyReward.objects.get(name="Mug")
    services.adjust_points(customer1, 100, reason="welcome", actor=None, now=T0)
    services.adjust_points(
        customer1, 50, reason="apology", actor=None, now=T0 + dt.timedelta(days=40)
    )
    services.adjust_points(customer2, 10, reason="welcome", actor=None, now=T0)
    # Spending takes the lot that expires first.
    services.redeem_reward(customer1, mug.pk, actor=None, now=T0 + dt.timedelta(days=50))
    assert services.expire_points(now=T0 + dt.timedelta(days=300)) == 0
    one_year = dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC)
    assert services.expire_points(now=one_year) == 2  # customer1's first lot, customer2's
    assert balance(customer1) == 50
    assert balance(customer2) == 0
    [expired] = entries(customer1, EntryKind.EXPIRE)
    assert expired.points == -70 and expired.occurred_at == one_year
    assert services.expire_points(now=one_year + dt.timedelta(days=1)) == 0  # once only
    assert services.expire_points(now=one_year + dt.timedelta(days=41)) == 1
    assert balance(customer1) == 0
    assert ChangeLog.objects.filter(object_id=str(expired.pk)).exists()
    assert verify_chain().ok


def test_points_never_expire_when_the_programme_says_so(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    services.save_programme(programme, actor=None, expiry_months=0)
    services.adjust_points(customer1, 10, reason="welcome", actor=None, now=T0)
    assert services.expire_points(now=T0 + dt.timedelta(days=3650)) == 0
    assert balance(customer1) == 10


def test_daily_points_limit_caps_earning(programme: LoyaltyProgramme, customer1: Any) -> None:
    services.save_programme(programme, actor=None, max_points_per_day=120)
    paid_order(customer1, "100000")
    paid_order(customer1, "100000")
    third = paid_order(customer1, "100000")
    assert [e.points for e in entries(customer1, EntryKind.EARN)] == [100, 20]
    assert balance(customer1) == 120
    # The next day the allowance is back.
    tomorrow = timezone.now() + dt.timedelta(days=1)
    assert services.sync_order_points(third.pk, now=tomorrow) is not None
    assert balance(customer1) == 220


def test_daily_redemption_limit(programme: LoyaltyProgramme, customer1: Any) -> None:
    services.save_programme(programme, actor=None, max_redemptions_per_day=1)
    mug = services.add_reward(programme, actor=None, name="Mug", kind="offer", cost=10)
    services.adjust_points(customer1, 100, reason="welcome", actor=None)
    services.redeem_reward(customer1, mug.pk, actor=None)
    with pytest.raises(ServiceError) as caught:
        services.redeem_reward(customer1, mug.pk, actor=None)
    assert caught.value.code == "limit"
    assert balance(customer1) == 90
    services.redeem_reward(customer1, mug.pk, actor=None, now=timezone.now() + dt.timedelta(days=1))
    assert balance(customer1) == 80


def test_redeeming_a_discount_takes_it_off_the_order(
    programme: LoyaltyProgramme, customer1: Any, voucher: LoyaltyReward, sales1: Any
) -> None:
    services.adjust_points(customer1, 80, reason="welcome", actor=None)
    order = make_order(customer1, unit_price="100000")
    entry = services.redeem_reward(customer1, voucher.pk, actor=sales1, order=order, key="k1")
    order.refresh_from_db()
    assert order.total.amount == Decimal(80000)
    line = order.lines.get(line_total__lt=0)
    assert line.line_total.amount == Decimal(-20000) and line.description == "20k off"
    assert entry.points == -50 and entry.order_id == order.pk
    assert balance(customer1) == 30
    # A retry with the same key redeems nothing more.
    assert (
        services.redeem_reward(customer1, voucher.pk, actor=sales1, order=order, key="k1") == entry
    )
    assert balance(customer1) == 30
    # Paying the rest earns on what was paid.
    record_payment(order, actor=None, amount=Decimal(80000), method="card")
    assert balance(customer1) == 110


def test_a_refused_redemption_changes_nothing(
    programme: LoyaltyProgramme,
    customer1: Any,
    customer2: Any,
    voucher: LoyaltyReward,
    sales2: Any,
) -> None:
    services.adjust_points(customer1, 60, reason="welcome", actor=None)
    small = make_order(customer1, unit_price="10000")
    foreign = make_order(customer2, unit_price="100000")
    own = make_order(customer1, unit_price="100000")
    cases = [
        ({"order": small}, "overpayment"),  # more discount than is owed
        ({"order": foreign}, "not_found"),  # another customer's order
        ({"order": None}, "required"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ServiceError) as caught:
            services.redeem_reward(customer1, voucher.pk, actor=None, **kwargs)
        assert caught.value.code == code
    with pytest.raises(ServiceError) as caught:  # sales2 may not change sales1's order
        services.redeem_reward(customer1, voucher.pk, actor=sales2, order=own)
    assert caught.value.status == 404
    with pytest.raises(ServiceError):
        services.redeem_reward(customer1, "abc", actor=None, order=own)
    services.adjust_points(customer1, -20, reason="correction", actor=None)
    with pytest.raises(ServiceError) as caught:  # 40 points left, the voucher costs 50
        services.redeem_reward(customer1, voucher.pk, actor=None, order=own)
    assert caught.value.code == "insufficient"
    assert balance(customer1) == 40
    assert not LoyaltyEntry.objects.filter(kind=EntryKind.REDEEM).exists()
    for order in (small, foreign, own):
        order.refresh_from_db()
        assert order.lines.count() == 1
    assert own.total.amount == Decimal(100000)


def test_cancelling_an_order_returns_the_points_spent_on_it(
    programme: LoyaltyProgramme, customer1: Any, voucher: LoyaltyReward
) -> None:
    services.adjust_points(customer1, 50, reason="welcome", actor=None)
    order = make_order(customer1, unit_price="100000")
    services.redeem_reward(customer1, voucher.pk, actor=None, order=order)
    assert balance(customer1) == 0
    cancel_order(order, actor=None)
    assert balance(customer1) == 50
    services.sync_order_points(order.pk)
    assert balance(customer1) == 50


def test_a_clawback_of_spent_points_is_paid_from_the_next_earning(
    programme: LoyaltyProgramme, customer1: Any
) -> None:
    mug = services.add_reward(programme, actor=None, name="Mug", kind="offer", cost=80)
    order = paid_order(customer1, "100000")
    services.redeem_reward(customer1, mug.pk, actor=None)
    Payment.objects.filter(order=order).delete()
    services.sync_order_points(order.pk)
    assert balance(customer1) == -80
    with pytest.raises(ServiceError):
        services.redeem_reward(customer1, mug.pk, actor=None)
    paid_order(customer1, "100000")
    assert balance(customer1) == 20
    assert sum(e.remaining for e in entries(customer1, EntryKind.EARN)) == 20


def test_actions_earn_once_per_reference(programme: LoyaltyProgramme, customer1: Any) -> None:
    services.set_rule(programme, actor=None, action="review", points=15)
    assert services.award_action(customer1, "referral", reference="c9") is None  # no rule
    first = services.award_action(customer1, "review", reference="review-7")
    assert first is not None and first.points == 15
    assert services.award_action(customer1, "review", reference="review-7") == first
    services.award_action(customer1, "review", reference="review-8")
    assert balance(customer1) == 30
    for action, reference in (("hack", "x"), ("review", ""), ("review", "x" * 81)):
        with pytest.raises(ServiceError):
            services.award_action(customer1, action, reference=reference)


def test_signing_up_earns_the_signup_rule(programme: LoyaltyProgramme) -> None:
    services.set_rule(programme, actor=None, action="signup", points=25)
    customer = CustomerFactory()
    assert balance(customer) == 25
    customer.save()
    assert balance(customer) == 25


def test_bad_adjustments_are_refused(programme: LoyaltyProgramme, customer1: Any) -> None:
    for points, reason in (("abc", "x"), ("1.5", "x"), (0, "x"), (5, " "), ("1e12", "x")):
        with pytest.raises(ServiceError):
            services.adjust_points(customer1, points, reason=reason, actor=None)
    with pytest.raises(ServiceError) as caught:
        services.adjust_points(customer1, -1, reason="x", actor=None)
    assert caught.value.code == "insufficient"
    assert not LoyaltyEntry.objects.exists()


def test_only_one_programme_is_active(programme: LoyaltyProgramme) -> None:
    other = services.save_programme(
        None, actor=None, name="New club", currency="IRR", points_per_unit=Decimal(1)
    )
    programme.refresh_from_db()
    assert not programme.is_active and other.is_active
    with pytest.raises(ServiceError):
        services.save_programme(None, actor=None, name="X", currency="ZZZ", points_per_unit=1)
    with pytest.raises(ServiceError):
        services.save_programme(None, actor=None, name="X", currency="IRR", points_per_unit=-1)


def test_the_expiry_task_expires_what_is_due(programme: LoyaltyProgramme, customer1: Any) -> None:
    from peyvand.core.worker import PERIODIC_TASKS
    from peyvand.marketing.loyalty.tasks import expire_points_task

    assert "peyvand.marketing.loyalty.tasks.expire_points_task" in dict(PERIODIC_TASKS)
    services.adjust_points(customer1, 9, reason="old", actor=None, now=T0 - dt.timedelta(days=800))
    services.adjust_points(customer1, 4, reason="new", actor=None)
    result = expire_points_task.enqueue()
    assert result.return_value == 1
    assert balance(customer1) == 4
