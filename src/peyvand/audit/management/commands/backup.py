"""`peyvand backup DEST`: a consistent backup of the database and uploaded files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.audit.backups import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Back up the database and uploaded files while Peyvand runs. DEST is a new "
        "directory, or a file name ending in .tar.gz for a single archive."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="where to write the backup")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = create_backup(options["dest"])
        except BackupError as exc:
            raise CommandError(f"backup failed: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {summary.path} ({summary.vendor}, {summary.files} files, "
                f"{summary.size / 1_000_000:.1f} MB)"
            )
        )
