from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _shared_data() -> Path | None:
    # ../shared/data relative to the project root; a git worktree sits deeper than the main
    # checkout, so the nearest ancestor holding shared/data is the one meant.
    for folder in PROJECT_ROOT.parents:
        candidate = folder / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture(scope="session")
def cdnow() -> Path:
    data = _shared_data()
    if data is None or not (data / "cdnow").is_dir():
        pytest.skip(f"reference data ../shared/data/cdnow not found above {PROJECT_ROOT}")
    return data / "cdnow"
