"""Consistent backups of a running Peyvand (database + uploaded files) and exact restores.

A backup is a directory (or the same directory as a .tar.gz):

    manifest.json     format, Peyvand version, database vendor, time, sha256 of every file
    database.sqlite3  SQLite: a snapshot taken with SQLite's online backup API
    database.dump     PostgreSQL: `pg_dump -Fc`, one consistent snapshot
    media/...         a copy of MEDIA_ROOT

The database is copied first and the files after it, so every file a snapshotted row
refers to is already on disk when the copy of the files starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections

FORMAT = 1
MANIFEST = "manifest.json"
MEDIA_DIR = "media"
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.dump"}
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be written, or a backup cannot be trusted or restored."""


@dataclass
class BackupSummary:
    path: Path
    vendor: str
    files: int
    size: int


def _peyvand_version() -> str:
    try:
        return version("peyvand")
    except PackageNotFoundError:
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_tarball(path: Path) -> bool:
    return path.name.endswith((".tar.gz", ".tgz"))


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _vendor() -> str:
    vendor = connections["default"].vendor
    if vendor not in DB_FILES:
        raise BackupError(f"backups of {vendor} databases are not supported")
    return vendor


def _pg_env() -> dict[str, str]:
    """libpq settings for pg_dump/pg_restore; the password goes in the environment, never
    on the command line where `ps` would show it."""
    db = _db()
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{args[0]} is not installed (it comes with postgresql-client)") from exc
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip() or result.returncode}")


def _sqlite_copy(source: str | Path, target: str | Path) -> None:
    """Page-by-page copy under SQLite's online backup API: consistent while others write."""
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _dump_database(vendor: str, target: Path) -> None:
    if vendor == "sqlite":
        _sqlite_copy(_db()["NAME"], target)
        # A single self-contained file: the snapshot must not need a -wal beside it.
        conn = sqlite3.connect(str(target))
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        finally:
            conn.close()
    else:
        _run(
            ["pg_dump", "--format=custom", f"--file={target}", _db()["NAME"]],
            _pg_env(),
        )


def _copy_media(target: Path) -> None:
    media = Path(settings.MEDIA_ROOT)
    target.mkdir()
    if media.is_dir():
        shutil.copytree(media, target, dirs_exist_ok=True, symlinks=False)


def _write_manifest(root: Path, vendor: str) -> dict[str, Any]:
    files = {
        path.relative_to(root).as_posix(): _sha256(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }
    manifest = {
        "format": FORMAT,
        "version": _peyvand_version(),
        "vendor": vendor,
        "database": DB_FILES[vendor],
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "files": files,
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    return manifest


def create_backup(dest: Path) -> BackupSummary:
    """Write a backup of the database and MEDIA_ROOT to `dest` (a new directory, or a
    .tar.gz file)."""
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} already exists; choose a new place for the backup")
    vendor = _vendor()
    tarball = _is_tarball(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        root = Path(tmp) / "backup" if tarball else dest
        root.mkdir(parents=True, exist_ok=True)
        try:
            _dump_database(vendor, root / DB_FILES[vendor])
            _copy_media(root / MEDIA_DIR)
            manifest = _write_manifest(root, vendor)
            if tarball:
                with tarfile.open(dest, "w:gz") as tar:
                    for child in sorted(root.iterdir()):
                        tar.add(child, arcname=child.name)
        except BaseException:
            # No half-written backup that a later restore could mistake for a whole one.
            if tarball:
                dest.unlink(missing_ok=True)
            else:
                shutil.rmtree(dest, ignore_errors=True)
            raise
    size = dest.stat().st_size if tarball else sum(p.stat().st_size for p in dest.rglob("*"))
    return BackupSummary(dest, vendor, len(manifest["files"]), size)


@contextmanager
def _opened(src: Path) -> Iterator[Path]:
    """The backup as a directory, unpacking a .tar.gz into a temporary one."""
    if not src.exists():
        raise BackupError(f"{src} does not exist")
    if src.is_dir():
        yield src
        return
    if not _is_tarball(src):
        raise BackupError(f"{src} is neither a backup directory nor a .tar.gz backup")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            with tarfile.open(src, "r:gz") as tar:
                # The "data" filter refuses absolute paths, "..", links out and devices.
                tar.extractall(tmp, filter="data")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise BackupError(f"{src} is not a readable backup archive: {exc}") from exc
        yield Path(tmp)


def read_verified_manifest(root: Path) -> dict[str, Any]:
    """The manifest, after proving every file it lists is there, unchanged, and alone."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except FileNotFoundError as exc:
        raise BackupError(f"{MANIFEST} is missing: this is not a Peyvand backup") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"{MANIFEST} is damaged: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"unsupported backup format {manifest.get('format')!r}")
    files = manifest.get("files")
    vendor = manifest.get("vendor")
    if not isinstance(files, dict) or vendor not in DB_FILES:
        raise BackupError(f"{MANIFEST} is damaged")
    if DB_FILES[vendor] not in files:
        raise BackupError("the backup holds no database")
    for name, expected in sorted(files.items()):
        path = root / name
        if ".." in Path(name).parts or not path.is_file():
            raise BackupError(f"the backup is corrupted: {name} is missing")
        if _sha256(path) != expected:
            raise BackupError(f"the backup is corrupted: {name} does not match its checksum")
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} - {MANIFEST}
    extra = sorted(present - set(files))
    if extra:
        raise BackupError(f"the backup is corrupted: {extra[0]} is not in the manifest")
    return manifest


def _restore_database(vendor: str, dump: Path) -> None:
    connections.close_all()
    if vendor == "sqlite":
        _sqlite_copy(dump, _db()["NAME"])
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_db()['NAME']}",
                str(dump),
            ],
            _pg_env(),
        )


def restore_backup(src: Path) -> dict[str, Any]:
    """Replace the database and MEDIA_ROOT with what the backup at `src` holds.

    Nothing is touched until every checksum matched; the new files are staged beside
    MEDIA_ROOT first, so a failing database restore leaves the old files in place.
    """
    vendor = _vendor()
    with _opened(src.resolve()) as root:
        manifest = read_verified_manifest(root)
        if manifest["vendor"] != vendor:
            raise BackupError(
                f"this backup is of a {manifest['vendor']} database; "
                f"the configured database is {vendor}"
            )
        media = Path(settings.MEDIA_ROOT)
        media.parent.mkdir(parents=True, exist_ok=True)
        staged = Path(tempfile.mkdtemp(prefix=".restore-", dir=media.parent))
        try:
            backup_media = root / MEDIA_DIR
            if backup_media.is_dir():
                shutil.copytree(backup_media, staged, dirs_exist_ok=True)
            _restore_database(vendor, root / DB_FILES[vendor])
            old = media.with_name(f".{media.name}-replaced")
            shutil.rmtree(old, ignore_errors=True)
            if media.exists():
                media.rename(old)
            staged.rename(media)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
    return manifest
