from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the background task worker (several may run at once on PostgreSQL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--queue", action="append", dest="queues", help="queue to serve (default: all)"
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument("--batch", action="store_true", help="exit once the queue is empty")
        parser.add_argument(
            "--no-clock", action="store_true", help="do not enqueue periodic jobs from this worker"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        argv = ["--queue-name", ",".join(opts["queues"] or ["*"]), "--interval", "0.5"]
        if opts["max_tasks"]:
            argv += ["--max-tasks", str(opts["max_tasks"])]
        if opts["batch"]:
            argv.append("--batch")
        elif not opts["no_clock"]:
            from peyvand.core.worker import start_clock_thread

            start_clock_thread()
        call_command("db_worker", *argv)
