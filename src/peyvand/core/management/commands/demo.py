from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from peyvand.access.defaults import PERSONAS, ensure_departments_and_roles, ensure_persona


class Command(BaseCommand):
    help = "Migrate, load the bilingual demo company (idempotent) and serve with a worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="load the demo data and exit")

    def handle(self, *args: Any, **opts: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        password = os.environ.get("PEYVAND_DEMO_PASSWORD") or secrets.token_urlsafe(12)
        with transaction.atomic():
            ensure_departments_and_roles()
            for username in PERSONAS:
                ensure_persona(username, password)
            from peyvand.core.demo import load_demo_company

            load_demo_company()
        self.stdout.write(self.style.SUCCESS("Demo company loaded."))
        if os.environ.get("PEYVAND_DEMO_PASSWORD"):
            self.stdout.write(
                f"Demo users: {', '.join(PERSONAS)} (password from PEYVAND_DEMO_PASSWORD)"
            )
        else:
            self.stdout.write(f"Demo users: {', '.join(PERSONAS)}  password: {password}")
            self.stdout.write(
                "(the password applies to users created by this run; set PEYVAND_DEMO_PASSWORD to choose it)"
            )
        if not opts["no_serve"]:
            from peyvand.core.management.commands.serve import serve

            serve(opts["host"], opts["port"], with_worker=True, stdout=self.stdout)
