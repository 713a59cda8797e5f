"""Where the project's reference data lives: ../shared next to the project root
(PEYVAND_SHARED_DIR overrides it, e.g. for a git worktree checked out elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("PEYVAND_SHARED_DIR", ROOT.parent / "shared"))
DATA = SHARED / "data"
TOOLS = SHARED / "tools"
