"""THE KILL TEST: a real `peyvand worker` process is SIGKILLed in the middle of sending
1,000 emails and started again; every Message-ID reaches the SMTP server exactly once and
every message ends `sent`.

The worker is a separate process, so it needs a database it can open: on PostgreSQL the
live test database; on SQLite (whose test database lives in memory) a file copy of it made
with VACUUM INTO after the messages are queued.
"""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from peyvand.channels.email.services import send_email
from peyvand.channels.inbox.choices import MessageStatus
from peyvand.channels.inbox.models import Message
from tests.channels.email.conftest import customer_with_email
from tests.channels.email.sink import SinkHandler, smtp_sink

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TOTAL = 1000
KILL_AFTER = 300


class SlowSink(SinkHandler):
    """Takes at most ~500 messages a second, so the kill lands mid-batch on any machine."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.002)
        return await super().handle_DATA(server, session, envelope)


def _database_url(tmp_path: Path) -> tuple[str, Path | None]:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        return f"postgres://{auth}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}", None
    path = tmp_path / "kill.sqlite3"
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(path)])
    return f"sqlite:///{path}", path


def _statuses(sqlite_path: Path | None) -> collections.Counter[str]:
    if sqlite_path is None:
        return collections.Counter(Message.objects.values_list("status", flat=True))
    with sqlite3.connect(sqlite_path, timeout=30) as db:
        return collections.Counter(s for (s,) in db.execute("SELECT status FROM comms_message"))


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "peyvand.cli", "worker"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_sigkill_mid_send_then_restart_delivers_every_message_exactly_once(
    identity: Any, manager: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    customer = customer_with_email("bulk@example.com", preferred_language="en")
    with transaction.atomic():
        queued = [
            send_email(
                customer, actor=manager, subject=f"Notice {n}", body="Hello", identity=identity
            )
            for n in range(TOTAL)
        ]
    expected = {m.message_id for m in queued}
    assert len(expected) == TOTAL
    url, sqlite_path = _database_url(tmp_path)
    log = tmp_path / "worker.log"

    with smtp_sink(SlowSink()) as (handler, port):
        _kill_and_restart(handler, port, url, sqlite_path, log)
    arrived = collections.Counter(handler.message_ids())
    duplicates = {mid: n for mid, n in arrived.items() if n > 1}
    assert not duplicates
    assert set(arrived) == expected
    assert sum(arrived.values()) == TOTAL
    assert _statuses(sqlite_path) == {MessageStatus.SENT: TOTAL}


def _kill_and_restart(
    handler: SinkHandler, port: int, url: str, sqlite_path: Path | None, log: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PEYVAND_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "PEYVAND_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "PEYVAND_EMAIL_HOST": "127.0.0.1",
        "PEYVAND_EMAIL_PORT": str(port),
        "PEYVAND_MESSAGE_LEASE_SECONDS": "5",
        "PEYVAND_LOG_LEVEL": "ERROR",
    }
    worker = _worker(env, log)
    try:
        deadline = time.monotonic() + 300
        while handler.count < KILL_AFTER:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"only {handler.count} arrived\n{log.read_text()}"
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        at_kill = handler.count
        assert KILL_AFTER <= at_kill < TOTAL, "the kill must land in the middle of sending"
        statuses = _statuses(sqlite_path)
        assert statuses[MessageStatus.SENT] < TOTAL

        worker = _worker(env, log)
        deadline = time.monotonic() + 300
        while _statuses(sqlite_path)[MessageStatus.SENT] < TOTAL:
            assert worker.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"{_statuses(sqlite_path)}\n{log.read_text()}"
            time.sleep(0.5)
        time.sleep(1)  # anything still in flight would arrive now
    finally:
        _stop(worker)
