"""Benchmark: the recommender's offline quality on MovieLens 100k and its cost.

    python bench/recommend.py [--seeds 3] [--cache DIR]

MovieLens 100k is fetched by ../shared/tools/fetch_movielens.py into the cache directory
(default ~/.cache/peyvand; never committed). Ratings >= 4 are purchases, split at random
80/20 per seed. Figures, each beside a reference measured in the same run on the same split:

- precision@10, MAP@10, nDCG@10 of the model `peyvand analytics recommend` chooses (by its
  own validation split of the training purchases); reference: implicit's BM25 item-kNN
  with the library's defaults (K=20, K1=1.2, B=0.75), the best off-the-shelf model;
- wall time of the whole choice (every candidate fitted and scored, the winner refit);
  reference: one fit of that default BM25.

Medians over the seeds. Prints the table rows: workload | size | figure | reference | ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SHARED = Path(os.environ.get("PEYVAND_SHARED_DIR", ROOT.parent / "shared"))

from peyvand.analytics.recommend import engine  # noqa: E402


def movielens(cache: Path) -> Path:
    inter = cache / "ml-100k" / "ml-100k.inter"
    if not inter.exists():
        subprocess.run(
            [sys.executable, str(SHARED / "tools" / "fetch_movielens.py"), str(cache)],
            check=True,
        )
    return inter


def split(inter: Path, seed: int, out: Path) -> tuple[Path, Path]:
    lines = inter.read_text().splitlines()
    header, rows = lines[0], [line.split("\t") for line in lines[1:]]
    kept = [row for row in rows if float(row[2]) >= 4]
    held = np.random.default_rng(seed).random(len(kept)) < 0.2
    paths = out / f"train-{seed}.tsv", out / f"test-{seed}.tsv"
    for path, wanted in zip(paths, (False, True), strict=True):
        chosen = [row for row, h in zip(kept, held, strict=True) if h == wanted]
        path.write_text(header + "\n" + "".join("\t".join(r) + "\n" for r in chosen))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "peyvand")
    args = parser.parse_args()
    inter = movielens(args.cache)
    figures: dict[str, list[float]] = {}
    chosen: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(42, 42 + args.seeds):
            train_path, test_path = split(inter, seed, Path(tmp))
            started = time.perf_counter()
            result = engine.evaluate_files(str(train_path), str(test_path))
            choose_s = time.perf_counter() - started
            chosen.append(result["model"])
            train = engine.read_interactions(str(train_path))
            test = engine.read_interactions(str(test_path))
            users = {u: i for i, u in enumerate(sorted(set(train.users) | set(test.users)))}
            items = {item: i for i, item in enumerate(train.items)}
            train_m, test_m = train.matrix(users, items), test.matrix(users, items)
            started = time.perf_counter()
            baseline = engine.fit(engine.LIBRARY_BM25, train_m)
            fit_s = time.perf_counter() - started
            reference = engine.metrics(baseline, train_m, test_m)
            for key in ("precision_at_10", "map_at_10", "ndcg_at_10"):
                figures.setdefault(key, []).append(result[key])
                figures.setdefault(f"ref_{key}", []).append(reference[key])
            figures.setdefault("choose_s", []).append(choose_s)
            figures.setdefault("fit_s", []).append(fit_s)
            print(
                f"seed {seed}: {result['model']} p@10={result['precision_at_10']:.4f} "
                f"(bm25 default {reference['precision_at_10']:.4f})",
                file=sys.stderr,
            )
    median = {k: statistics.median(v) for k, v in figures.items()}
    size = f"ML-100k ratings>=4, {args.seeds} splits"
    print("| workload | size | figure | reference | ratio |")
    print("|---|---|---|---|---|")
    for key, name in (
        ("precision_at_10", "precision@10"),
        ("map_at_10", "MAP@10"),
        ("ndcg_at_10", "nDCG@10"),
    ):
        ours, ref = median[key], median[f"ref_{key}"]
        print(
            f"| recommend {name} (chosen) | {size} | {ours:.4f} | {ref:.4f} (implicit BM25 "
            f"defaults) | {ours / ref:.2f} |"
        )
    print(
        f"| recommend choice wall time | {size} | {median['choose_s']:.1f} s | "
        f"{median['fit_s']:.2f} s (one BM25 fit) | {median['choose_s'] / median['fit_s']:.0f} |"
    )
    print(f"\nchosen per split: {', '.join(chosen)}")


if __name__ == "__main__":
    main()
