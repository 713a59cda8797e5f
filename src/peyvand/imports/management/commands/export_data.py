"""`peyvand export customers --format csv|xlsx [--output F]`: what the user may export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.access.scopes import can
from peyvand.imports.export import csv_chunks, write_xlsx
from peyvand.imports.management.commands.import_data import actor_named


class Command(BaseCommand):
    help = "Export the customers a user may see as CSV (UTF-8 with BOM) or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["customers"])
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="File to write; default: standard output.")
        parser.add_argument("--as", dest="username", help="Export as this user.")
        parser.add_argument("--q", default="", help="Only customers matching this search.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_named(options["username"])
        if not can(actor, "customer", "export"):
            raise CommandError(f"{actor.get_username()} may not export customers.")
        output = options["output"]
        if options["format"] == "xlsx" and not output and sys.stdout.isatty():
            raise CommandError("Give --output FILE for XLSX; it is binary.")
        target = Path(output).open("wb") if output else sys.stdout.buffer  # noqa: SIM115
        try:
            if options["format"] == "xlsx":
                write_xlsx(actor, target, options["q"])
            else:
                for chunk in csv_chunks(actor, options["q"]):
                    target.write(chunk)
        finally:
            if output:
                target.close()
            else:
                target.flush()
        if output:
            self.stderr.write(f"wrote {output}")
