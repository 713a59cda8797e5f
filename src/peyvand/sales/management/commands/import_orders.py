"""`peyvand manage import_orders FILE [--dry-run] [--user USERNAME]`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.sales.importer import import_orders_csv


class Command(BaseCommand):
    help = "Import orders from a CSV file (one row per order line)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="Validate, commit nothing.")
        parser.add_argument(
            "--user",
            help="Import as this user, within their visibility (default: a system import).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user named {options['user']!r}.")
        try:
            report = import_orders_csv(options["file"], actor=actor, dry_run=options["dry_run"])
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        for error in report.errors:
            column = f" [{error.column}]" if error.column else ""
            self.stderr.write(f"line {error.line}{column}: {error.reason}")
        verb = "would create" if report.dry_run else "created"
        self.stdout.write(
            f"{report.rows} rows read, {verb} {report.created} orders, "
            f"{report.skipped} already imported, {len(report.errors)} errors"
        )
        if report.errors:
            raise CommandError("some rows were not imported", returncode=1)
