"""GET /api/v1/forecast and /api/v1/forecast/analytics: scopes, visibility, problem+json."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from peyvand.access.models import Department
from peyvand.catalog.services import ensure_currencies
from peyvand.sales.forecast import refresh_forecast_model
from peyvand.sales.forecast_data import generate_history
from peyvand.sales.models import Stage
from peyvand.sales.opportunities import ensure_default_pipeline, win_opportunity
from tests.api.conftest import fields_of, problem_of
from tests.factories import CustomerFactory
from tests.sales.pipeline_factories import make_opportunity

URL = "/api/v1/forecast"
ANALYTICS = "/api/v1/forecast/analytics"


@pytest.fixture
def deals(personas: dict[str, Any]) -> dict[str, Any]:
    ensure_currencies()
    sales = Department.objects.get(code="sales")
    mine = CustomerFactory(owner=personas["sales1"], department=sales)
    theirs = CustomerFactory(owner=personas["sales2"], department=sales)
    soon = timezone.localdate() + dt.timedelta(days=2)
    make_opportunity(mine, personas["sales1"], amount="1000000", expected_close_date=soon)
    make_opportunity(theirs, personas["sales2"], amount="8000000", expected_close_date=soon)
    win_opportunity(
        make_opportunity(mine, personas["sales1"], amount="3000000"), actor=personas["sales1"]
    )
    win_opportunity(
        make_opportunity(theirs, personas["sales2"], amount="5000000"), actor=personas["sales2"]
    )
    return {"mine": mine, "theirs": theirs}


def test_forecast_covers_only_the_callers_deals(
    api_client: Any, personas: dict[str, Any], deals: dict[str, Any]
) -> None:
    probability = Stage.objects.get(pipeline__is_default=True, name="Qualification").win_probability
    rep = api_client(personas["sales1"], scopes=["forecast:read"]).get(URL)
    assert rep.status_code == 200, rep.content
    body = rep.json()
    assert body["currency"] == "IRR"
    assert Decimal(body["weighted_total"]) == Decimal(1000000 * probability) / 100
    assert [o["owner"] for o in body["owners"]] == [personas["sales1"].pk]
    assert body["forecast"] is None
    everyone = api_client(personas["manager"]).get(URL).json()
    assert Decimal(everyone["weighted_total"]) == Decimal(9000000 * probability) / 100
    assert len(everyone["months"]) == 6
    assert sum(Decimal(m["weighted"]) for m in everyone["months"]) == Decimal(
        everyone["weighted_total"]
    )


def test_learned_forecast_and_backtest_summary(api_client: Any, personas: dict[str, Any]) -> None:
    ensure_currencies()
    pipeline = ensure_default_pipeline()
    customer = CustomerFactory(
        owner=personas["sales1"], department=Department.objects.get(code="sales")
    )
    generate_history(
        pipeline=pipeline,
        customers=[customer],
        owners=[personas["sales1"]],
        deals=400,
        advance=[0.7, 0.6, 0.8, 0.9],
        until=timezone.now() - dt.timedelta(days=1),
    )
    model = refresh_forecast_model(pipeline)
    body = api_client(personas["manager"]).get(URL, {"calendar": "jalali", "months": 3}).json()
    learned = body["forecast"]
    assert learned["closed_deals"] == model.closed_deals
    assert len(learned["months"]) == 3 and body["calendar"] == "jalali"
    assert learned["backtest"]["cutoffs"] == len(model.backtest["cutoffs"])
    assert learned["backtest"]["learned"]["wape"] == pytest.approx(
        model.backtest["learned"]["wape"]
    )
    assert learned["backtest"]["learned"]["mae"] is not None
    assert {s["stage"] for s in learned["stages"]} == {int(k) for k in model.stages}
    rep = api_client(personas["sales2"]).get(URL).json()["forecast"]
    # Company-wide amounts stay with who may see every deal.
    assert rep["backtest"]["learned"]["mae"] is None
    assert rep["backtest"]["learned"]["wape"] is not None
    assert all(Decimal(m["learned"]) == 0 for m in rep["months"])


def test_analytics_visibility_range_and_trend(
    api_client: Any, personas: dict[str, Any], deals: dict[str, Any]
) -> None:
    rep = api_client(personas["sales1"], scopes=["forecast:read"]).get(ANALYTICS).json()
    assert (rep["total"]["won"], rep["total"]["won_amount"]) == (1, "3000000")
    assert [o["key"] for o in rep["owners"]] == [str(personas["sales1"].pk)]
    assert len(rep["months"]) == 12
    manager = api_client(personas["manager"]).get(ANALYTICS).json()
    assert manager["total"]["won"] == 2
    assert manager["total"]["win_rate"] == 1.0
    assert Decimal(manager["total"]["average_deal"]) == 4000000
    past = (timezone.localdate() - dt.timedelta(days=400)).isoformat()
    older = api_client(personas["manager"]).get(ANALYTICS, {"start": past, "end": past}).json()
    assert older["total"]["won"] == 0 and older["total"]["win_rate"] is None


def test_scopes_roles_and_bad_input(
    api_client: Any, personas: dict[str, Any], deals: dict[str, Any]
) -> None:
    wrong = api_client(personas["sales1"], scopes=["orders:read"])
    problem_of(wrong.get(URL), 403)
    problem_of(wrong.get(ANALYTICS), 403)
    problem_of(api_client(personas["service1"]).get(URL), 403)
    manager = api_client(personas["manager"])
    problem_of(manager.get(URL, {"pipeline": 999999}), 404)
    bad = problem_of(manager.get(URL, {"months": "lots", "calendar": "<script>"}), 422)
    assert {"months", "calendar"} <= {f.split(".")[-1] for f in fields_of(bad)}
    problem_of(manager.get(ANALYTICS, {"start": "2026-05-01", "end": "2026-01-01"}), 422)
    problem_of(manager.get(ANALYTICS, {"start": "not a date"}), 422)
