from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve HTTP and WebSocket on one port (daphne)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="run the background worker inside this process",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        serve(opts["host"], opts["port"], with_worker=opts["with_worker"], stdout=self.stdout)


def serve(host: str, port: int, *, with_worker: bool, stdout: Any) -> None:
    from daphne.cli import CommandLineInterface

    if with_worker:
        from peyvand.core.worker import start_clock_thread, start_worker_thread

        start_worker_thread()
        start_clock_thread()
        stdout.write("background worker running in this process")
    stdout.write(f"Peyvand is listening on http://{host}:{port}/")
    CommandLineInterface().run(
        ["--bind", host, "--port", str(port), "--proxy-headers", "peyvand.config.asgi:application"]
    )
