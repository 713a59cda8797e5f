"""Backup and restore refusals that happen before any data is touched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peyvand.audit.backups import BackupError, read_verified_manifest


def _backup(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    manifest = {
        "format": 1,
        "version": "test",
        "vendor": "sqlite",
        "database": "database.sqlite3",
        "created_at": "2025-01-01T00:00:00+00:00",
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_a_sound_manifest_is_accepted(tmp_path) -> None:
    root = _backup(tmp_path, {"database.sqlite3": b"db", "media/a.txt": b"a"})
    assert read_verified_manifest(root)["vendor"] == "sqlite"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda root: (root / "media/a.txt").write_bytes(b"b"), "does not match its checksum"),
        (lambda root: (root / "media/a.txt").unlink(), "media/a.txt is missing"),
        (lambda root: (root / "media/extra.txt").write_bytes(b"x"), "not in the manifest"),
        (lambda root: (root / "manifest.json").write_text("{"), "manifest.json is damaged"),
        (lambda root: (root / "manifest.json").unlink(), "not a Peyvand backup"),
    ],
)
def test_damage_is_named(tmp_path, damage, message) -> None:
    root = _backup(tmp_path, {"database.sqlite3": b"db", "media/a.txt": b"a"})
    damage(root)
    with pytest.raises(BackupError, match=message):
        read_verified_manifest(root)


def test_paths_outside_the_backup_are_refused(tmp_path) -> None:
    (tmp_path / "outside.txt").write_bytes(b"secret")
    root = _backup(tmp_path / "backup", {"database.sqlite3": b"db"})
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"]["../outside.txt"] = hashlib.sha256(b"secret").hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(BackupError, match="missing"):
        read_verified_manifest(root)


def test_restore_of_nothing_is_refused(tmp_path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("restore", str(tmp_path / "nowhere"), "--noinput")


def test_restore_of_a_non_archive_is_refused(tmp_path) -> None:
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not gzip at all")
    with pytest.raises(CommandError, match="not a readable backup archive"):
        call_command("restore", str(junk), "--noinput")


def test_backup_never_overwrites(tmp_path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(occupied))
    assert (occupied / "keep.txt").read_text() == "mine"


def test_restore_asks_first(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", str(tmp_path))
