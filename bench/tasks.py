"""The Django side of the benchmarks, run by `bench/run.py` as `python -m bench.tasks VERB`
in a process of its own, with DATABASE_URL pointing at the benchmark database.

Each verb prints one JSON document on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")


def _django() -> None:
    import django

    django.setup()


def setup(_args: argparse.Namespace) -> Any:
    """Departments, roles and the personas; the schema is migrated beforehand."""
    from peyvand.access.defaults import PERSONAS, ensure_departments_and_roles, ensure_persona

    ensure_departments_and_roles()
    for username in PERSONAS:
        ensure_persona(username, "bench-password-not-for-use")
    return {"personas": list(PERSONAS)}


def token(_args: argparse.Namespace) -> Any:
    from peyvand.access.models import ApiToken, User

    # Read-only, as an integration that shows customers would hold.
    _, raw = ApiToken.issue(
        User.objects.get(username="manager"), name="bench", scopes=["customers:read"]
    )
    return {"token": raw}


def counts(_args: argparse.Namespace) -> Any:
    from peyvand.channels.models import Interaction
    from peyvand.customers.models import Customer
    from peyvand.sales.models import Order

    return {
        "customers": Customer.objects.count(),
        "orders": Order.objects.count(),
        "interactions": Interaction.objects.count(),
    }


def sample(args: argparse.Namespace) -> Any:
    """Customer ids to request, and search queries of each kind taken from the data:
    name fragments (a quarter typed with Arabic letters), phones written three ways,
    and email addresses."""
    from django.db.models import Max, Min

    from peyvand.core.text import to_persian_digits
    from peyvand.customers.models import ContactPoint, Customer

    rng = random.Random(args.seed)
    bounds = Customer.objects.aggregate(lo=Min("pk"), hi=Max("pk"))
    ids = sorted(
        set(
            Customer.objects.filter(
                pk__in=[rng.randint(bounds["lo"], bounds["hi"]) for _ in range(args.ids * 2)]
            ).values_list("pk", flat=True)
        )
    )
    rng.shuffle(ids)

    def pick(qs: Any, n: int) -> list[Any]:
        lo, hi = bounds["lo"], bounds["hi"]
        found: list[Any] = []
        while len(found) < n:
            start = rng.randint(lo, hi)
            found += list(qs.filter(customer_id__gte=start)[: max(1, n // 10)])
        return found[:n]

    phones = pick(
        ContactPoint.objects.filter(kind="phone", normalized__startswith="+989").order_by(
            "customer_id"
        ),
        args.queries,
    )
    emails = pick(ContactPoint.objects.filter(kind="email").order_by("customer_id"), args.queries)
    people = list(
        Customer.objects.filter(
            kind="person", pk__in=[rng.randint(bounds["lo"], bounds["hi"]) for _ in range(4000)]
        ).values_list("first_name", "last_name")[: args.queries]
    )
    names = []
    for i, (first, last) in enumerate(people):
        fragment = f"{first} {last[:4]}" if i % 3 == 0 else last[: max(4, len(last) - 1)]
        if i % 4 == 0:
            fragment = fragment.replace("ی", "ي").replace("ک", "ك")
        names.append(fragment)
    phone_queries = []
    for i, point in enumerate(phones):
        national = "0" + point.normalized[3:]
        phone_queries.append(
            (
                point.normalized,
                national,
                to_persian_digits(national),
                national[:4] + " " + national[4:7] + " " + national[7:],
            )[i % 4]
        )
    return {
        "ids": ids[: args.ids],
        "queries": {
            "name": names,
            "phone": phone_queries,
            "email": [p.value for p in emails],
        },
    }


def search(args: argparse.Namespace) -> Any:
    """Seconds per query through `Customer.objects.search`, as the API asks it (ordered by
    name, first 20), and per primary-key lookup as the reference."""
    from peyvand.customers.models import Customer

    plan = json.loads(Path(args.plan).read_text())
    out: dict[str, list[float]] = {}
    for kind, queries in plan["queries"].items():
        for q in queries[:5]:  # warm the caches the same way for every kind
            list(Customer.objects.search(q).order_by("display_name", "pk")[:20])
        times = []
        for q in queries:
            t = time.perf_counter()
            list(Customer.objects.search(q).order_by("display_name", "pk")[:20])
            times.append(time.perf_counter() - t)
        out[kind] = times
    times = []
    for pk in plan["ids"][: len(plan["queries"]["name"]) * 3]:
        t = time.perf_counter()
        Customer.objects.filter(pk=pk).first()
        times.append(time.perf_counter() - t)
    out["pk"] = times
    return {"seconds": out, "median_pk": statistics.median(times)}


def dump(args: argparse.Namespace) -> Any:
    """The COPY files a seed run with these options sends, for the raw COPY reference."""
    import datetime as dt

    from peyvand.core.seed import SeedOptions, dump_copy_files

    options = SeedOptions(
        customers=args.customers,
        orders=args.orders,
        interactions=args.interactions,
        seed=args.seed,
        until=dt.date.fromisoformat(args.until),
    )
    files = dump_copy_files(options, args.directory)
    return {table: {"columns": cols, "path": path} for table, (cols, path) in files.items()}


VERBS = {
    "setup": setup,
    "token": token,
    "counts": counts,
    "sample": sample,
    "search": search,
    "dump": dump,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("verb", choices=sorted(VERBS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ids", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--plan", default="")
    parser.add_argument("--customers", type=int, default=0)
    parser.add_argument("--orders", type=int, default=0)
    parser.add_argument("--interactions", type=int, default=0)
    parser.add_argument("--until", default="2026-01-01")
    parser.add_argument("--directory", default="")
    args = parser.parse_args()
    _django()
    json.dump(VERBS[args.verb](args), sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
