"""`peyvand analytics recommend --train FILE --test FILE`: choose a recommender on the
training purchases (customer id, item id[, timestamp]) and score it on the test ones."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandError

from peyvand.analytics.recommend import engine

HELP = "choose a recommender on one purchase file, report precision/MAP/nDCG@10 on another"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--train", required=True, help="customer id, item id[, timestamp]")
    parser.add_argument("--test", required=True, help="same layout as --train")
    parser.add_argument("--seed", type=int, default=0, help="validation split and ALS seed")


def run(options: dict[str, Any]) -> dict[str, Any]:
    try:
        return engine.evaluate_files(options["train"], options["test"], seed=options["seed"])
    except (OSError, ValueError) as exc:
        raise CommandError(str(exc)) from exc
