"""Backup and restore round trips, run the way an operator runs them: the `peyvand`
command in subprocesses against a real file-based SQLite database and a scratch
PostgreSQL database."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

# Runs inside `peyvand manage shell`: prints everything a restore must bring back.
STATE = r"""
import hashlib, json
from pathlib import Path
from django.conf import settings
from peyvand.audit.models import ChainHead, ChangeLog
from peyvand.channels.models import InteractionAttachment
from peyvand.customers.models import ContactPoint, Customer
media = Path(settings.MEDIA_ROOT)
print(json.dumps({
    "customers": [
        [c.pk, c.display_name, c.notes, str(c.deleted_at)]
        for c in Customer.objects.order_by("pk")
    ],
    "contact_points": list(ContactPoint.objects.order_by("pk").values_list("pk", "value")),
    "attachments": list(InteractionAttachment.objects.order_by("pk").values_list("pk", "file")),
    "log": list(ChangeLog.objects.order_by("seq").values_list("seq", "hash")),
    "head": list(ChainHead.objects.values_list("seq", "hash")),
    "files": {
        p.relative_to(media).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(media.rglob("*")) if p.is_file()
    } if media.exists() else {},
}, sort_keys=True))
"""

SETUP = r"""
from django.core.files.base import ContentFile
from peyvand.audit.services import record
from peyvand.channels.models import Interaction, InteractionAttachment
from peyvand.customers.models import ContactPoint, Customer
for name in ["Ali Rezaei", "مریم کریمی", "Acme <Ltd>"]:
    c = Customer(display_name=name)
    with record(c, actor=None):
        c.save()
    p = ContactPoint(customer=c, kind="email", value=f"{c.pk}@example.com")
    with record(p, actor=None):
        p.save()
i = Interaction.objects.create(customer=c, channel="email", direction="inbound", subject="Scan")
InteractionAttachment.objects.create(
    interaction=i, file=ContentFile(bytes(range(256)) * 40, name="scan.bin"),
    filename="scan.bin", content_type="application/octet-stream", size=10240,
)
"""

MUTATE = r"""
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from peyvand.audit.recycle import soft_delete
from peyvand.audit.services import record
from peyvand.channels.models import InteractionAttachment
from peyvand.customers.models import Customer
first, second, third = Customer.objects.order_by("pk")[:3]
with record(first, actor=None):
    first.display_name = "Renamed"
    first.save()
soft_delete(second, actor=None)
third.contact_points.all().delete()
attachment = InteractionAttachment.objects.get()
default_storage.delete(attachment.file.name)
attachment.delete()
default_storage.save("stray/new.txt", ContentFile(b"added after the backup"))
Customer.objects.create(display_name="Added after the backup")
"""


class Peyvand:
    """Runs `peyvand ...` against one database and data directory."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "PEYVAND_DATA_DIR": str(data_dir),
            "PEYVAND_SECRET_KEY": "backup-test-" + uuid.uuid4().hex,
        }
        self.env.pop("PEYVAND_TESTING", None)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "peyvand.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"peyvand {' '.join(args)} failed:\n{result.stderr}")
        return result

    def shell(self, *codes: str) -> list[dict[str, Any]]:
        """Run code in one `peyvand manage shell`; each STATE in it prints one state."""
        out = self.run("manage", "shell", "--no-imports", "-c", "\n".join(codes)).stdout
        return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _admin_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return urlunsplit(urlsplit(url)._replace(path="/postgres"))
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file; each test starts from a copy (migrating is slow)."""
    root = tmp_path_factory.mktemp("sqlite-template")
    db = root / "template.sqlite3"
    Peyvand(f"sqlite:///{db}", root / "data").run("migrate", "-v", "0")
    return db


@pytest.fixture(scope="module")
def postgres_template(tmp_path_factory) -> Iterator[str]:
    """A migrated scratch database that each test clones with CREATE DATABASE ... TEMPLATE."""
    admin = _admin_url()
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server for the backup round trip: {exc}")
    name = f"pv_audit_backup_tpl_{uuid.uuid4().hex[:10]}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        try:
            root = tmp_path_factory.mktemp("pg-template")
            Peyvand(_with_db(admin, name), root / "data").run("migrate", "-v", "0")
            yield name
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _sqlite_site(template: Path, tmp_path: Path) -> Iterator[tuple[Peyvand, Callable[[str], None]]]:
    db = tmp_path / "peyvand.sqlite3"
    with sqlite3.connect(template) as src, sqlite3.connect(db) as dst:
        src.backup(dst)

    def sql(statement: str) -> None:
        with sqlite3.connect(db) as conn:
            conn.execute(statement)

    yield Peyvand(f"sqlite:///{db}", tmp_path / "data"), sql


def _postgres_site(
    template: str, tmp_path: Path
) -> Iterator[tuple[Peyvand, Callable[[str], None]]]:
    admin = _admin_url()
    name = f"pv_audit_backup_{uuid.uuid4().hex[:10]}"
    url = _with_db(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        try:

            def sql(statement: str) -> None:
                with psycopg.connect(url, autocommit=True) as db:
                    db.execute(statement)  # type: ignore[arg-type]

            yield Peyvand(url, tmp_path / "data"), sql
        finally:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request, tmp_path) -> Iterator[tuple[Peyvand, Callable[[str], None]]]:
    if request.param == "sqlite":
        yield from _sqlite_site(request.getfixturevalue("sqlite_template"), tmp_path)
    else:
        yield from _postgres_site(request.getfixturevalue("postgres_template"), tmp_path)


def test_round_trip_brings_back_exactly_what_was_there(site, tmp_path) -> None:
    peyvand, sql = site
    [original] = peyvand.shell(SETUP, STATE)
    assert len(original["customers"]) == 3 and len(original["files"]) == 1
    # Both shapes of backup: a directory and a single archive.
    folder, archive = tmp_path / "backup", tmp_path / "backup.tar.gz"
    assert "Backup written" in peyvand.run("backup", str(folder)).stdout
    peyvand.run("backup", str(archive))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["vendor"] in {"sqlite", "postgresql"} and manifest["created_at"]
    assert manifest["database"] in manifest["files"]
    assert any(name.startswith("media/attachments/") for name in manifest["files"])

    [changed] = peyvand.shell(MUTATE, STATE)
    assert changed["customers"] != original["customers"] and changed["files"] != original["files"]
    restored = peyvand.run("restore", str(folder), "--noinput")
    assert "Audit chain: OK" in restored.stdout
    [after_folder, changed_again] = peyvand.shell(STATE, MUTATE, STATE)
    assert after_folder == original and changed_again != original
    peyvand.run("restore", str(archive), "--noinput")

    [after_archive] = peyvand.shell(STATE)
    assert after_archive == original
    verified = peyvand.run("audit", "verify")
    assert verified.stdout.strip() == f"OK: {len(original['log'])} rows verified"
    # The same command, run as an operator would, fails loudly on a doctored log.
    sql("UPDATE audit_changelog SET actor_name = 'intruder' WHERE seq = 2")
    tampered = peyvand.run("audit", "verify", check=False)
    assert tampered.returncode == 1
    assert "row #2 was altered" in tampered.stderr


def test_a_damaged_backup_is_refused_and_nothing_changes(site, tmp_path) -> None:
    peyvand, _sql = site
    peyvand.shell(SETUP)
    folder = tmp_path / "backup"
    peyvand.run("backup", str(folder))
    [media_file] = [p for p in (folder / "media").rglob("*") if p.is_file()]
    data = bytearray(media_file.read_bytes())
    data[100] ^= 0xFF
    media_file.write_bytes(bytes(data))
    [changed] = peyvand.shell(MUTATE, STATE)

    refused = peyvand.run("restore", str(folder), "--noinput", check=False)

    assert refused.returncode == 1
    assert "restore refused: the backup is corrupted" in refused.stderr
    assert "does not match its checksum" in refused.stderr
    assert peyvand.shell(STATE) == [changed]
