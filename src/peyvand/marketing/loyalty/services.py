"""Every change to loyalty settings and to customers' points.

Each points change locks the customer's account row (`select_for_update`) before it reads
the balance, so two redemptions at once are served one after the other and the second
sees what the first left; the entry and the cached balance are written in one transaction.
Each entry carries a key the ledger holds once per account, so an order earns once however
often its save signal fires."""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from peyvand.audit.choices import ChangeAction
from peyvand.audit.services import (
    Change,
    RowChange,
    append_changes,
    canonical_json,
    record,
    snapshot,
    write_changes,
)
from peyvand.catalog.money import convert
from peyvand.catalog.services import active_currency
from peyvand.core.problems import ServiceError
from peyvand.customers.models import Customer
from peyvand.marketing.loyalty.choices import EarnOn, EntryKind, LoyaltyAction, RewardKind
from peyvand.marketing.models import (
    ACTION_KEY_PREFIX,
    LoyaltyAccount,
    LoyaltyEntry,
    LoyaltyProgramme,
    LoyaltyReward,
    LoyaltyRule,
    LoyaltyTier,
)
from peyvand.sales.choices import OrderStatus
from peyvand.sales.models import Order
from peyvand.sales.services import NotFound, apply_order_discount, paid_amount

# An IntegerField holds it; nobody needs more points in one entry.
MAX_POINTS = 1_000_000_000


def _months_later(when: dt.datetime, months: int) -> dt.datetime:
    """The same day `months` later, or the month's last day (31 Jan + 1 → 28/29 Feb)."""
    index = when.month - 1 + months
    year, month = when.year + index // 12, index % 12 + 1
    return when.replace(
        year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1])
    )


def _day_start(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def active_programme() -> LoyaltyProgramme | None:
    return LoyaltyProgramme.objects.filter(is_active=True).first()


def require_programme() -> LoyaltyProgramme:
    programme = active_programme()
    if programme is None:
        raise ServiceError(_("There is no active loyalty programme."), code="no_programme")
    return programme


def points_value(value: Any, *, field: str = "points") -> int:
    """A whole number of points typed by someone: refuses fractions, words and huge values."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ServiceError(_("Enter a whole number of points."), field=field) from exc
    if not number.is_finite() or number != number.to_integral_value():
        raise ServiceError(_("Enter a whole number of points."), field=field)
    if abs(number) > MAX_POINTS:
        raise ServiceError(_("That is too many points."), field=field)
    return int(number)


# --- the ledger -----------------------------------------------------------------------------


def _locked_account(programme: LoyaltyProgramme, customer_id: int) -> LoyaltyAccount:
    account, _created = LoyaltyAccount.objects.get_or_create(
        programme=programme, customer_id=customer_id
    )
    return LoyaltyAccount.objects.select_for_update().get(pk=account.pk)


def _append(
    account: LoyaltyAccount,
    *,
    kind: str,
    points: int,
    key: str,
    now: dt.datetime,
    actor: Any = None,
    **fields: Any,
) -> LoyaltyEntry:
    """One ledger entry and the cached balance moved by it; the account is locked."""
    entry = LoyaltyEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        key=key,
        occurred_at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    LoyaltyAccount.objects.filter(pk=account.pk).update(balance=F("balance") + points)
    account.balance += points
    write_changes(
        [Change(ChangeAction.CREATE, entry, None, snapshot(entry), account.customer_id)],
        actor=actor,
    )
    return entry


def _add_lot(
    account: LoyaltyAccount,
    programme: LoyaltyProgramme,
    *,
    kind: str,
    points: int,
    key: str,
    now: dt.datetime,
    **fields: Any,
) -> LoyaltyEntry:
    """Points that can be spent later and expire; a debt left by a clawback is paid first."""
    debt = max(0, -account.balance)
    expires_at = _months_later(now, programme.expiry_months) if programme.expiry_months else None
    return _append(
        account,
        kind=kind,
        points=points,
        key=key,
        now=now,
        remaining=max(0, points - debt),
        expires_at=expires_at,
        **fields,
    )


def _consume(account: LoyaltyAccount, points: int, *, first: LoyaltyEntry | None = None) -> int:
    """Spend `points` from the account's lots, `first` then the soonest to expire; returns
    what no lot covered (a debt after a clawback of points already spent)."""
    lots = list(
        LoyaltyEntry.objects.filter(account=account, remaining__gt=0).order_by(
            F("expires_at").asc(nulls_last=True), "occurred_at", "pk"
        )
    )
    if first is not None:
        lots.sort(key=lambda lot: lot.pk != first.pk)
    for lot in lots:
        if points <= 0:
            break
        take = min(lot.remaining, points)
        LoyaltyEntry.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        points -= take
    return points


def _earned_today(account: LoyaltyAccount, now: dt.datetime) -> int:
    total = LoyaltyEntry.objects.filter(
        account=account, kind=EntryKind.EARN, occurred_at__gte=_day_start(now), occurred_at__lte=now
    ).aggregate(total=Sum("points"))["total"]
    return total or 0


def _capped(
    account: LoyaltyAccount, programme: LoyaltyProgramme, points: int, now: dt.datetime
) -> int:
    """The fraud limit: what is left of today's allowance, at most."""
    if not programme.max_points_per_day:
        return points
    return max(0, min(points, programme.max_points_per_day - _earned_today(account, now)))


def tier_for(account: LoyaltyAccount, *, now: dt.datetime | None = None) -> LoyaltyTier | None:
    """The highest tier whose threshold the points earned in the rolling window reach;
    clawed-back points do not count."""
    now = now or timezone.now()
    programme = account.programme
    earned = (
        LoyaltyEntry.objects.filter(
            account=account,
            kind__in=[EntryKind.EARN, EntryKind.CLAWBACK],
            occurred_at__gt=now - dt.timedelta(days=programme.tier_window_days),
            occurred_at__lte=now,
        ).aggregate(total=Sum("points"))["total"]
        or 0
    )
    return programme.tiers.filter(threshold__lte=earned).order_by("-threshold").first()


# --- earning and clawing back on orders ----------------------------------------------------


def _order_qualifies(order: Order, programme: LoyaltyProgramme) -> bool:
    if order.deleted_at is not None or order.status in (OrderStatus.CANCELLED, OrderStatus.DRAFT):
        return False
    if order.status == OrderStatus.FULFILLED:
        return True
    if programme.earn_on == EarnOn.CONFIRMED:
        return True
    return order.total.amount > 0 and paid_amount(order) >= order.total.amount


def _order_points(
    order: Order, programme: LoyaltyProgramme, account: LoyaltyAccount, now: dt.datetime
) -> int:
    spent = convert(order.total, programme.currency, on=timezone.localdate(order.ordered_at))
    tier = tier_for(account, now=now)
    multiplier = tier.multiplier if tier is not None else Decimal(1)
    points = (spent.amount * programme.points_per_unit * multiplier).to_integral_value(ROUND_FLOOR)
    return min(int(points), MAX_POINTS)


@transaction.atomic
def sync_order_points(order_id: int, *, now: dt.datetime | None = None) -> LoyaltyEntry | None:
    """Bring the ledger in line with the order: earn when it qualifies (paid or fulfilled,
    or confirmed if the programme says so), claw back when it stops qualifying (cancelled,
    deleted, a payment taken back), and return points spent on it if it is cancelled.
    Safe to call any number of times."""
    programme = active_programme()
    order = Order.objects.filter(pk=order_id).first()
    if programme is None or order is None:
        return None
    now = now or timezone.now()
    account = _locked_account(programme, order.customer_id)
    entries = LoyaltyEntry.objects.filter(account=account, order=order)
    earns = list(entries.filter(kind=EntryKind.EARN).order_by("pk"))
    clawbacks = entries.filter(kind=EntryKind.CLAWBACK).count()
    qualifies = _order_qualifies(order, programme)
    if not qualifies:
        _return_redemptions(account, programme, order, now)
    if qualifies and len(earns) == clawbacks:
        points = _capped(account, programme, _order_points(order, programme, account, now), now)
        if points <= 0:
            return None
        return _add_lot(
            account,
            programme,
            kind=EntryKind.EARN,
            points=points,
            key=f"order:{order.pk}:earn:{len(earns) + 1}",
            now=now,
            order=order,
            description=order.number,
        )
    if not qualifies and len(earns) > clawbacks:
        earn = earns[-1]
        _consume(account, earn.points, first=earn)
        return _append(
            account,
            kind=EntryKind.CLAWBACK,
            points=-earn.points,
            key=f"order:{order.pk}:clawback:{len(earns)}",
            now=now,
            order=order,
            lot=earn,
            description=order.number,
        )
    return None


def _return_redemptions(
    account: LoyaltyAccount, programme: LoyaltyProgramme, order: Order, now: dt.datetime
) -> None:
    """A cancelled order's discount is gone with it: the points spent on it come back."""
    if order.deleted_at is None and order.status != OrderStatus.CANCELLED:
        return
    returned = set(
        LoyaltyEntry.objects.filter(account=account, order=order, kind=EntryKind.ADJUST)
        .exclude(lot=None)
        .values_list("lot_id", flat=True)
    )
    for redemption in LoyaltyEntry.objects.filter(
        account=account, order=order, kind=EntryKind.REDEEM
    ).order_by("pk"):
        if redemption.pk in returned:
            continue
        _add_lot(
            account,
            programme,
            kind=EntryKind.ADJUST,
            points=-redemption.points,
            key=f"order:{order.pk}:return:{redemption.pk}",
            now=now,
            order=order,
            lot=redemption,
            description=order.number,
        )


# --- actions, adjustments and redemptions --------------------------------------------------


@transaction.atomic
def award_action(
    customer: Customer,
    action: str,
    *,
    reference: str,
    actor: Any = None,
    now: dt.datetime | None = None,
) -> LoyaltyEntry | None:
    """The points of the programme's rule for `action` (a review, a referral, …), once per
    (action, reference); None when no rule rewards it or today's limit is reached."""
    if action not in LoyaltyAction.values:
        raise ServiceError(_("Choose an action from the list."), field="action")
    reference = str(reference or "").strip()
    if not reference or len(reference) > 80:
        raise ServiceError(
            _("Give a reference of at most 80 characters (the review, the referred customer…)."),
            field="reference",
        )
    programme = require_programme()
    rule = LoyaltyRule.objects.filter(programme=programme, action=action).first()
    if rule is None:
        return None
    now = now or timezone.now()
    account = _locked_account(programme, customer.pk)
    key = f"{ACTION_KEY_PREFIX}{action}:{reference}"
    existing = LoyaltyEntry.objects.filter(account=account, key=key).first()
    if existing is not None:
        return existing
    points = _capped(account, programme, rule.points, now)
    if points <= 0:
        return None
    return _add_lot(
        account,
        programme,
        kind=EntryKind.EARN,
        points=points,
        key=key,
        now=now,
        actor=actor,
    )


@transaction.atomic
def adjust_points(
    customer: Customer,
    points: Any,
    *,
    reason: str,
    actor: Any,
    now: dt.datetime | None = None,
) -> LoyaltyEntry:
    """A correction by staff: added points expire like earned ones; a deduction cannot
    take the balance below zero."""
    value = points_value(points)
    if value == 0:
        raise ServiceError(_("Enter a number of points other than zero."), field="points")
    reason = str(reason or "").strip()
    if not reason:
        raise ServiceError(_("Say why the points are adjusted."), field="reason", code="required")
    programme = require_programme()
    now = now or timezone.now()
    account = _locked_account(programme, customer.pk)
    key = f"adjust:{uuid.uuid4().hex}"
    if value > 0:
        return _add_lot(
            account,
            programme,
            kind=EntryKind.ADJUST,
            points=value,
            key=key,
            now=now,
            actor=actor,
            description=reason[:255],
        )
    if account.balance + value < 0:
        raise ServiceError(
            _("The balance is %(balance)s points; it cannot go below zero.")
            % {"balance": account.balance},
            field="points",
            code="insufficient",
        )
    _consume(account, -value)
    return _append(
        account,
        kind=EntryKind.ADJUST,
        points=value,
        key=key,
        now=now,
        actor=actor,
        description=reason[:255],
    )


@transaction.atomic
def redeem_reward(
    customer: Customer,
    reward_id: Any,
    *,
    actor: Any,
    order: Order | None = None,
    key: str = "",
    now: dt.datetime | None = None,
) -> LoyaltyEntry:
    """Spend the reward's points: a discount reward takes its value off `order` (one of
    the customer's, converted to the order's currency) in the same transaction. `key`
    makes a retried request redeem once."""
    programme = require_programme()
    rewards = LoyaltyReward.objects.filter(programme=programme, is_active=True)
    reward = rewards.filter(pk=int(reward_id)).first() if str(reward_id).isdigit() else None
    if reward is None:
        raise NotFound(_("Reward not found."), field="reward", code="not_found")
    key = str(key or "").strip()
    if len(key) > 80:
        raise ServiceError(_("The idempotency key is too long."), field="key")
    now = now or timezone.now()
    account = _locked_account(programme, customer.pk)
    entry_key = f"redeem:{key}" if key else f"redeem:{uuid.uuid4().hex}"
    existing = LoyaltyEntry.objects.filter(account=account, key=entry_key).first()
    if existing is not None:
        return existing
    if programme.max_redemptions_per_day:
        today = LoyaltyEntry.objects.filter(
            account=account, kind=EntryKind.REDEEM, occurred_at__gte=_day_start(now)
        ).count()
        if today >= programme.max_redemptions_per_day:
            raise ServiceError(
                _("This customer has reached today's limit of %(count)s redemptions.")
                % {"count": programme.max_redemptions_per_day},
                field="reward",
                code="limit",
            )
    if account.balance < reward.cost:
        raise ServiceError(
            _("Not enough points: the reward costs %(cost)s, the balance is %(balance)s.")
            % {"cost": reward.cost, "balance": account.balance},
            field="reward",
            code="insufficient",
        )
    if reward.kind == RewardKind.DISCOUNT:
        if order is None:
            raise ServiceError(
                _("Choose the order the discount is for."), field="order", code="required"
            )
        if order.customer_id != customer.pk:
            raise NotFound(_("Order not found."), field="order", code="not_found")
        assert reward.discount is not None  # a check constraint requires it on discounts
        discount = convert(
            Money(reward.discount, programme.currency),
            str(order.total.currency),
            on=timezone.localdate(now),
        )
        apply_order_discount(order, actor=actor, amount=discount.amount, description=reward.name)
    elif order is not None:
        raise ServiceError(_("This reward is not a discount on an order."), field="order")
    _consume(account, reward.cost)
    return _append(
        account,
        kind=EntryKind.REDEEM,
        points=-reward.cost,
        key=entry_key,
        now=now,
        actor=actor,
        order=order,
        reward=reward,
        description=reward.name,
    )


# --- expiry ----------------------------------------------------------------------------------


@transaction.atomic
def expire_points(*, now: dt.datetime | None = None) -> int:
    """Expire every unspent lot past its date in a few set-based statements, whatever the
    number of customers; returns how many lots expired. Accounts are locked first so a
    redemption running at the same time waits rather than spending a lot being expired."""
    now = now or timezone.now()
    due = LoyaltyEntry.objects.filter(remaining__gt=0, expires_at__lte=now)
    accounts = LoyaltyAccount.objects.filter(pk__in=due.values("account_id"))
    # Evaluated for the locks only.
    list(accounts.select_for_update().values_list("pk", flat=True))
    table = connection.ops.quote_name(LoyaltyEntry._meta.db_table)
    stamp = connection.ops.adapt_datetimefield_value(now)
    q = connection.ops.quote_name
    columns = ", ".join(
        q(c)
        for c in (
            "account_id",
            "kind",
            "points",
            "remaining",
            "occurred_at",
            "key",
            "description",
            "lot_id",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns})"
            f" SELECT {q('account_id')}, %s, -{q('remaining')}, 0, %s,"
            f" %s || CAST({q('id')} AS VARCHAR(20)), '', {q('id')}"
            f" FROM {table} WHERE {q('remaining')} > 0 AND {q('expires_at')} <= %s",
            [EntryKind.EXPIRE.value, stamp, "expire:", stamp],
        )
        expired = cursor.rowcount
    if not expired:
        return 0
    unspent = (
        due.filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum("remaining"))
        .values("total")
    )
    accounts.update(balance=F("balance") - Coalesce(Subquery(unspent), 0))
    due.update(remaining=0)
    rows = LoyaltyEntry.objects.filter(kind=EntryKind.EXPIRE, occurred_at=now)
    append_changes(
        LoyaltyEntry,
        [
            RowChange(
                ChangeAction.CREATE,
                pk,
                f"{EntryKind.EXPIRE.label} {points:+d}",
                customer_id,
                None,
                canonical_json(
                    {
                        "account": account_id,
                        "kind": EntryKind.EXPIRE.value,
                        "lot": lot,
                        "points": points,
                    }
                ),
            )
            for pk, account_id, customer_id, points, lot in list(
                rows.values_list("pk", "account_id", "account__customer_id", "points", "lot_id")
            )
        ],
    )
    return expired


# --- settings --------------------------------------------------------------------------------


def _saved(obj: Any, actor: Any) -> Any:
    from django.core.exceptions import ValidationError

    try:
        obj.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ServiceError(messages[0], field=None if field == "__all__" else field) from exc
    with record(obj, actor=actor):
        obj.save()
    return obj


@transaction.atomic
def save_programme(
    programme: LoyaltyProgramme | None, *, actor: Any, **fields: Any
) -> LoyaltyProgramme:
    """Create or change the programme; making one active retires the one that was."""
    programme = programme or LoyaltyProgramme()
    for name, value in fields.items():
        setattr(programme, name, value)
    programme.currency = active_currency(programme.currency).code
    if programme.is_active:
        for other in (
            LoyaltyProgramme.objects.select_for_update()
            .filter(is_active=True)
            .exclude(pk=programme.pk)
        ):
            other.is_active = False
            _saved(other, actor)
    return _saved(programme, actor)


@transaction.atomic
def add_tier(
    programme: LoyaltyProgramme,
    *,
    actor: Any,
    name: str,
    threshold: int,
    multiplier: Decimal,
    benefits: str = "",
) -> LoyaltyTier:
    if programme.tiers.filter(threshold=threshold).exists():
        raise ServiceError(_("Another tier already starts at this threshold."), field="threshold")
    tier = LoyaltyTier(
        programme=programme,
        name=name,
        threshold=threshold,
        multiplier=multiplier,
        benefits=benefits,
    )
    return _saved(tier, actor)


@transaction.atomic
def set_rule(programme: LoyaltyProgramme, *, actor: Any, action: str, points: int) -> LoyaltyRule:
    """The points an action earns, replacing the action's previous rule."""
    rule = LoyaltyRule.objects.filter(programme=programme, action=action).first()
    rule = rule or LoyaltyRule(programme=programme, action=action)
    rule.points = points
    return _saved(rule, actor)


@transaction.atomic
def add_reward(programme: LoyaltyProgramme, *, actor: Any, **fields: Any) -> LoyaltyReward:
    reward = LoyaltyReward(programme=programme, **fields)
    if reward.kind == RewardKind.DISCOUNT and not (reward.discount and reward.discount > 0):
        raise ServiceError(_("A discount reward needs an amount above zero."), field="discount")
    if reward.kind != RewardKind.DISCOUNT:
        reward.discount = None
    return _saved(reward, actor)


@transaction.atomic
def remove_setting(obj: LoyaltyTier | LoyaltyRule | LoyaltyReward, *, actor: Any) -> None:
    """Tiers and rules go; a reward is retired so the statement still names it."""
    if isinstance(obj, LoyaltyReward):
        with record(obj, actor=actor):
            obj.is_active = False
            obj.save(update_fields=["is_active"])
        return
    write_changes([Change(ChangeAction.DELETE, obj, snapshot(obj), None)], actor=actor)
    obj.delete()
