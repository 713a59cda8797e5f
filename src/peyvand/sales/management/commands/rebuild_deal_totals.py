"""`peyvand manage rebuild_deal_totals [--check]`: recompute the deal totals read model
from the deals (after a restore from outside the application, or to repair it), or with
`--check` only say whether the maintained totals equal a from-scratch computation."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.sales import deal_totals
from peyvand.sales.report_cache import invalidate


class Command(BaseCommand):
    help = "Recompute the deal totals behind the pipeline board and the sales dashboard."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing; fail when the totals differ from the deals.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            expected, stored = deal_totals.from_scratch(), deal_totals.maintained()
            wrong = sorted(
                {cell for cell in expected.keys() | stored.keys()
                 if expected.get(cell) != stored.get(cell)},
                key=repr,
            )  # fmt: skip
            for kind, dimensions in wrong[:20]:
                cell = (kind, dimensions)
                self.stderr.write(
                    f"{kind} {dict(dimensions)}: stored {stored.get(cell)}, "
                    f"from the deals {expected.get(cell)}"
                )
            if wrong:
                raise CommandError(f"{len(wrong)} deal total cells differ from the deals.")
            self.stdout.write(f"{len(expected)} deal total cells match the deals.")
            return
        written = deal_totals.rebuild()
        invalidate()
        self.stdout.write(f"{written} deal total cells rebuilt.")
