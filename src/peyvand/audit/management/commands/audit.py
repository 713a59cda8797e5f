"""`peyvand audit verify`: prove the change log was not edited or cut behind our back."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. `verify` walks the whole hash chain of the change log."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = sub.add_parser(
            "verify", help="recompute every link of the change-log chain; exit 1 on damage"
        )
        verify.add_argument(
            "--batch-size",
            type=int,
            default=5000,
            help="rows fetched per round trip while streaming (default 5000)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "verify":
            self._verify(options["batch_size"])

    def _verify(self, batch_size: int) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        result = verify_chain(batch_size=batch_size)
        if not result.ok:
            raise CommandError(
                f"FAILED: {result.problem} ({result.checked} rows before it verified)"
            )
        self.stdout.write(self.style.SUCCESS(f"OK: {result.checked} rows verified"))
