"""Forecast services: weighted pipeline in the reporting currency, rates learned from closed
history (they converge to the rates the history was drawn from), the rolling-origin
back-test, analytics and targets, each only over the deals the user may see."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from peyvand.access.models import Department
from peyvand.audit.models import ChangeLog
from peyvand.catalog.money import quantize
from peyvand.catalog.services import record_exchange_rate
from peyvand.sales import deal_totals
from peyvand.sales.forecast import (
    attainment,
    estimate_rates,
    forecast,
    load_history,
    month_label,
    months_between,
    period_bounds,
    refresh_forecast_model,
    sales_analytics,
    set_sales_target,
    weighted_pipeline,
)
from peyvand.sales.forecast_data import generate_history, true_win_rates
from peyvand.sales.models import Opportunity, SalesTarget, Stage
from peyvand.sales.opportunities import ensure_default_pipeline, open_stages, win_opportunity
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity

D = dt.date
ADVANCE = [0.7, 0.6, 0.8, 0.9]


@pytest.fixture
def rates(currencies: None) -> None:
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 1, 1), rate="600000")
    record_exchange_rate(actor=None, base="USD", quote="IRR", date=D(2026, 3, 1), rate="900000")


def _probability(name: str) -> int:
    return Stage.objects.get(pipeline__is_default=True, name=name).win_probability


def _stage(name: str) -> Stage:
    return Stage.objects.get(pipeline__is_default=True, name=name)


def test_weighted_pipeline_converts_at_the_expected_close_date_and_splits_by_owner(
    sales1: Any, sales2: Any, manager: Any, customer1: Any, customer2: Any, rates: None
) -> None:
    pipeline = ensure_default_pipeline()
    make_opportunity(
        customer1, sales1, amount="100", currency="USD", expected_close_date=D(2026, 2, 10)
    )
    make_opportunity(
        customer1, sales1, amount="100", currency="USD", expected_close_date=D(2026, 3, 10)
    )
    make_opportunity(
        customer1,
        sales1,
        amount="5000000",
        stage=_stage("Proposal"),
        expected_close_date=D(2026, 3, 31),
    )
    make_opportunity(customer2, sales2, amount="7000000", expected_close_date=D(2026, 3, 2))
    make_opportunity(customer2, sales2, amount="3000000")  # no date
    qualification, proposal = _probability("Qualification"), _probability("Proposal")

    report = weighted_pipeline(
        manager, pipeline=pipeline, start=D(2026, 2, 1), end=D(2026, 4, 30), today=D(2026, 1, 15)
    )
    assert report.currency == "IRR"
    assert [m.start for m in report.months] == [D(2026, 2, 1), D(2026, 3, 1), D(2026, 4, 1)]
    february, march, april = report.months
    # February's USD deal is converted at January's rate, March's at March's.
    assert february.weighted == Decimal(100 * 600000 * qualification) / 100
    assert march.total == 100 * 900000 + 5000000 + 7000000
    assert march.weighted == (
        Decimal(100 * 900000 * qualification + 5000000 * proposal + 7000000 * qualification) / 100
    )
    assert (april.count, april.weighted) == (0, 0)
    assert report.undated.count == 1
    assert report.undated.weighted == Decimal(3000000 * qualification) / 100
    by_owner = {o.owner_id: o for o in report.owners}
    assert by_owner[sales1.pk].count == 3 and by_owner[sales2.pk].count == 2
    assert march.by_owner[sales2.pk] == Decimal(7000000 * qualification) / 100
    assert report.weighted == sum(o.weighted for o in report.owners)

    own = weighted_pipeline(
        sales1, pipeline=pipeline, start=D(2026, 2, 1), end=D(2026, 4, 30), today=D(2026, 1, 15)
    )
    assert [o.owner_id for o in own.owners] == [sales1.pk]
    assert own.undated.count == 0
    assert own.months[1].total == 100 * 900000 + 5000000


def test_weighted_pipeline_reports_currencies_without_a_rate(
    sales1: Any, customer1: Any, currencies: None
) -> None:
    make_opportunity(
        customer1, sales1, amount="10", currency="EUR", expected_close_date=D(2026, 2, 1)
    )
    make_opportunity(customer1, sales1, amount="1000", expected_close_date=D(2026, 2, 1))
    report = weighted_pipeline(
        sales1, pipeline=ensure_default_pipeline(), start=D(2026, 2, 1), end=D(2026, 2, 28)
    )
    assert report.missing_rates == ["EUR"]
    assert report.months[0].count == 1


def test_jalali_months_bucket_by_the_jalali_calendar(sales1: Any, customer1: Any) -> None:
    # 2026-03-21 is 1 Farvardin 1405: the 20th is still in Esfand 1404.
    make_opportunity(customer1, sales1, amount="1000", expected_close_date=D(2026, 3, 20))
    make_opportunity(customer1, sales1, amount="2000", expected_close_date=D(2026, 3, 21))
    report = weighted_pipeline(
        sales1,
        pipeline=ensure_default_pipeline(),
        start=D(2026, 3, 1),
        end=D(2026, 4, 19),
        calendar="jalali",
    )
    assert [(m.start, m.total) for m in report.months] == [
        (D(2026, 2, 20), 1000),
        (D(2026, 3, 21), 2000),
    ]
    with translation.override("fa"):
        assert month_label(D(2026, 3, 21), "jalali") == "فروردین ۱۴۰۵"
    assert month_label(D(2026, 3, 21), "jalali") == "Farvardin 1405"
    assert months_between(D(2026, 3, 21), D(2026, 4, 20), "jalali") == [D(2026, 3, 21)]


def test_quarters_in_either_calendar() -> None:
    assert period_bounds("quarter", D(2026, 5, 17), "gregorian") == (D(2026, 4, 1), D(2026, 6, 30))
    # Spring 1405: 1 Farvardin to 31 Khordad.
    assert period_bounds("quarter", D(2026, 5, 17), "jalali") == (D(2026, 3, 21), D(2026, 6, 21))
    assert period_bounds("month", D(2026, 2, 14), "gregorian") == (D(2026, 2, 1), D(2026, 2, 28))


def _history(personas: dict[str, Any], deals: int, seed: int = 7) -> tuple[Any, dt.datetime]:
    pipeline = ensure_default_pipeline()
    department = Department.objects.get(code="sales")
    customers = [
        CustomerFactory(owner=personas[name], department=department)
        for name in ("sales1", "sales2")
    ]
    until = timezone.now() - dt.timedelta(days=1)
    generate_history(
        pipeline=pipeline,
        customers=customers,
        owners=[personas["sales1"], personas["sales2"]],
        deals=deals,
        advance=ADVANCE,
        until=until,
        seed=seed,
    )
    return pipeline, until


def test_learned_rates_converge_to_the_rates_the_history_was_drawn_from(
    personas: dict[str, Any], currencies: None
) -> None:
    pipeline, until = _history(personas, 3000)
    static = {s.pk: s.win_probability for s in open_stages(pipeline)}
    deals = load_history(pipeline)
    learned = estimate_rates(deals, before=until.timestamp() / 86400 + 1, static=static)
    truth = true_win_rates(ADVANCE)
    for stage, expected in zip(open_stages(pipeline), truth, strict=True):
        rate = learned[stage.pk]
        assert rate.reached > 200
        # Within four standard errors of the true rate; the static guess is far off.
        assert abs(rate.p_won - expected) < 4 * math.sqrt(expected * (1 - expected) / rate.reached)
        assert abs(rate.p_won - expected) < abs(stage.win_probability / 100 - expected)
        assert rate.days == sorted(rate.days) and len(rate.days) <= 100
    # Fewer deals, rougher estimate: the error shrinks as history grows.
    small = [d for d in deals if d.closed is not None][:150]
    rough = estimate_rates(small, before=until.timestamp() / 86400 + 1, static=static)
    first = open_stages(pipeline)[0].pk
    assert rough[first].reached < learned[first].reached


def test_rates_only_learn_from_deals_closed_before_the_cutoff(
    personas: dict[str, Any], currencies: None
) -> None:
    pipeline, until = _history(personas, 400)
    static = {s.pk: s.win_probability for s in open_stages(pipeline)}
    deals = load_history(pipeline)
    cutoff = (until - dt.timedelta(days=120)).timestamp() / 86400
    before = estimate_rates(deals, before=cutoff, static=static)
    closed_before = [d for d in deals if d.closed is not None and d.closed < cutoff]
    first = open_stages(pipeline)[0].pk
    assert before[first].reached == len(closed_before)
    assert before[first].won == sum(d.won for d in closed_before)
    with_nothing = estimate_rates(deals, before=0, static=static)
    # Without history the learned rate is the static probability.
    assert with_nothing[first].p_won == pytest.approx(static[first] / 100)


def test_backtest_errors_are_computed_and_beat_a_biased_static_probability(
    personas: dict[str, Any], currencies: None
) -> None:
    pipeline, until = _history(personas, 3000)
    # A sales team that is far too optimistic about its stages.
    Stage.objects.filter(pipeline=pipeline, is_won=False, is_lost=False).update(win_probability=90)
    model = refresh_forecast_model(pipeline, now=until)
    cutoffs = model.backtest["cutoffs"]
    assert 6 <= len(cutoffs) <= 12
    actual = sum(row["actual"] for row in cutoffs)
    assert actual > 0
    learned_wape = sum(abs(row["forecast"] - row["actual"]) for row in cutoffs) / actual
    static_wape = sum(abs(row["static"] - row["actual"]) for row in cutoffs) / actual
    assert model.backtest["learned"]["wape"] == pytest.approx(learned_wape)
    assert model.backtest["static"]["wape"] == pytest.approx(static_wape)
    assert model.backtest["learned"]["mae"] == pytest.approx(
        sum(abs(row["forecast"] - row["actual"]) for row in cutoffs) / len(cutoffs)
    )
    assert learned_wape < static_wape
    assert model.backtest["static"]["bias"] > 0
    # Each cut-off's actual is what was won in the month after it.
    first = dt.date.fromisoformat(cutoffs[0]["month"])
    zone = timezone.get_current_timezone()
    won = Opportunity.objects.filter(
        status="won",
        closed_at__gte=dt.datetime.combine(first, dt.time.min, tzinfo=zone),
        closed_at__lt=dt.datetime.combine(
            dt.date.fromisoformat(cutoffs[1]["month"]), dt.time.min, tzinfo=zone
        ),
    )
    assert cutoffs[0]["actual"] == pytest.approx(float(sum(o.amount.amount for o in won)))
    assert model.closed_deals == Opportunity.objects.exclude(status="open").count()


def test_forecast_uses_the_learned_rates_and_only_visible_deals(
    personas: dict[str, Any], currencies: None
) -> None:
    pipeline, until = _history(personas, 1500)
    sales1, sales2 = personas["sales1"], personas["sales2"]
    assert forecast(sales1, pipeline=pipeline) is None  # nothing learned yet
    model = refresh_forecast_model(pipeline, now=until)
    mine = forecast(sales1, pipeline=pipeline, now=until)
    everyone = forecast(personas["manager"], pipeline=pipeline, now=until)
    assert mine is not None and everyone is not None and mine.model == model
    assert len(mine.months) == 6
    open_mine = Opportunity.objects.filter(status="open", owner=sales1)
    ceiling = sum(
        o.amount.amount * Decimal(str(model.stages[str(o.stage_id)]["p_won"])) for o in open_mine
    )
    total = sum(m.learned for m in mine.months)
    # Each month is rounded to a whole unit: at most half a unit up per month.
    assert 0 < total <= ceiling + Decimal("0.5") * len(mine.months)
    assert sum(m.learned for m in everyone.months) > total
    # A rep without deals of their own forecasts nothing.
    theirs_before = Opportunity.objects.filter(owner=sales2)
    with deal_totals.tracking(theirs_before.values_list("pk", flat=True)):
        theirs_before.update(owner=sales1)
    theirs = forecast(sales2, pipeline=pipeline, now=until)
    assert theirs is not None and sum(m.learned for m in theirs.months) == 0
    learned = {row["stage"].pk: row["learned"] for row in mine.stages}
    assert learned == {int(k): round(v["p_won"] * 100, 1) for k, v in model.stages.items()}


def test_analytics_win_rate_deal_size_and_cycle_by_owner_month_and_range(
    sales1: Any, sales2: Any, manager: Any, customer1: Any, customer2: Any, rates: None
) -> None:
    zone = timezone.get_current_timezone()

    def closed(
        customer: Any, owner: Any, amount: str, currency: str, won: bool, on: dt.date, days: int
    ) -> None:
        deal = make_opportunity(customer, owner, amount=amount, currency=currency)
        close = dt.datetime.combine(on, dt.time(10), tzinfo=zone)
        with deal_totals.tracking([deal.pk]):
            Opportunity.objects.filter(pk=deal.pk).update(
                status="won" if won else "lost",
                closed_at=close,
                created_at=close - dt.timedelta(days=days),
            )

    closed(customer1, sales1, "10", "USD", True, D(2026, 1, 20), 10)  # 6,000,000 IRR
    closed(customer1, sales1, "10", "USD", True, D(2026, 3, 5), 30)  # 9,000,000 IRR
    closed(customer1, sales1, "1", "IRR", False, D(2026, 3, 6), 5)
    closed(customer2, sales2, "4000000", "IRR", True, D(2026, 2, 1), 20)
    closed(customer2, sales2, "1", "IRR", False, D(2025, 12, 31), 5)  # outside the range

    report = sales_analytics(manager, start=D(2026, 1, 1), end=D(2026, 3, 31))
    assert (report.total.won, report.total.lost) == (3, 1)
    assert report.total.win_rate == pytest.approx(3 / 4)
    assert report.total.won_amount == 6000000 + 9000000 + 4000000
    assert report.total.average_deal == quantize(Decimal(19000000) / 3, "IRR")
    assert report.total.average_cycle_days == pytest.approx(20.0)
    assert [(m.won, m.lost) for m in report.months] == [(1, 0), (1, 0), (1, 1)]
    assert [m.average_cycle_days for m in report.months] == [10.0, 20.0, 30.0]
    owners = {s.key: s for s in report.owners}
    assert owners[sales1.pk].win_rate == pytest.approx(2 / 3)
    assert owners[sales2.pk].won_amount == 4000000
    assert [d.label for d in report.departments] == ["Sales"]

    own = sales_analytics(sales2, start=D(2026, 1, 1), end=D(2026, 3, 31))
    assert (own.total.won, own.total.lost) == (1, 0)
    assert [s.key for s in own.owners] == [sales2.pk]
    narrow = sales_analytics(manager, start=D(2026, 3, 1), end=D(2026, 3, 5))
    assert (narrow.total.won, narrow.total.lost) == (1, 0)


def test_targets_are_set_once_per_period_audited_and_validated(
    manager: Any, sales1: Any, currencies: None
) -> None:
    target = set_sales_target(
        actor=manager,
        user=sales1,
        period="quarter",
        on=D(2026, 5, 1),
        amount=Decimal("5000000"),
        calendar="jalali",
    )
    assert (target.starts_on, target.ends_on, target.currency) == (
        D(2026, 3, 21),
        D(2026, 6, 21),
        "IRR",
    )
    again = set_sales_target(
        actor=manager,
        user=sales1,
        period="quarter",
        on=D(2026, 6, 1),
        amount=Decimal("8000000"),
        calendar="jalali",
    )
    assert again.pk == target.pk and again.amount == 8000000
    assert SalesTarget.objects.count() == 1
    assert (
        ChangeLog.objects.filter(object_id=str(target.pk), action__in=["create", "update"]).count()
        == 2
    )
    with pytest.raises(ValidationError) as caught:
        set_sales_target(
            actor=manager,
            user=sales1,
            department=Department.objects.get(code="sales"),
            period="month",
            on=D(2026, 1, 1),
            amount=Decimal("-1"),
            calendar="gregorian",
        )
    assert set(caught.value.message_dict) == {"user", "amount"}
    assert SalesTarget.objects.count() == 1


def test_attainment_counts_won_deals_of_the_period_in_the_reporting_currency(
    manager: Any, sales1: Any, sales2: Any, customer1: Any, customer2: Any, rates: None
) -> None:
    sales = Department.objects.get(code="sales")
    mine = set_sales_target(
        actor=manager,
        user=sales1,
        period="month",
        on=D(2026, 3, 1),
        amount=Decimal("18000000"),
        calendar="gregorian",
    )
    team = set_sales_target(
        actor=manager,
        department=sales,
        period="month",
        on=D(2026, 3, 1),
        amount=Decimal("20000000"),
        calendar="gregorian",
    )
    won = [
        win_opportunity(
            make_opportunity(customer1, sales1, amount="10", currency="USD"), actor=sales1
        ),
        win_opportunity(make_opportunity(customer2, sales2, amount="5000000"), actor=sales2),
        win_opportunity(
            make_opportunity(customer1, sales1, amount="99", currency="USD"), actor=sales1
        ),
    ]
    zone = timezone.get_current_timezone()
    for deal, day in zip(won, [D(2026, 3, 3), D(2026, 3, 30), D(2026, 4, 1)], strict=True):
        with deal_totals.tracking([deal.pk]):
            Opportunity.objects.filter(pk=deal.pk).update(
                closed_at=dt.datetime.combine(day, dt.time(9), tzinfo=zone)
            )

    rows = {a.target.pk: a for a in attainment(manager, start=D(2026, 3, 1), end=D(2026, 3, 31))}
    assert rows[mine.pk].won == 10 * 900000
    assert rows[mine.pk].ratio == pytest.approx(9000000 / 18000000)
    assert rows[team.pk].won == 10 * 900000 + 5000000
    # A rep sees their own target only.
    assert [a.target.pk for a in attainment(sales1, start=D(2026, 3, 1), end=D(2026, 3, 31))] == [
        mine.pk
    ]
    assert attainment(sales2, start=D(2026, 3, 1), end=D(2026, 3, 31)) == []


def test_the_nightly_job_learns_every_active_pipeline(
    personas: dict[str, Any], currencies: None
) -> None:
    from peyvand.sales.models import ForecastModel, Pipeline
    from peyvand.sales.tasks import refresh_forecasts

    pipeline, _until = _history(personas, 200)
    Pipeline.objects.create(name="Dormant", is_active=False)
    assert refresh_forecasts.call() == 1
    assert refresh_forecasts.call(pipeline.pk) == 1
    assert ForecastModel.objects.filter(pipeline=pipeline).count() == 2


def _projection(report: Any, analytics: Any, learned: Any, attained: Any) -> Any:
    """Every figure of the four reports (their dataclasses also hold rounding functions,
    which compare by identity)."""
    stats = [analytics.total, *analytics.months, *analytics.owners, *analytics.departments]
    return (
        [(m.start, m.count, m.total, m.weighted, m.by_owner) for m in report.months],
        [(o.owner_id, o.name, o.count, o.total, o.weighted) for o in report.owners],
        (report.undated.count, report.undated.total, report.missing_rates),
        [(s.key, s.label, s.won, s.lost, s.won_amount, s.cycle_days) for s in stats],
        analytics.missing_rates,
        [(m.start, m.learned, m.static) for m in learned.months],
        [(row["stage"].pk, row["learned"], row["reached"]) for row in learned.stages],
        learned.missing_rates,
        [(a.target.pk, a.won) for a in attained],
    )


def test_one_context_for_the_four_reports_gives_each_ones_figures_in_fewer_queries(
    django_assert_num_queries: Any,
    manager: Any,
    sales1: Any,
    sales2: Any,
    customer1: Any,
    customer2: Any,
    rates: None,
) -> None:
    from peyvand.audit.recycle import soft_delete
    from peyvand.sales.forecast import ReportContext

    pipeline = ensure_default_pipeline()
    today = timezone.localdate()
    soon = today + dt.timedelta(days=3)
    make_opportunity(customer1, sales1, amount="100", currency="USD", expected_close_date=soon)
    make_opportunity(customer1, sales1, amount="10", currency="EUR", expected_close_date=soon)
    make_opportunity(customer2, sales2, amount="7000000", expected_close_date=soon)
    win_opportunity(make_opportunity(customer1, sales1, amount="50", currency="USD"), actor=sales1)
    win_opportunity(make_opportunity(customer2, sales2, amount="3000000"), actor=sales2)
    leaving = CustomerFactory(owner=sales1)
    make_opportunity(leaving, sales1, amount="900", currency="USD", expected_close_date=soon)
    win_opportunity(make_opportunity(leaving, sales1, amount="800"), actor=sales1)
    soft_delete(leaving, actor=manager)
    refresh_forecast_model(pipeline)
    set_sales_target(
        actor=manager, user=sales1, period="month", on=today, amount=Decimal(10**9),
        calendar="gregorian",
    )  # fmt: skip
    start, end = today - dt.timedelta(days=40), today
    window = {"start": today.replace(day=1), "end": today + dt.timedelta(days=90)}

    def reports(user: Any, context: Any) -> Any:
        return _projection(
            weighted_pipeline(user, pipeline=pipeline, today=today, context=context, **window),
            sales_analytics(user, start=start, end=end, pipeline=pipeline, context=context),
            forecast(user, pipeline=pipeline, context=context),
            attainment(user, start=start, end=end, context=context),
        )

    for user in (manager, sales1, sales2):
        assert reports(user, ReportContext(user)) == reports(user, None), user
    figures = reports(manager, None)
    # Each report still names only the currencies it left out itself.
    assert figures[2][2] == ["EUR"] and figures[4] == [] and figures[7] == ["EUR"]
    # The deleted customer's deals are in no figure (and the EUR deal has no rate).
    assert sum(o[2] for o in figures[1]) == 2 and figures[3][0][2:4] == (2, 0)
    # Hidden deals 1, open totals 1, names 1, decimals 1, USD and EUR rates 2, model 1,
    # stage entries 1, stages 1, closed totals 1, departments 1, targets 1, won totals 1.
    with django_assert_num_queries(13):
        reports(manager, ReportContext(manager))
    with pytest.raises(ValueError, match="another reader"):
        weighted_pipeline(sales1, pipeline=pipeline, context=ReportContext(manager), **window)
