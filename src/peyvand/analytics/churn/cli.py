"""`peyvand analytics churn`: placeholder until the churn model lands (issue 4)."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

HELP = "churn model (not built yet)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


def run(options: dict[str, Any]) -> dict[str, Any]:
    raise CommandError("peyvand analytics churn is not built yet")
