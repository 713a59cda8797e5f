"""Benchmark: outbound email throughput, two real `peyvand worker` processes to a local
SMTP sink, beside the sink's own ceiling measured in the same run.

    python -m bench.email_send [--messages 10000] [--workers 2] [--runs 3] [--port 2540]

(run as a module from the repository root: as a script, this file would hide the standard
library's `email` package from itself.)

PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432); the scratch database
BENCH_EMAIL_DB (default pv_emailout_bench) is dropped and recreated. Per run:

- N email messages are queued: one through `send_email` (identity, template rendering,
  Message-ID and Reply-To conventions, consent check, timeline line), the rest copies of it
  with their own Message-IDs written with bulk_create, and one `send_email_batch` task per
  worker enqueued on the database task backend (what the enqueue and sweep paths run);
- the workers start (`peyvand worker --no-clock`, DB task backend) and each claims due
  emails in batches (FOR UPDATE SKIP LOCKED), sends them over its PEYVAND_SMTP_CONNECTIONS
  connections with our split-DATA client, one message per connection at a time, and commits
  each such group as sent at its handover (before the final "." of each);
- the sink (aiosmtpd, a process of its own) counts messages and notes first/last arrival.

Figure: messages/s between the first and the last arrival (the steady rate; the workers'
start-up is reported separately as wall time from launch). Reference: the same number of
bare smtplib senders (one process each, one connection, `sendmail` of the same bytes) to
the same sink. Writes bench/results/email.md.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_EMAIL_DB", "pv_emailout_bench")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the sink ---------------------------------------------------------------------------


def sink(args: argparse.Namespace) -> None:
    """aiosmtpd in this process; writes {count, first, last} to --stats every 50 ms."""
    import asyncio  # noqa: F401  (aiosmtpd's loop)
    import threading

    from aiosmtpd.controller import Controller

    state = {"count": 0, "first": 0.0, "last": 0.0, "ids": 0}
    seen: set[bytes] = set()
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            now = time.time()
            content: bytes = envelope.original_content or envelope.content
            start = content.find(b"Message-ID: ")
            mid = content[start : content.find(b"\r\n", start)] if start >= 0 else b""
            with lock:
                state["count"] += 1
                state["first"] = state["first"] or now
                state["last"] = now
                seen.add(mid)
                state["ids"] = len(seen)
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=args.port)
    controller.start()
    stats = Path(args.stats)
    stop = False

    def finish(*_: Any) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, finish)
    while not stop:
        with lock:
            text = json.dumps(state)
        tmp = stats.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(stats)
        time.sleep(0.05)
    controller.stop()


def bare(args: argparse.Namespace) -> None:
    """The reference sender: one smtplib connection, sendmail of prepared bytes."""
    template = Path(args.template).read_bytes()
    conn = smtplib.SMTP("127.0.0.1", args.port)
    for n in range(args.messages):
        data = template.replace(b"@@ID@@", f"{args.offset + n:032x}".encode())
        conn.sendmail("support@shop.example", ["bulk@example.com"], data)
    conn.quit()


# --- the harness ------------------------------------------------------------------------


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def _setup(database_url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PEYVAND_DATA_DIR"] = data_dir
    os.environ["PEYVAND_TASK_BACKEND"] = "django_tasks_db.DatabaseBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.config.settings")
    os.environ.setdefault("PEYVAND_LOG_LEVEL", "ERROR")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _queue(n: int, workers: int) -> bytes:
    """N queued emails and one batch task per worker; returns the MIME bytes of one of them
    (with @@ID@@ for its Message-ID's local part) for the reference sender."""
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.channels.email.models import EmailTemplate, SendingIdentity
    from peyvand.channels.email.sending import build_email
    from peyvand.channels.email.services import send_email
    from peyvand.channels.inbox.models import Conversation, Message
    from peyvand.channels.models import Interaction
    from peyvand.channels.tasks import send_email_batch
    from peyvand.customers.models import ContactPoint, Customer

    DBTaskResult.objects.all().delete()
    Message.objects.all().delete()
    Conversation.objects.all().delete()
    Interaction.objects.all().delete()
    ensure_departments_and_roles()
    manager = ensure_persona("manager", "bench-password-not-for-use")
    identity, _ = SendingIdentity.objects.get_or_create(
        name="Support",
        defaults={
            "from_name_en": "Peyvand Support",
            "from_name_fa": "پشتیبانی پیوند",
            "address": "support@shop.example",
            "signature_fa": "تیم پشتیبانی پیوند",
        },
    )
    template, _ = EmailTemplate.objects.get_or_create(
        name="Notice",
        defaults={
            "subject_fa": "سفارش شما ارسال شد، {{ first_name | مشتری گرامی }}",
            "body_fa": "سلام {{ first_name | دوست عزیز }}،\n\nسفارش شما امروز ارسال شد.\n"
            "برای پیگیری به همین ایمیل پاسخ دهید.",
        },
    )
    customer = Customer.objects.filter(display_name="Bench customer").first()
    if customer is None:
        customer = Customer.objects.create(display_name="Bench customer", first_name="سارا")
        ContactPoint.objects.create(
            customer=customer, kind="email", value="bulk@example.com", normalized="bulk@example.com"
        )
    with transaction.atomic():
        # On the database task backend this also enqueues its deliver_message task.
        proto = send_email(customer, actor=manager, template=template, identity=identity)
    domain = proto.message_id.split("@", 1)[1]
    clones = []
    for k in range(1, n):
        clone = Message(
            conversation_id=proto.conversation_id,
            channel=proto.channel,
            direction=proto.direction,
            purpose=proto.purpose,
            author_id=proto.author_id,
            sender=proto.sender,
            recipient=proto.recipient,
            subject=proto.subject,
            body=proto.body,
            body_html=proto.body_html,
            message_id=f"{k:032x}@{domain}",
            status=proto.status,
            next_attempt_at=proto.next_attempt_at,
            meta=proto.meta,
        )
        clones.append(clone)
    Message.objects.bulk_create(clones, batch_size=2000)
    for _ in range(workers):
        send_email_batch.enqueue()
    raw = build_email(Message.objects.get(pk=proto.pk)).message().as_bytes(linesep="\r\n")
    local = proto.message_id.split("@", 1)[0].encode()
    return raw.replace(local, b"@@ID@@", 1)


class Sink:
    def __init__(self, port: int, work: Path) -> None:
        self.stats = work / "sink.json"
        self.stats.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.email_send",
                "sink",
                "--port",
                str(port),
                "--stats",
                str(self.stats),
            ],
            cwd=ROOT,
        )
        deadline = time.monotonic() + 60
        while not self.stats.exists():
            assert time.monotonic() < deadline, "the sink did not start"
            time.sleep(0.05)

    def read(self) -> dict[str, Any]:
        return dict(json.loads(self.stats.read_text()))

    def wait_for(self, n: int, timeout: float = 900) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (state := self.read())["count"] < n:
            assert time.monotonic() < deadline, f"only {state['count']} of {n} arrived"
            time.sleep(0.05)
        time.sleep(0.2)
        return self.read()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def run_workers(n: int, workers: int, port: int, database_url: str, work: Path) -> dict[str, Any]:
    sink_ = Sink(port, work)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PEYVAND_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "PEYVAND_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "PEYVAND_EMAIL_HOST": "127.0.0.1",
        "PEYVAND_EMAIL_PORT": str(port),
        "PYTHONPATH": str(ROOT / "src"),
    }
    started = time.time()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "peyvand.cli", "worker", "--no-clock"],
            env=env,
            stdout=(work / f"worker{i}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        for i in range(workers)
    ]
    try:
        state = sink_.wait_for(n)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        sink_.stop()
    from peyvand.channels.inbox.models import Message

    statuses = dict(collections.Counter(Message.objects.values_list("status", flat=True)))
    return {**state, "started": started, "statuses": statuses}


def run_bare(n: int, senders: int, port: int, template: bytes, work: Path) -> dict[str, Any]:
    sink_ = Sink(port, work)
    path = work / "template.eml"
    path.write_bytes(template)
    share = n // senders
    try:
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.email_send",
                    "bare",
                    "--port",
                    str(port),
                    "--messages",
                    str(share),
                    "--offset",
                    str(i * share),
                    "--template",
                    str(path),
                ],
                cwd=ROOT,
            )
            for i in range(senders)
        ]
        state = sink_.wait_for(share * senders)
        for proc in procs:
            proc.wait(timeout=60)
    finally:
        sink_.stop()
    return state


def rate(state: dict[str, Any]) -> float:
    return (state["count"] - 1) / max(state["last"] - state["first"], 1e-9)


def write_results(
    args: argparse.Namespace,
    ours: list[dict[str, Any]],
    refs: list[dict[str, Any]],
    loads: list[str],
) -> str:
    ours_rate = statistics.median(rate(s) for s in ours)
    ref_rate = statistics.median(rate(s) for s in refs)
    wall = statistics.median(s["last"] - s["started"] for s in ours)
    size = f"{args.messages:,} emails, {args.workers} workers (PostgreSQL)"
    rows = [
        "workload | size | figure | reference | ratio",
        f"email send, steady rate | {size} | {ours_rate:,.0f} msg/s | bare smtplib ×{args.workers} "
        f"{ref_rate:,.0f} msg/s | {ours_rate / ref_rate:.2f}×",
        f"email send, wall from worker launch | {size} | {args.messages / wall:,.0f} msg/s "
        f"({wall:.1f} s) | bare smtplib ×{args.workers} {ref_rate:,.0f} msg/s | "
        f"{args.messages / wall / ref_rate:.2f}×",
    ]
    text = "\n".join(rows)
    body = (
        "# Outbound email throughput\n\n"
        f"`python -m bench.email_send --messages {args.messages} --workers {args.workers} "
        f"--runs {len(ours)}`; medians of {len(ours)} runs, each run measuring ours and the "
        "reference back to back.\n\n"
        + text
        + "\n\nEvery run checked: each Message-ID arrived once and every message is `sent`.\n\n"
        "Machine load (uptime before each run):\n\n"
        + "\n".join(f"- {line}" for line in loads)
        + "\n\nPer run (msg/s, ours / reference): "
        + ", ".join(f"{rate(a):,.0f} / {rate(b):,.0f}" for a, b in zip(ours, refs, strict=True))
        + "\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "email.md").write_text(body)
    return text


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="verb")
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--stats", required=True)
    b = sub.add_parser("bare")
    b.add_argument("--port", type=int, required=True)
    b.add_argument("--messages", type=int, required=True)
    b.add_argument("--offset", type=int, default=0)
    b.add_argument("--template", required=True)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=2540)
    args = parser.parse_args()
    if args.verb == "sink":
        return sink(args)
    if args.verb == "bare":
        return bare(args)

    database_url = f"{PG}/{DB}"
    _admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{DB}"')
    work = Path(tempfile.mkdtemp(prefix="pv-email-bench-"))
    _setup(database_url, str(work))
    say(f"database {DB} migrated; {args.messages} messages, {args.workers} workers")
    ours: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    loads: list[str] = []
    for run in range(args.runs):
        template = _queue(args.messages, args.workers)
        loads.append(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        state = run_workers(args.messages, args.workers, args.port, database_url, work)
        assert state["ids"] == args.messages, f"{state['ids']} distinct Message-IDs arrived"
        assert state["statuses"] == {"sent": args.messages}, state["statuses"]
        ours.append(state)
        say(
            f"run {run + 1}: workers {rate(state):.0f}/s (first arrival "
            f"{state['first'] - state['started']:.1f} s after launch)"
        )
        ref = run_bare(args.messages, args.workers, args.port, template, work)
        refs.append(ref)
        say(f"run {run + 1}: bare smtplib {rate(ref):.0f}/s")
        # Written after every run, so a run cut short still leaves its figures.
        text = write_results(args, ours, refs, loads)
    print(text)
    _admin(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
