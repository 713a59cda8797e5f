from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.core.seed import SeedOptions, seed


def _count(value: str) -> int:
    number = int(value.replace("_", "").replace(",", ""))
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Generate realistic customers, contact points, tags, orders and interactions at "
        "scale (deterministic for a seed), loaded with COPY on PostgreSQL."
    )
    # The system checks import every URL, view and API schema: seconds of a run that
    # touches none of them (`peyvand manage check` runs them).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=_count, required=True)
        parser.add_argument("--orders", type=_count, default=0)
        parser.add_argument("--interactions", type=_count, default=0)
        parser.add_argument("--seed", type=int, default=1, help="same seed, same data")
        parser.add_argument(
            "--batch", type=_count, default=100_000, help="rows per COPY chunk / executemany"
        )
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="the three years of generated history end where this day begins (default: today)",
        )
        parser.add_argument("--actor", default="", help="username recorded in the change log")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["customers"] == 0 and (opts["orders"] or opts["interactions"]):
            raise CommandError("Orders and interactions need customers (--customers > 0).")
        if opts["batch"] == 0:
            raise CommandError("--batch must be positive.")
        actor = None
        if opts["actor"]:
            from peyvand.access.models import User

            actor = User.objects.filter(username=opts["actor"]).first()
            if actor is None:
                raise CommandError(f"No user named {opts['actor']!r}.")
        options = SeedOptions(
            customers=opts["customers"],
            orders=opts["orders"],
            interactions=opts["interactions"],
            seed=opts["seed"],
            batch=opts["batch"],
            until=opts["until"],
        )
        result = seed(options, actor=actor, progress=self.stderr.write)
        summary = ", ".join(f"{n:,} {name}" for name, n in result.counts.items())
        self.stdout.write(self.style.SUCCESS(f"Seeded {summary} in {result.seconds:.1f} s."))
