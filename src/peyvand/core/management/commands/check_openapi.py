from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

SCHEMA_PATH = Path(__file__).resolve().parents[3] / "config" / "openapi.json"


def current_schema() -> str:
    from peyvand.config.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1")
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Command(BaseCommand):
    help = "Fail when the committed OpenAPI schema differs from the API; --write updates it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        schema = current_schema()
        if opts["write"]:
            SCHEMA_PATH.write_text(schema, encoding="utf-8")
            self.stdout.write(f"wrote {SCHEMA_PATH}")
            return
        committed = SCHEMA_PATH.read_text(encoding="utf-8") if SCHEMA_PATH.exists() else ""
        if committed != schema:
            raise CommandError(
                f"{SCHEMA_PATH} is stale: run `peyvand manage check_openapi --write` and commit it"
            )
        self.stdout.write("OpenAPI schema is up to date")
