"""Fit BG/NBD + Gamma-Gamma on the CRM's orders and score every customer.

Two fits: one on a calibration period, checked against the holdout that follows (the model
fit shown in the UI, Fader & Hardie's cumulative repeat purchases figure), and one on the
whole history, whose parameters score the customers.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from decimal import Decimal

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from peyvand.analytics.clv import bgnbd, gammagamma
from peyvand.analytics.clv.fitting import FloatArray
from peyvand.analytics.clv.summary import DAYS_PER_WEEK, Summary, day_number, summarise
from peyvand.analytics.clv.value import lifetime_value
from peyvand.analytics.models import ClvFit, CustomerValue
from peyvand.analytics.selectors import Occasions, purchase_occasions

MONTHLY_DISCOUNT = 0.01
CLV_MONTHS = 12
# Below this the likelihood is too flat to say anything; the job then leaves scores as they are.
MIN_CUSTOMERS = 20
MIN_WEEKS = 6
KEEP_FITS = 30
BATCH = 2000

logger = logging.getLogger(__name__)


def cumulative_repeat_purchases(
    params: dict[str, float], occasions: Occasions, calibration_end: int, history_end: int
) -> dict[str, list[float] | int]:
    """Weekly cumulative repeat purchases of the customers acquired by the calibration end:
    actual, and expected from the calibration fit (each customer from their first day)."""
    data = summarise(occasions.customer, occasions.day, occasions.amount, history_end)
    first_day = np.rint(history_end - data.T * DAYS_PER_WEEK)
    acquired = first_day <= calibration_end
    start = int(first_day[acquired].min())
    weeks = np.arange(1, int((history_end - start) // DAYS_PER_WEEK) + 1, dtype=np.float64)
    # Repeat occasions: every (customer, day) after the customer's first.
    order = np.lexsort((occasions.day, occasions.customer))
    cust, day = occasions.customer[order], occasions.day[order]
    distinct = np.r_[True, (cust[1:] != cust[:-1]) | (day[1:] != day[:-1])]
    cust, day = cust[distinct], day[distinct]
    first = np.r_[True, cust[1:] != cust[:-1]]
    known = np.isin(cust, data.customer[acquired])
    repeat_weeks = (day[~first & known] - start) / DAYS_PER_WEEK
    actual = np.searchsorted(np.sort(repeat_weeks), weeks, side="right").astype(np.float64)
    starts, counts = np.unique((first_day[acquired] - start) / DAYS_PER_WEEK, return_counts=True)
    predicted = [
        float(np.dot(bgnbd.expected_purchases(params, np.maximum(week - starts, 0.0)), counts))
        for week in weeks
    ]
    return {
        "weeks": [int(w) for w in weeks],
        "actual": [float(v) for v in actual],
        "predicted": predicted,
        "calibration_weeks": int((calibration_end - start) // DAYS_PER_WEEK),
    }


def _spend(fit_params: dict[str, float] | None, data: Summary) -> FloatArray:
    if fit_params is None:
        repeat = data.monetary[data.x > 0]
        mean = float(repeat.mean()) if len(repeat) else 0.0
        return np.where(data.x > 0, data.monetary, mean)
    return gammagamma.expected_spend(fit_params, data.x, data.monetary)


@transaction.atomic
def fit_customer_value(
    *, history_end: dt.date | None = None, currency: str | None = None
) -> ClvFit | None:
    """Fit on every order up to `history_end` (today) and rescore all customers; None
    (scores untouched) when there is too little history to fit."""
    started = time.perf_counter()
    history_end = history_end or timezone.localdate()
    currency = currency or settings.REPORTING_CURRENCY
    occasions = purchase_occasions(currency, until=history_end)
    if len(occasions) == 0:
        return None
    end = day_number(history_end)
    span = end - int(occasions.day.min())
    if span < MIN_WEEKS * DAYS_PER_WEEK:
        return None
    # The last third of the history is the holdout the calibration fit must forecast.
    calibration_end = end - int(span // 3)
    calib = summarise(occasions.customer, occasions.day, occasions.amount, calibration_end, end)
    full = summarise(occasions.customer, occasions.day, occasions.amount, end)
    if len(calib.x) < MIN_CUSTOMERS or not (full.x > 0).any():
        return None
    calib_fit = bgnbd.fit(calib.x, calib.t_x, calib.T)
    holdout_weeks = (end - calibration_end) / DAYS_PER_WEEK
    forecast = bgnbd.conditional_expected_purchases(
        calib_fit.params, holdout_weeks, calib.x, calib.t_x, calib.T
    )
    correlation = (
        float(np.corrcoef(forecast, calib.holdout)[0, 1])
        if forecast.std() > 0 and calib.holdout.std() > 0
        else None
    )
    purchases = bgnbd.fit(full.x, full.t_x, full.T)
    repeat_buyers = int((full.x > 0).sum())
    spend_fit = gammagamma.fit(full.x, full.monetary) if repeat_buyers >= MIN_CUSTOMERS else None
    spend_params = spend_fit.params if spend_fit is not None and spend_fit.params["q"] > 1 else None
    fit = ClvFit.objects.create(
        history_end=history_end,
        calibration_end=history_end - dt.timedelta(days=end - calibration_end),
        currency=currency,
        customers=len(full.x),
        bgnbd_params=purchases.params,
        bgnbd_log_likelihood=purchases.log_likelihood,
        gamma_gamma_params=spend_params,
        gamma_gamma_log_likelihood=spend_fit.log_likelihood
        if spend_fit is not None and spend_params
        else None,
        monthly_discount=MONTHLY_DISCOUNT,
        holdout_predicted=float(forecast.sum()),
        holdout_actual=float(calib.holdout.sum()),
        holdout_correlation=correlation,
        curve=cumulative_repeat_purchases(calib_fit.params, occasions, calibration_end, end),
    )
    try:
        score_customers(fit, full, spend_params)
    except ValueError:
        # A degenerate fit (too few or too uniform customers) must not replace the scores.
        logger.warning("CLV fit %s gives non-finite scores; the previous scores are kept", fit.pk)
        transaction.set_rollback(True)
        return None
    fit.seconds = time.perf_counter() - started
    fit.save(update_fields=["seconds"])
    stale = ClvFit.objects.order_by("-fitted_at", "-pk").values_list("pk", flat=True)[KEEP_FITS:]
    ClvFit.objects.filter(pk__in=list(stale)).delete()
    return fit


def score_customers(fit: ClvFit, data: Summary, spend_params: dict[str, float] | None) -> int:
    """Replace every customer's value with this fit's scores; returns how many."""
    params = fit.bgnbd_params
    alive = bgnbd.probability_alive(params, data.x, data.t_x, data.T)
    horizons = [
        bgnbd.conditional_expected_purchases(params, days / DAYS_PER_WEEK, data.x, data.t_x, data.T)
        for days in (30, 90, 365)
    ]
    spend = _spend(spend_params, data)
    value = lifetime_value(
        params,
        spend,
        data.x,
        data.t_x,
        data.T,
        months=CLV_MONTHS,
        monthly_discount=fit.monthly_discount,
    )
    if not all(np.isfinite(a).all() for a in (alive, *horizons, spend, value)):
        raise ValueError("the fitted model gives non-finite scores")
    CustomerValue.objects.all().delete()
    CustomerValue.objects.bulk_create(
        (
            CustomerValue(
                customer_id=int(data.customer[i]),
                fit=fit,
                probability_alive=float(alive[i]),
                expected_30=float(horizons[0][i]),
                expected_90=float(horizons[1][i]),
                expected_365=float(horizons[2][i]),
                expected_spend=Decimal(f"{spend[i]:.2f}"),
                clv=Decimal(f"{value[i]:.2f}"),
            )
            for i in range(len(data.x))
        ),
        batch_size=BATCH,
    )
    return len(data.x)
