"""Benchmark: next best offer — decision latency, learning on the simulator, recovery.

    python bench/nbo.py [--decisions 50000] [--shift 10000] [--latency 2000] [--database-url URL]

Without --database-url (or BENCH_DATABASE_URL) a fresh SQLite file in a temporary
directory is used; the database must be a scratch one. Figures, each beside a reference
measured in the same run:

- decision latency through the service (`services.decide`: profile from orders,
  interactions and tasks, eligibility of 20 offers, VW predict, the logged decision and the
  offer counter), median and p95; reference: the VW predict alone on the same features;
- the same through the HTTP endpoint GET /api/v1/customers/{id}/next-best-offer (Django's
  test client: the whole middleware, auth and ninja stack, without a socket); reference:
  GET /api/v1/me on the same stack;
- learning on bench/nbo_sim.py (20 offers, profile-dependent acceptance): share of the
  random→oracle gap closed by the bandit in the last 5,000 of the first `--decisions`;
- after the preferences shift: the gap closed in the `--shift` decisions that follow, and
  how many decisions it took to reach 80% of the gap again (in windows of 1,000).

Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.nbo_sim import Simulator, run  # noqa: E402

from peyvand.personalization.engine import Bandit  # noqa: E402

OFFERS = 20
TARGET = 0.8


def _setup_django(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    os.environ.setdefault("PEYVAND_TASK_BACKEND", "django_tasks.backends.dummy.DummyBackend")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.2f} ms, p95 {_percentile(values, 0.95) * 1000:.2f} ms"


def _seed_crm(customers: int) -> tuple[list[Any], Any]:
    from django.utils import timezone

    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.channels.models import Interaction
    from peyvand.customers.models import Customer
    from peyvand.desk.models import Task
    from peyvand.personalization.models import Decision, Offer, PolicyVersion
    from peyvand.sales.models import Order

    Decision.objects.all().delete()
    PolicyVersion.objects.all().delete()
    Offer.objects.all().delete()
    ensure_departments_and_roles()
    manager = ensure_persona("manager", "bench-password")
    kinds = ["discount", "content", "retention_call", "content"]
    Offer.objects.bulk_create(
        Offer(
            code=f"bench-{i}",
            kind=kinds[i % 4],
            title=f"Offer {i}",
            title_fa=f"پیشنهاد {i}",
            rules={"languages": ["fa", "en"]} if i % 5 else {"min_orders": 1},
        )
        for i in range(OFFERS)
    )
    rng = random.Random(3)
    made = Customer.objects.bulk_create(
        Customer(
            display_name=f"Bench customer {i}",
            preferred_language=rng.choice(["fa", "en"]),
            preferred_channel=rng.choice(["email", "sms", "phone", ""]),
        )
        for i in range(customers)
    )
    now = timezone.now()
    orders, interactions, tasks = [], [], []
    for index, customer in enumerate(made):
        for n in range(rng.randint(0, 6)):
            orders.append(
                Order(
                    number=f"B-{index}-{n}",
                    customer=customer,
                    ordered_at=now - timezone.timedelta(days=rng.randint(1, 700)),
                    total=rng.randint(100, 10_000) * 1000,
                )
            )
        for _n in range(rng.randint(0, 8)):
            interactions.append(
                Interaction(
                    customer=customer,
                    channel=rng.choice(["email", "phone", "chat"]),
                    direction="inbound",
                    occurred_at=now - timezone.timedelta(days=rng.randint(0, 120)),
                )
            )
        if rng.random() < 0.3:
            tasks.append(Task(title="Follow up", customer=customer))
    Order.objects.bulk_create(orders, batch_size=2000)
    Interaction.objects.bulk_create(interactions, batch_size=2000)
    Task.objects.bulk_create(tasks, batch_size=2000)
    return made, manager


def latency(count: int) -> list[tuple[str, str, str, str, str]]:
    from django.test import Client

    from peyvand.access.models import ApiToken
    from peyvand.personalization import services
    from peyvand.personalization.profile import build_profile

    customers, manager = _seed_crm(count * 2)
    warm = services.decide(customers[-1])  # creates the policy, loads the model
    assert warm is not None
    service_times, predict_times = [], []
    for customer in customers[:count]:
        start = time.perf_counter()
        decision = services.decide(customer)
        service_times.append(time.perf_counter() - start)
        assert decision is not None
        bandit = services.bandit_for(decision.policy)
        profile = build_profile(customer)
        start = time.perf_counter()
        bandit.pmf(profile, decision.actions)
        predict_times.append(time.perf_counter() - start)
    _token, raw = ApiToken.issue(manager, name="bench", scopes=["*"])
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    client.get("/api/v1/me")
    http_times, ref_times = [], []
    for customer in customers[count : 2 * count - 1]:
        start = time.perf_counter()
        response = client.get(f"/api/v1/customers/{customer.pk}/next-best-offer")
        http_times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content
        start = time.perf_counter()
        client.get("/api/v1/me")
        ref_times.append(time.perf_counter() - start)
    ratio_service = _percentile(service_times, 0.95) / _percentile(predict_times, 0.95)
    ratio_http = _percentile(http_times, 0.95) / _percentile(ref_times, 0.95)
    return [
        (
            "decide (service)",
            f"{count} decisions",
            _ms(service_times),
            f"VW predict alone: {_ms(predict_times)}",
            f"{ratio_service:.1f}× (p95)",
        ),
        (
            "GET next-best-offer",
            f"{count - 1} requests",
            _ms(http_times),
            f"GET /api/v1/me: {_ms(ref_times)}",
            f"{ratio_http:.1f}× (p95)",
        ),
    ]


def learning(decisions: int, shift: int) -> list[tuple[str, str, str, str, str]]:
    sim = Simulator(offers=OFFERS, seed=7)
    bandit = Bandit()
    rng = random.Random(1)

    def choose(profile: dict[str, Any], actions: list[dict[str, Any]]) -> tuple[int, float]:
        choice = bandit.choose(profile, actions, rng)
        return choice.index, choice.probability

    start = time.perf_counter()
    before = run(sim, choose, bandit.learn, decisions, window=1000)
    elapsed = time.perf_counter() - start
    last = before[-5:]
    closed = sum(w.policy - w.random for w in last) / sum(w.oracle - w.random for w in last)
    random_value = sum(w.random for w in last) / sum(w.n for w in last)
    oracle_value = sum(w.oracle for w in last) / sum(w.n for w in last)
    policy_value = sum(w.policy for w in last) / sum(w.n for w in last)
    sim.shift(1234)
    after = run(sim, choose, bandit.learn, shift, window=1000)
    recovered = next(((i + 1) * 1000 for i, w in enumerate(after) if w.gap_closed >= TARGET), None)
    closed_after = sum(w.policy - w.random for w in after[-3:]) / sum(
        w.oracle - w.random for w in after[-3:]
    )
    curve = " ".join(f"{w.gap_closed:.2f}" for w in after)
    return [
        (
            "bandit on simulator",
            f"{decisions} decisions, {OFFERS} offers",
            f"gap closed {closed:.0%} (acceptance {policy_value:.3f})",
            f"random {random_value:.3f}, oracle {oracle_value:.3f}",
            f"{decisions / elapsed:.0f} decisions/s",
        ),
        (
            "after preference shift",
            f"{shift} decisions",
            f"gap closed {closed_after:.0%} in the last 3,000; per 1,000: {curve}",
            f"target {TARGET:.0%}",
            f"reached after {recovered} decisions" if recovered else "not reached",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--shift", type=int, default=10_000)
    parser.add_argument("--latency", type=int, default=2000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        url = args.database_url or f"sqlite:///{data_dir}/nbo.sqlite3"
        _setup_django(url, data_dir)
        rows = latency(args.latency)
        rows += learning(args.decisions, args.shift)
    print("| workload | size | figure | reference | ratio |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
