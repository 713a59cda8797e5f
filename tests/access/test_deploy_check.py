"""`manage.py check --deploy` is clean under production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path


def test_check_deploy_is_clean_under_production_settings(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PEYVAND_", "PYTEST", "DJANGO"))
    }
    env.update(
        {
            "PEYVAND_SECRET_KEY": secrets.token_urlsafe(64),
            "PEYVAND_DEBUG": "false",
            "PEYVAND_ALLOWED_HOSTS": "crm.example.com",
            "PEYVAND_SECURE": "true",
            "PEYVAND_DATA_DIR": str(tmp_path),
            "DJANGO_SETTINGS_MODULE": "peyvand.config.settings",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
