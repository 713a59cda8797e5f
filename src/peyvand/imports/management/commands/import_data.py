"""`peyvand import customers|leads FILE`: a synchronous import with a progress bar on stderr."""

from __future__ import annotations

import json
import time
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db.models import Q

from peyvand.imports.choices import DuplicatePolicy, ImportKind, ImportStatus
from peyvand.imports.kinds import may_import
from peyvand.imports.models import ImportJob
from peyvand.imports.readers import ImportFileError
from peyvand.imports.services import import_file


def default_actor() -> Any:
    """The first superuser, else the first user with the manager role."""
    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    user = (
        users.filter(is_superuser=True).first()
        or users.filter(Q(roles__is_manager=True) | Q(username="manager")).first()
    )
    if user is None:
        raise CommandError("No superuser or manager exists; name a user with --as USERNAME.")
    return user


def actor_named(username: str | None) -> Any:
    if not username:
        return default_actor()
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist as exc:
        raise CommandError(f"No active user {username!r}.") from exc


class ProgressBar:
    """One line on stderr, redrawn per chunk: percent, rows and rows per second."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.started = time.perf_counter()

    def __call__(self, job: ImportJob) -> None:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        total = job.total_rows or 0
        width = 30
        filled = width * job.processed_rows // total if total else 0
        bar = "#" * min(filled, width) + "-" * (width - min(filled, width))
        self.stream.write(
            f"\r[{bar}] {job.percent:3d}% {job.processed_rows:,}/{total:,} rows "
            f"{job.processed_rows / elapsed:,.0f} rows/s",
            ending="",
        )
        self.stream.flush()


class Command(BaseCommand):
    help = "Import customers or leads from a CSV or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, save nothing."
        )
        parser.add_argument(
            "--mapping",
            help='JSON object of file header -> field, e.g. {"Mobile": "phone"}; '
            "default: guessed from the headers.",
        )
        parser.add_argument("--as", dest="username", help="Import as this user.")
        policy = parser.add_mutually_exclusive_group()
        policy.add_argument(
            "--update",
            dest="on_duplicate",
            action="store_const",
            const=DuplicatePolicy.UPDATE,
            help="Rows matching an existing customer update it (default; customers only).",
        )
        policy.add_argument(
            "--skip-existing",
            dest="on_duplicate",
            action="store_const",
            const=DuplicatePolicy.SKIP,
            help="Rows matching an existing customer are skipped (customers only).",
        )
        parser.set_defaults(on_duplicate=DuplicatePolicy.UPDATE)

    def handle(self, *args: Any, **options: Any) -> None:
        actor = actor_named(options["username"])
        kind = options["kind"]
        if not may_import(actor, kind):
            raise CommandError(f"{actor.get_username()} may not import {kind}.")
        mapping = None
        if options["mapping"]:
            try:
                mapping = json.loads(options["mapping"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--mapping is not valid JSON: {exc}") from exc
            if not isinstance(mapping, dict):
                raise CommandError("--mapping must be a JSON object of header -> field.")
        try:
            job = import_file(
                options["file"],
                actor=actor,
                mapping=mapping,
                dry_run=options["dry_run"],
                on_duplicate=options["on_duplicate"],
                progress=ProgressBar(self.stderr),
                kind=kind,
            )
        except (ImportFileError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write("")
        verb = "would create" if job.dry_run else "created"
        self.stdout.write(
            f"job {job.pk}: {job.get_status_display()}; {job.processed_rows} rows, "
            f"{verb} {job.created_rows}, updated {job.updated_rows}, "
            f"unchanged or skipped {job.skipped_rows}, errors {job.error_count}"
        )
        if job.status == ImportStatus.FAILED:
            raise CommandError(job.failure)
        if job.error_count:
            self.stdout.write(f"error report: {job.error_report.path}")
            raise CommandError(f"{job.error_count} errors; see the report.", returncode=1)
