"""Opportunity services and the board selector: stages, history, won/lost, visibility."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from djmoney.money import Money

from peyvand.audit.models import ChangeLog
from peyvand.core.problems import ServiceError
from peyvand.sales.choices import OpportunityStatus
from peyvand.sales.models import Opportunity, Pipeline, Stage, StageHistory
from peyvand.sales.opportunities import (
    ensure_default_pipeline,
    lose_opportunity,
    move_opportunity,
    open_stages,
    win_opportunity,
)
from peyvand.sales.selectors import pipeline_board, stage_visits
from peyvand.sales.services import NotFound
from tests.sales.pipeline_factories import make_opportunity


def _stage(name: str) -> Stage:
    return Stage.objects.get(pipeline=ensure_default_pipeline(), name=name)


def test_default_pipeline_is_created_once_with_ordered_stages(db: None) -> None:
    pipeline = ensure_default_pipeline()
    assert ensure_default_pipeline() == pipeline
    assert Pipeline.objects.count() == 1
    assert [s.name for s in open_stages(pipeline)] == [
        "Qualification",
        "Needs analysis",
        "Proposal",
        "Negotiation",
    ]
    assert pipeline.stages.filter(is_won=True).count() == 1
    assert pipeline.stages.filter(is_lost=True).count() == 1


def test_create_opportunity_validates_every_field(sales1: Any, customer1: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        make_opportunity(customer1, sales1, title="  ", amount="1.5", currency="IRR")
    # IRR has no decimals.
    assert set(caught.value.message_dict) == {"title", "amount"}
    with pytest.raises(ValidationError) as caught:
        make_opportunity(customer1, sales1, stage=_stage("Won"))
    assert "stage" in caught.value.message_dict
    assert not Opportunity.objects.exists()


def test_create_opportunity_needs_a_visible_customer(
    sales1: Any, sales2: Any, customer1: Any
) -> None:
    with pytest.raises(NotFound):
        make_opportunity(customer1, sales2)


def test_moves_write_history_and_audit(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1, currency="USD", amount="12.50")
    assert deal.amount == Money("12.50", "USD")
    move_opportunity(deal, _stage("Proposal"), actor=sales1)
    # Moving to the stage it is in changes nothing.
    move_opportunity(deal, _stage("Proposal"), actor=sales1)
    history = list(
        StageHistory.objects.filter(opportunity=deal).values_list(
            "from_stage__name", "to_stage__name", "by"
        )
    )
    assert history == [(None, "Qualification", sales1.pk), ("Qualification", "Proposal", sales1.pk)]
    changes = ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Opportunity), object_id=str(deal.pk)
    ).order_by("seq")
    assert [c.action for c in changes] == ["create", "update"]
    last = changes.last()
    assert last is not None and last.before["stage_id"] != last.after["stage_id"]
    assert last.customer_id == customer1.pk


def test_moves_are_refused_across_pipelines_and_out_of_scope(
    sales1: Any, sales2: Any, customer1: Any
) -> None:
    deal = make_opportunity(customer1, sales1)
    other = Pipeline.objects.create(name="Partners")
    foreign = Stage.objects.create(pipeline=other, name="Intro", position=0)
    with pytest.raises(ServiceError) as caught:
        move_opportunity(deal, foreign, actor=sales1)
    assert caught.value.field == "stage"
    with pytest.raises(NotFound):
        move_opportunity(deal, _stage("Proposal"), actor=sales2)
    assert Opportunity.objects.get(pk=deal.pk).stage.name == "Qualification"


def test_lost_needs_a_reason_and_closed_deals_stay_put(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    with pytest.raises(ServiceError) as caught:
        lose_opportunity(deal, actor=sales1, reason="  ")
    assert caught.value.field == "reason"
    lost = lose_opportunity(deal, actor=sales1, reason="Price too high")
    assert (lost.status, lost.close_reason, lost.stage.name) == ("lost", "Price too high", "Lost")
    assert lost.closed_at is not None
    with pytest.raises(ServiceError) as caught:
        move_opportunity(deal, _stage("Proposal"), actor=sales1)
    assert caught.value.code == "closed"

    won = win_opportunity(make_opportunity(customer1, sales1), actor=sales1)
    assert (won.status, won.stage.name) == (OpportunityStatus.WON, "Won")


def test_stage_visits_measure_time_in_each_stage(sales1: Any, customer1: Any) -> None:
    deal = make_opportunity(customer1, sales1)
    start = timezone.now() - dt.timedelta(days=3, hours=5)
    StageHistory.objects.filter(opportunity=deal).update(at=start)
    move_opportunity(deal, _stage("Proposal"), actor=sales1)
    StageHistory.objects.filter(opportunity=deal, to_stage__name="Proposal").update(
        at=start + dt.timedelta(days=2, hours=1)
    )
    visits = stage_visits(deal)
    assert [v.stage.name for v in visits] == ["Qualification", "Proposal"]
    assert (visits[0].days, visits[0].hours) == (2, 1)
    assert visits[1].left_at is None
    assert (visits[1].days, visits[1].hours) == (1, 4)


def test_board_shows_only_visible_open_deals_with_totals_per_currency(
    sales1: Any, sales2: Any, manager: Any, customer1: Any, customer2: Any
) -> None:
    make_opportunity(customer1, sales1, title="A", amount="1000")
    make_opportunity(customer1, sales1, title="B", amount="500")
    make_opportunity(customer1, sales1, title="C", amount="7", currency="USD")
    make_opportunity(customer2, sales2, title="Theirs", amount="99999")
    win_opportunity(make_opportunity(customer1, sales1, title="Done"), actor=sales1)
    pipeline = ensure_default_pipeline()

    first = pipeline_board(sales1, pipeline)[0]
    assert first.stage.name == "Qualification"
    assert [c.title for c in first.cards] == ["A", "B", "C"]
    assert first.count == 3
    assert first.totals == [Money(1500, "IRR"), Money(7, "USD")]
    assert {c.title for c in pipeline_board(manager, pipeline)[0].cards} == {
        "A",
        "B",
        "C",
        "Theirs",
    }

    limited = pipeline_board(sales1, pipeline, per_column=2)[0]
    assert [c.title for c in limited.cards] == ["A", "B"]
    assert (limited.count, limited.hidden) == (3, 1)


def test_board_query_count_does_not_grow_with_deals(
    sales1: Any, customer1: Any, django_assert_max_num_queries: Any
) -> None:
    pipeline = ensure_default_pipeline()
    for index in range(20):  # fewer than a column shows
        make_opportunity(customer1, sales1, title=f"Deal {index}")
    sales1.refresh_from_db()
    with django_assert_max_num_queries(5):
        columns = pipeline_board(sales1, pipeline)
        assert sum(len(column.cards) for column in columns) == 20
        assert all(card.customer.display_name for column in columns for card in column.cards)
