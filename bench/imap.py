"""Benchmark: importing a 10,000-message IMAP mailbox through the product's sync.

    python bench/imap.py [--messages 10000] [--rounds 3]
                         [--database-url postgres://postgres@127.0.0.1:5432/pv_emailin_bench]

Starts Debian's dovecot (apt-get install dovecot-imapd) from a scratch configuration on
127.0.0.1 (a port in 10170-10199), fills one account's INBOX with generated mail written
as maildir files (Persian and English subjects, text, HTML, some PDF attachments, 1,000
senders of whom half are customers), then measures, in the same run:

- figure: `sync_mailbox` on an empty mailbox state: IMAP fetch in batches, parse, nh3,
  thread lookup, customer match, conversation + message + timeline interaction (+ the
  attachments' files) per message, the UID record, the counters;
- reference: a bare imapclient session fetching the same messages the same way (SELECT,
  UID SEARCH, RFC822.SIZE, BODY.PEEK[] in the same batches), bytes discarded.

The reference runs `--rounds` times around the import (median); the import runs once (it
needs an empty database). Without --database-url it uses a SQLite file in a scratch
directory. The PostgreSQL database is dropped and recreated. Writes bench/results/imap.md.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.channels.email.inbound.dovecot import (  # noqa: E402
    _mail_ids,
    cleanup,
    scratch_dir,
    start_dovecot,
)

SUBJECTS_FA = ["پیگیری سفارش", "درخواست پیش‌فاکتور", "مشکل در پرداخت", "سؤال دربارهٔ گارانتی"]
SUBJECTS_EN = ["Order follow-up", "Quote request", "Payment problem", "Warranty question"]
PDF = b"%PDF-1.4\n" + os.urandom(30_000)


def _encoded(subject: str) -> str:
    if subject.isascii():
        return subject
    return "=?utf-8?b?" + base64.b64encode(subject.encode()).decode() + "?="


def generate(count: int, seed: int = 5) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        sender = f"person{rng.randrange(1000)}@customers.example"
        persian = rng.random() < 0.5
        subject = rng.choice(SUBJECTS_FA if persian else SUBJECTS_EN) + f" #{i}"
        text = (
            "سلام، لطفاً پیگیری کنید. " if persian else "Hello, please follow up. "
        ) * rng.randint(5, 60)
        boundary = uuid.uuid4().hex
        headers = (
            f"From: Person <{sender}>\r\nTo: support@example.com\r\n"
            f"Subject: {_encoded(subject)}\r\nMessage-ID: <bench-{i}-{seed}@customers.example>\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0330\r\nMIME-Version: 1.0\r\n"
        )
        text_part = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(text.encode()).decode().replace("\n", "\r\n")
        )
        html = f"<html><body><p>{text}</p><script>x()</script><img src=x onerror=y()></body></html>"
        html_part = (
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(html.encode()).decode().replace("\n", "\r\n")
        )
        parts = [text_part]
        if rng.random() < 0.3:
            parts.append(html_part)
        if rng.random() < 0.05:
            parts.append(
                f"--{boundary}\r\nContent-Type: application/pdf\r\n"
                f'Content-Disposition: attachment; filename="doc{i}.pdf"\r\n'
                f"Content-Transfer-Encoding: base64\r\n\r\n"
                + base64.encodebytes(PDF).decode().replace("\n", "\r\n")
            )
        body = "".join(parts) + f"--{boundary}--\r\n"
        message = headers + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n' + body
        out.append(message.encode())
    return out


def fill_maildir(maildir: Path, messages: list[bytes]) -> None:
    uid, gid = _mail_ids()
    for sub in ("new", "cur", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
        os.chown(maildir / sub, uid, gid)
    os.chown(maildir, uid, gid)
    start = int(time.time())
    for i, raw in enumerate(messages):
        path = maildir / "cur" / f"{start}.M{i}P1.bench:2,"
        path.write_bytes(raw)
        os.chown(path, uid, gid)


def bare_fetch(host: str, port: int, username: str, password: str) -> tuple[float, int]:
    """The same IMAP conversation as the sync, bytes thrown away: (seconds, bytes)."""
    from imapclient import IMAPClient

    from peyvand.channels.email.inbound.imap import BATCH_MESSAGES

    limit = 32 * 1024 * 1024
    started = time.perf_counter()
    total = 0
    with IMAPClient(host, port=port, ssl=False, timeout=120) as client:
        client.login(username, password)
        client.select_folder("INBOX", readonly=True)
        uids = sorted(client.search(["UID", "1:*"]))
        sizes = {u: int(d[b"RFC822.SIZE"]) for u, d in client.fetch(uids, ["RFC822.SIZE"]).items()}
        batch: list[int] = []
        used = 0
        for uid in [*uids, None]:
            if batch and (uid is None or len(batch) >= BATCH_MESSAGES or used + sizes[uid] > limit):
                for data in client.fetch(batch, ["BODY.PEEK[]"]).values():
                    total += len(data[b"BODY[]"])
                batch, used = [], 0
            if uid is not None:
                batch.append(uid)
                used += sizes[uid]
    return time.perf_counter() - started, total


def _recreate(database_url: str) -> None:
    import psycopg

    base, _sep, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="pv_emailin_bench_")
    database_url = args.database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    if database_url.startswith("postgres"):
        _recreate(database_url)
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from peyvand.channels.email.inbound.imap import sync_mailbox
    from peyvand.channels.email.inbound.models import Mailbox
    from peyvand.channels.email.inbound.secrets import encrypt_password
    from peyvand.channels.inbox.models import Message
    from peyvand.customers.models import ContactPoint, Customer

    root = scratch_dir("pv_emailin_bench_dovecot_")
    server = start_dovecot(root, first_port=10170, last_port=10199)
    try:
        server.add_user("bench", "bench-pw")
        print(f"generating {args.messages} messages…", file=sys.stderr)
        messages = generate(args.messages)
        fill_maildir(root / "mail" / "bench", messages)
        customers = Customer.objects.bulk_create(
            Customer(display_name=f"Person {i}") for i in range(500)
        )
        ContactPoint.objects.bulk_create(
            ContactPoint(
                customer=c,
                kind="email",
                value=f"person{i}@customers.example",
                normalized=f"person{i}@customers.example",
            )
            for i, c in enumerate(customers)
        )
        mailbox = Mailbox.objects.create(
            name="Bench",
            address="support@example.com",
            host=server.host,
            port=server.port,
            security="none",
            username="bench",
            password_encrypted=encrypt_password("bench-pw"),
        )
        # Warm-up: dovecot indexes the maildir on the first SELECT.
        bare_fetch(server.host, server.port, "bench", "bench-pw")
        references: list[float] = []
        size = 0
        for _ in range(max(1, args.rounds // 2)):
            seconds, size = bare_fetch(server.host, server.port, "bench", "bench-pw")
            references.append(seconds)
        print("importing…", file=sys.stderr)
        started = time.perf_counter()
        result = sync_mailbox(mailbox.pk)
        imported_in = time.perf_counter() - started
        for _ in range(max(1, args.rounds - len(references))):
            seconds, size = bare_fetch(server.host, server.port, "bench", "bench-pw")
            references.append(seconds)
        assert result.error == "", result.error
        assert result.imported == args.messages, result
        assert Message.objects.count() == args.messages
        reference = statistics.median(references)
        figure = args.messages / imported_in
        ref_rate = args.messages / reference
        load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
        rows = [
            "| workload | size | figure | reference | ratio |",
            "|---|---|---|---|---|",
            f"| IMAP import ({engine}) | {args.messages:,} messages, {size / 1e6:.0f} MB "
            f"| {figure:,.0f} msg/s ({imported_in:.1f} s) "
            f"| bare imapclient fetch {ref_rate:,.0f} msg/s (median {reference:.1f} s of "
            f"{len(references)}) | {figure / ref_rate:.3f} |",
        ]
        table = "\n".join(rows)
        print(table)
        out = ROOT / "bench" / "results" / "imap.md"
        previous = out.read_text() if out.exists() else ""
        header = "# IMAP import\n\n`python bench/imap.py` — see the module docstring.\n\n"
        body = previous.removeprefix(header) if previous.startswith(header) else ""
        out.write_text(header + f"{table}\n\nMachine load during the run: `{load}`\n\n" + body)
    finally:
        server.stop()
        cleanup(root)
        from django.db import connections

        connections.close_all()
        shutil.rmtree(data_dir, ignore_errors=True)
        if database_url.startswith("postgres"):
            base, _sep, name = database_url.rpartition("/")
            import psycopg

            with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
