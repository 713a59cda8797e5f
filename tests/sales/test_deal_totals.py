"""The deal totals read model: after any sequence of changes through every write path
(services, the recycle bin, customer deletion and merge, bulk creates and updates, hard
deletes) the maintained totals equal a from-scratch GROUP BY, the readers give each user
exactly the figures of the deals they may see, and the rebuild command repairs them."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from peyvand.access.scopes import restrict
from peyvand.audit.recycle import restore, soft_delete
from peyvand.customers.services import merge_customers
from peyvand.sales import deal_totals
from peyvand.sales.access import live_opportunities
from peyvand.sales.forecast_data import generate_open_deals
from peyvand.sales.models import OpenDealTotal, Opportunity
from peyvand.sales.opportunities import (
    ensure_default_pipeline,
    lose_opportunity,
    move_opportunity,
    open_stages,
    update_opportunity,
    win_opportunity,
)
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity

D = dt.date


def _assert_consistent() -> None:
    expected, stored = deal_totals.from_scratch(), deal_totals.maintained()
    assert stored == expected


def _board_from_deals(user: Any, pipeline: Any) -> dict[tuple[int, str], tuple[int, Decimal]]:
    rows = (
        restrict(live_opportunities(), user)
        .filter(pipeline=pipeline, status="open")
        .values("stage_id", "amount_currency")
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    return {
        (r["stage_id"], r["amount_currency"]): (
            r["n"],
            Decimal(r["total"]).quantize(Decimal("0.01")),
        )
        for r in rows
    }


def _board_from_totals(user: Any, pipeline: Any) -> dict[tuple[int, str], tuple[int, Decimal]]:
    stages = [s.pk for s in open_stages(pipeline)]
    return {
        (r["stage_id"], r["amount_currency"]): (
            r["n"],
            Decimal(r["total"]).quantize(Decimal("0.01")),
        )
        for r in deal_totals.board_rows(user, pipeline.pk, stages)
    }


def _closed_from_deals(user: Any) -> dict[tuple[Any, ...], tuple[int, Decimal]]:
    rows = (
        restrict(live_opportunities(), user)
        .filter(status__in=["won", "lost"])
        .values("owner_id", "status", "amount_currency", day=TruncDate("closed_at"))
        .annotate(n=Count("pk"), total=Sum("amount"))
    )
    return {
        (r["owner_id"], r["status"], r["amount_currency"], r["day"]): (
            r["n"],
            Decimal(r["total"]).quantize(Decimal("0.01")),
        )
        for r in rows
    }


def _closed_from_totals(user: Any) -> dict[tuple[Any, ...], tuple[int, Decimal]]:
    found: dict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for r in deal_totals.closed_rows(user, D(2000, 1, 1), D(2100, 1, 1)):
        cell = found[(r["owner_id"], r["status"], r["amount_currency"], r["day"])]
        cell[0] += r["n"]
        cell[1] += Decimal(r["total"])
    return {k: (n, total.quantize(Decimal("0.01"))) for k, (n, total) in found.items() if n}


def _assert_readers_agree(*users: Any) -> None:
    pipeline = ensure_default_pipeline()
    for user in users:
        assert _board_from_totals(user, pipeline) == _board_from_deals(user, pipeline), user
        assert _closed_from_totals(user) == _closed_from_deals(user), user


@pytest.mark.parametrize("seed", [1, 2])
def test_random_changes_keep_the_totals_equal_to_a_from_scratch_group_by(
    seed: int, manager: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    rng = random.Random(seed)
    pipeline = ensure_default_pipeline()
    stages = list(pipeline.stages.order_by("position"))
    opened = open_stages(pipeline)
    customers = [customer1, customer2, CustomerFactory(owner=sales1)]
    owners = {customer1.pk: sales1, customer2.pk: sales2, customers[2].pk: sales1}
    deals: list[Opportunity] = []

    def live_deals() -> list[Opportunity]:
        return list(
            Opportunity._base_manager.filter(pk__in=[d.pk for d in deals], deleted_at__isnull=True)
        )

    def create() -> None:
        customer = rng.choice([c for c in customers if c.deleted_at is None])
        deals.append(
            make_opportunity(
                customer,
                owners[customer.pk],
                amount=str(rng.randint(1, 10_000)),
                currency=rng.choice(["IRR", "USD"]),
                stage=rng.choice(opened),
                expected_close_date=rng.choice([None, D(2026, 12, rng.randint(1, 31))]),
            )
        )

    def some_open() -> Opportunity | None:
        candidates = [d for d in live_deals() if d.status == "open"]
        return rng.choice(candidates) if candidates else None

    def move() -> None:
        deal = some_open()
        if deal is not None:
            move_opportunity(deal, rng.choice(opened), actor=manager)

    def close() -> None:
        deal = some_open()
        if deal is None:
            return
        if rng.random() < 0.5:
            win_opportunity(deal, actor=manager)
        else:
            lose_opportunity(deal, actor=manager, reason="price")

    def edit() -> None:
        deal = some_open()
        if deal is not None:
            update_opportunity(
                deal,
                actor=manager,
                amount=str(rng.randint(1, 10_000)),
                currency=rng.choice(["IRR", "USD"]),
                expected_close_date=rng.choice([None, D(2027, 1, rng.randint(1, 28))]),
            )

    def reassign() -> None:  # the admin's path: a plain save()
        candidates = live_deals()
        if candidates:
            deal = rng.choice(candidates)
            deal.owner = rng.choice([sales1, sales2, None])
            deal.save()

    def recycle() -> None:
        candidates = list(Opportunity._base_manager.filter(pk__in=[d.pk for d in deals]))
        if candidates:
            deal = rng.choice(candidates)
            if deal.deleted_at is None:
                soft_delete(deal, actor=manager)
            else:
                restore(deal, actor=manager)

    def recycle_customer() -> None:
        customer = rng.choice(customers[1:])
        customer.refresh_from_db()
        if customer.deleted_at is None:
            soft_delete(customer, actor=manager)
        else:
            restore(customer, actor=manager)
        customer.refresh_from_db()

    def bulk_update() -> None:
        pks = [d.pk for d in live_deals()][: rng.randint(0, 5)]
        with deal_totals.tracking(pks):
            Opportunity.objects.filter(pk__in=pks).update(
                expected_close_date=D(2027, 2, rng.randint(1, 28)), stage=rng.choice(opened)
            )

    def bulk_create() -> None:
        generate_open_deals(
            pipeline=pipeline,
            customers=[customer1],
            owners=[sales1, sales2],
            deals=rng.randint(1, 6),
            now=timezone.now(),
            seed=rng.randint(0, 1000),
        )

    def hard_delete() -> None:
        candidates = live_deals()
        if candidates:
            deal = rng.choice(candidates)
            deals.remove(deal)
            deal.history.all().delete()
            deal.delete()

    operations = [create] * 4 + [
        move, close, edit, reassign, recycle, recycle_customer, bulk_update, bulk_create,
        hard_delete,
    ]  # fmt: skip
    for step in range(40):
        rng.choice(operations)()
        if step % 8 == 7:
            _assert_consistent()
    _assert_consistent()
    assert stages  # the default pipeline has its won and lost stages
    _assert_readers_agree(manager, sales1, sales2)


def test_customer_merge_moves_nothing_in_the_totals(
    manager: Any, sales1: Any, customer1: Any
) -> None:
    other = CustomerFactory(owner=sales1, display_name="Ali R.")
    make_opportunity(customer1, sales1, amount="100")
    make_opportunity(other, sales1, amount="50", currency="USD")
    merge_customers(customer1, other, actor=manager)
    _assert_consistent()
    _assert_readers_agree(manager, sales1)


def test_an_own_scope_rep_reads_only_their_own_cells(
    manager: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any
) -> None:
    make_opportunity(customer1, sales1, amount="100")
    make_opportunity(customer2, sales2, amount="7")
    pipeline = ensure_default_pipeline()
    stages = [s.pk for s in open_stages(pipeline)]
    mine = deal_totals.board_rows(sales1, pipeline.pk, stages)
    assert [(r["n"], Decimal(r["total"])) for r in mine] == [(1, Decimal(100))]
    everyone = deal_totals.board_rows(manager, pipeline.pk, stages)
    assert sum(r["n"] for r in everyone) == 2


def test_a_deleted_customers_deals_leave_every_figure(
    manager: Any, sales1: Any, customer1: Any
) -> None:
    leaving = CustomerFactory(owner=sales1)
    make_opportunity(customer1, sales1, amount="100")
    won = make_opportunity(leaving, sales1, amount="40")
    win_opportunity(won, actor=manager)
    make_opportunity(leaving, sales1, amount="60")
    soft_delete(leaving, actor=manager)
    _assert_readers_agree(manager, sales1)
    pipeline = ensure_default_pipeline()
    stages = [s.pk for s in open_stages(pipeline)]
    rows = deal_totals.board_rows(manager, pipeline.pk, stages)
    assert [(r["n"], Decimal(r["total"])) for r in rows] == [(1, Decimal(100))]
    assert _closed_from_totals(manager) == {}


def test_rebuild_command_checks_and_repairs(sales1: Any, customer1: Any) -> None:
    make_opportunity(customer1, sales1, amount="100")
    call_command("rebuild_deal_totals", "--check")
    OpenDealTotal.objects.update(amount=Decimal(1))
    with pytest.raises(CommandError, match="1 deal total cells differ"):
        call_command("rebuild_deal_totals", "--check")
    call_command("rebuild_deal_totals")
    call_command("rebuild_deal_totals", "--check")
    _assert_consistent()


def test_moving_a_deal_costs_a_fixed_number_of_summary_writes(
    django_assert_num_queries: Any, manager: Any, sales1: Any, customer1: Any
) -> None:
    """The save, reading the row before and after, one upsert per table and one clean-up
    of emptied cells per table the deal left: whatever the number of deals."""
    pipeline = ensure_default_pipeline()
    stages = open_stages(pipeline)
    generate_open_deals(
        pipeline=pipeline, customers=[customer1], owners=[sales1], deals=40, now=timezone.now()
    )
    deal = Opportunity.objects.filter(stage=stages[0]).first()
    assert deal is not None
    deal.stage = stages[1]
    with django_assert_num_queries(7):
        deal.save(update_fields=["stage"])
    _assert_consistent()


@pytest.mark.parametrize(("page", "queries"), [("sales:board", 10), ("sales:dashboard", 13)])
def test_computed_board_and_dashboard_cost_pinned_queries(
    page: str, queries: int, django_assert_num_queries: Any, client_for: Any, manager: Any,
    sales1: Any, sales2: Any, customer1: Any, customer2: Any,
) -> None:  # fmt: skip
    """Figures computed afresh (the cache emptied): the summary reads, one correction read
    per page for deals of deleted customers, names and rates once per page; never a read
    of every deal."""
    from django.urls import reverse

    from peyvand.sales.forecast import refresh_forecast_model
    from peyvand.sales.report_cache import invalidate

    pipeline = ensure_default_pipeline()
    generate_open_deals(
        pipeline=pipeline, customers=[customer1, customer2], owners=[sales1, sales2],
        deals=60, now=timezone.now(),
    )  # fmt: skip
    refresh_forecast_model(pipeline)
    client = client_for(manager)
    url = reverse(page)
    assert client.get(url).status_code == 200
    invalidate()
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200


def test_deleting_a_user_keeps_their_deals_figures_right(
    manager: Any, sales1: Any, customer1: Any
) -> None:
    """The user's deals and cells both lose their owner (SET_NULL, no signal); the deals
    changed afterwards land in the "no owner" cells beside the nulled ones."""
    from peyvand.access.models import User
    from peyvand.sales.opportunities import create_opportunity

    leaving = User.objects.create(username="leaving")
    deals = [
        create_opportunity(
            actor=manager, customer=customer1, owner=leaving, title="Deal", amount=amount
        )
        for amount in ("10", "20")
    ]
    create_opportunity(actor=manager, customer=customer1, title="Unowned", amount="5")
    leaving.delete()
    stages = open_stages(ensure_default_pipeline())
    move_opportunity(deals[0], stages[1], actor=manager)
    win_opportunity(deals[1], actor=manager)
    _assert_consistent()
    _assert_readers_agree(manager, sales1)
