"""`peyvand restore SRC`: bring back exactly the database and files of a backup."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.audit.backups import BackupError, restore_backup
from peyvand.audit.services import verify_chain


class Command(BaseCommand):
    help = (
        "Replace the database and uploaded files with a backup made by `peyvand backup`. "
        "Every checksum is verified first; a damaged backup is refused and nothing changes. "
        "Stop the server and workers before restoring."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="backup directory or .tar.gz archive")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["interactive"]:
            answer = input(
                "This replaces the whole database and every uploaded file with the backup.\n"
                "Type 'yes' to continue: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        try:
            manifest = restore_backup(options["src"])
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the {manifest['vendor']} backup of {manifest['created_at']} "
                f"({len(manifest['files'])} files)"
            )
        )
        result = verify_chain()
        if not result.ok:
            raise CommandError(f"the restored audit chain does not verify: {result.problem}")
        self.stdout.write(f"Audit chain: OK, {result.checked} rows verified")
