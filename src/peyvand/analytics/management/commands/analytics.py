"""`peyvand analytics <model> ...`: the analytics models run on exported files, one JSON object out.

Each model package (`peyvand.analytics.<name>.cli`) declares its own arguments and returns a
JSON-serialisable dict, so analysts and the test suite check the very code the CRM runs.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

MODELS = ("clv", "churn", "recommend")


class Command(BaseCommand):
    help = "Fit and evaluate the analytics models on files; prints one JSON object."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="model", required=True)
        for name in MODELS:
            module = importlib.import_module(f"peyvand.analytics.{name}.cli")
            module.add_arguments(sub.add_parser(name, help=module.HELP))

    def handle(self, *args: Any, **options: Any) -> None:
        module = importlib.import_module(f"peyvand.analytics.{options['model']}.cli")
        self.stdout.write(json.dumps(module.run(options), ensure_ascii=False))
