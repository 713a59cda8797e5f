"""Analytics benchmark: RFM + BG/NBD fit + Gamma-Gamma fit + scoring every customer on
synthetic transactions (numpy, drawn from a BG/NBD process with gamma spends), and the
BG/NBD fit beside `lifetimes`' BetaGeoFitter on the same summary in the same run.

    python bench/analytics.py [--customers 1000000] [--orders-per-customer 10] [--repeats 3]

lifetimes is a benchmark-only reference (bench/requirements.txt); without it the reference
column says so. Prints the table; medians over --repeats.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import Row, human, say, table  # noqa: E402

from peyvand.analytics.clv import bgnbd, gammagamma  # noqa: E402
from peyvand.analytics.clv.summary import DAYS_PER_WEEK, summarise  # noqa: E402
from peyvand.analytics.clv.value import lifetime_value  # noqa: E402
from peyvand.analytics.rfm.scoring import score  # noqa: E402

HISTORY_DAYS = 730


def transactions(customers: int, per_customer: float, seed: int = 1) -> dict[str, np.ndarray]:
    """BG/NBD customers (purchase rate ~ Gamma, dropout after each purchase ~ Beta) joining
    over the first year, observed for two years; about `per_customer` orders each."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(2.0, per_customer / 2.0 / 450.0, customers)  # purchases per day
    dropout = rng.beta(1.0, 3.0 * per_customer, customers)
    spend_scale = rng.gamma(6.0, 1.0 / 15.0, customers)
    now = rng.integers(0, 365, customers).astype(np.float64)
    active = np.arange(customers)
    chunks_c, chunks_d = [active.copy()], [now.astype(np.int64)]
    while len(active):
        now[active] += rng.exponential(1.0 / rate[active])
        alive = now[active] < HISTORY_DAYS
        active = active[alive]
        chunks_c.append(active.copy())
        chunks_d.append(now[active].astype(np.int64))
        active = active[rng.random(len(active)) >= dropout[active]]
    customer = np.concatenate(chunks_c)
    day = np.concatenate(chunks_d)
    amount = rng.gamma(6.0, 1.0, len(customer)) / spend_scale[customer]
    return {"customer": customer, "day": day, "amount": amount}


def rfm(summary: Any, as_of: int) -> np.ndarray:
    """RFM on the per-customer summary (occasions as the frequency): the product reads
    the same aggregates from SQL, here they come from the one sort the summary does."""
    last_day = as_of - (summary.T - summary.t_x) * DAYS_PER_WEEK
    return score(as_of - last_day, summary.x + 1, summary.total)[3]


def pipeline(data: dict[str, np.ndarray]) -> dict[str, Any]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    summary = summarise(data["customer"], data["day"], data["amount"], HISTORY_DAYS)
    times["summary"] = time.perf_counter() - started
    mark = time.perf_counter()
    rfm(summary, HISTORY_DAYS)
    times["rfm"] = time.perf_counter() - mark
    mark = time.perf_counter()
    purchases = bgnbd.fit(summary.x, summary.t_x, summary.T)
    times["bgnbd"] = time.perf_counter() - mark
    mark = time.perf_counter()
    spend = gammagamma.fit(summary.x, summary.monetary)
    times["gg"] = time.perf_counter() - mark
    mark = time.perf_counter()
    params = purchases.params
    bgnbd.probability_alive(params, summary.x, summary.t_x, summary.T)
    for days in (30, 90, 365):
        bgnbd.conditional_expected_purchases(
            params, days / DAYS_PER_WEEK, summary.x, summary.t_x, summary.T
        )
    expected = gammagamma.expected_spend(spend.params, summary.x, summary.monetary)
    lifetime_value(params, expected, summary.x, summary.t_x, summary.T)
    times["scoring"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    return {"times": times, "summary": summary, "params": params, "ll": purchases.log_likelihood}


def lifetimes_fit(summary: Any) -> tuple[float, dict[str, float]] | None:
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        return None
    fitter = BetaGeoFitter()
    started = time.perf_counter()
    fitter.fit(summary.x, summary.t_x, summary.T)
    return time.perf_counter() - started, dict(fitter.params_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders-per-customer", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    say(f"generating {human(args.customers)} customers")
    data = transactions(args.customers, args.orders_per_customer)
    size = f"{human(args.customers)} customers / {len(data['day']):,} orders"
    say(size)
    runs, references = [], []
    for repeat in range(args.repeats):
        result = pipeline(data)
        runs.append(result["times"])
        say(f"run {repeat + 1}: " + ", ".join(f"{k} {v:.2f}s" for k, v in result["times"].items()))
        reference = lifetimes_fit(result["summary"])
        if reference is not None:
            references.append(reference[0])
            say(f"lifetimes {reference[0]:.2f}s params {reference[1]} ours {result['params']}")

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    rows = [
        Row(
            "analytics: RFM + BG/NBD + GG + scoring",
            size,
            f"{median('total'):.1f} s median (summary {median('summary'):.1f}, rfm "
            f"{median('rfm'):.1f}, bgnbd {median('bgnbd'):.1f}, gg {median('gg'):.1f}, "
            f"scoring {median('scoring'):.1f})",
            "target 60 s",
            f"{median('total') / 60:.2f}",
        )
    ]
    if references:
        ref = statistics.median(references)
        rows.append(
            Row(
                "analytics: BG/NBD fit",
                size,
                f"{median('bgnbd'):.2f} s median",
                f"lifetimes BetaGeoFitter {ref:.2f} s",
                f"{median('bgnbd') / ref:.2f}",
            )
        )
    else:
        rows.append(
            Row("analytics: BG/NBD fit", size, f"{median('bgnbd'):.2f} s", "lifetimes missing", "-")
        )
    print(table(rows))


if __name__ == "__main__":
    main()
