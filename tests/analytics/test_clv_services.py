"""CLV fitted on the CRM's own orders: stored fit, per-customer scores, the refresh triggers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.db import transaction

from peyvand.analytics import tasks
from peyvand.analytics.clv import bgnbd
from peyvand.analytics.clv.services import fit_customer_value
from peyvand.analytics.clv.summary import summarise
from peyvand.analytics.models import ClvFit, CustomerValue, RfmRun
from peyvand.analytics.selectors import purchase_occasions
from tests.sales.factories import make_order


def test_fit_stores_params_and_scores_every_customer(shop: dict[str, Any]) -> None:
    fit = fit_customer_value(history_end=shop["end"])
    assert fit is not None
    assert set(fit.bgnbd_params) == {"r", "alpha", "a", "b"}
    assert fit.bgnbd_log_likelihood < 0
    assert fit.customers == CustomerValue.objects.count() == 60
    assert fit.calibration_end < fit.history_end
    curve = fit.curve
    assert len(curve["weeks"]) == len(curve["actual"]) == len(curve["predicted"])
    assert curve["actual"] == sorted(curve["actual"])
    assert 0 < curve["calibration_weeks"] < len(curve["weeks"])
    # At the end of the holdout the curve's actual total is the holdout's plus calibration's.
    assert fit.holdout_actual <= curve["actual"][-1]
    for value in CustomerValue.objects.all():
        assert 0 <= value.probability_alive <= 1
        assert 0 <= value.expected_30 <= value.expected_90 <= value.expected_365
        assert value.clv >= 0


def test_scores_match_the_model_functions(shop: dict[str, Any]) -> None:
    fit = fit_customer_value(history_end=shop["end"])
    assert fit is not None
    occasions = purchase_occasions("IRR", until=shop["end"])
    from peyvand.analytics.clv.summary import day_number

    data = summarise(occasions.customer, occasions.day, occasions.amount, day_number(shop["end"]))
    expected = bgnbd.conditional_expected_purchases(
        fit.bgnbd_params, 90 / 7, data.x, data.t_x, data.T
    )
    stored = dict(CustomerValue.objects.values_list("customer_id", "expected_90"))
    np.testing.assert_allclose([stored[int(c)] for c in data.customer], expected)


def test_too_little_history_leaves_scores_alone(personas: dict[str, Any]) -> None:
    assert fit_customer_value(history_end=dt.date(2025, 1, 1)) is None
    assert ClvFit.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_new_order_schedules_one_refresh(shop: dict[str, Any], settings: Any) -> None:
    # The database backend defers jobs, so the debounce is visible as one queued job.
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "imports", "analytics"],
        }
    }
    from django_tasks_db.models import DBTaskResult

    tasks.cache.delete(tasks.PENDING_KEY)
    customer = shop["customers"][1]
    with transaction.atomic():
        make_order(customer)
        assert DBTaskResult.objects.count() == 0  # only after commit
    make_order(customer)
    queued = DBTaskResult.objects.filter(task_path="peyvand.analytics.tasks.refresh_customer_value")
    assert queued.count() == 1
    assert queued.get().run_after is not None


def test_refresh_job_writes_a_snapshot_and_a_fit(shop: dict[str, Any]) -> None:
    result = tasks.refresh_customer_value.call()
    assert RfmRun.objects.filter(pk=result["rfm_run"]).exists()
    assert result["clv_fit"] is None or ClvFit.objects.filter(pk=result["clv_fit"]).exists()
