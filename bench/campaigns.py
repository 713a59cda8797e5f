"""Benchmark: a campaign to the seeded customers — personalisation and enqueueing of every
recipient, then delivery to a local SMTP sink by two real workers beside the sink's own
ceiling measured in the same run.

    python -m bench.campaigns [--customers 1000000] [--deliver 5000] [--port 2541]

(run as a module from the repository root, like bench.email_send, whose sink, workers and
bare smtplib reference this reuses.)

PostgreSQL at BENCH_PG (default postgres://postgres@127.0.0.1:5432); the scratch database
BENCH_CAMPAIGN_DB (default pv_camp_bench) is dropped and recreated, filled by `peyvand
seed`, and given in SQL what the seed does not write: an email marketing consent for every
customer with an email address, and a static segment holding every customer.

Figures, each beside a reference measured in the same run:
- personalisation + enqueue: `run_campaign()` (set-based recipient query, per-recipient
  language choice and token rendering, signed unsubscribe URL, bulk insert of the outbox
  Message and the CampaignMessage rows in chunks); reference: one `INSERT … SELECT` of the
  same customers' ids and a concatenated greeting into a scratch table (the database's
  floor for writing that many rows);
- delivery: the first `--deliver` of those messages sent by two `peyvand worker` processes
  (the rest held back), messages/s between first and last arrival; reference: two bare
  smtplib senders of the same bytes to the same sink.
Writes bench/results/campaigns.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.email_send import PG, RESULTS, _admin, _setup, rate, run_bare, run_workers, say

DB = os.environ.get("BENCH_CAMPAIGN_DB", "pv_camp_bench")


def _audience(customers: int) -> int:
    from django.core.management import call_command
    from django.db import connection

    call_command("seed", customers=customers, orders=0, interactions=0, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_consent (created_at, updated_at, customer_id, channel, purpose,"
            " status, source, recorded_at) SELECT now(), now(), c.id, 'email', 'marketing',"
            " 'granted', 'bench', now() FROM customers_customer c WHERE c.deleted_at IS NULL"
            " AND EXISTS (SELECT 1 FROM customers_contactpoint p WHERE p.customer_id = c.id"
            " AND p.kind = 'email') ON CONFLICT DO NOTHING"
        )
        cursor.execute(
            "INSERT INTO marketing_segment (created_at, updated_at, name, description, kind,"
            " rules, sources, member_count) VALUES (now(), now(), 'Bench: everyone', '',"
            " 'static', '{}', '[]', 0) RETURNING id"
        )
        segment_id = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO marketing_segmentmember (segment_id, customer_id, entered_at)"
            " SELECT %s, id, now() FROM customers_customer WHERE deleted_at IS NULL",
            [segment_id],
        )
        cursor.execute("ANALYZE")
    return int(segment_id)


def _campaign(segment_id: int) -> int:
    from peyvand.access.defaults import ensure_departments_and_roles, ensure_persona
    from peyvand.channels.email.models import SendingIdentity
    from peyvand.marketing.campaigns.services import save_campaign, save_variant
    from peyvand.marketing.models import Campaign, Segment

    ensure_departments_and_roles()
    actor = ensure_persona("manager", "bench-only-password")
    identity = SendingIdentity.objects.create(
        name="Bench",
        from_name_en="Peyvand Shop",
        from_name_fa="فروشگاه پیوند",
        address="news@shop.example",
        signature_en="The shop",
        signature_fa="فروشگاه",
    )
    campaign = save_campaign(
        None,
        actor=actor,
        name="Bench campaign",
        segment=Segment.objects.get(pk=segment_id),
        identity=identity,
    )
    for name in ("A", "B"):
        save_variant(
            campaign,
            None,
            actor=actor,
            name=name,
            subject_en=f"{{{{ first_name | Friend }}}}, our spring sale ({name})",
            body_en="Dear {{ first_name | friend }},\n\nEverything is 20% off this week.",
            subject_fa=f"{{{{ first_name | دوست }}}}، حراج بهاره ({name})",
            body_fa="{{ first_name | دوست }} عزیز،\n\nاین هفته همه چیز ۲۰٪ تخفیف دارد.",
        )
    Campaign.objects.filter(pk=campaign.pk).update(status="scheduled")
    return campaign.pk


def _reference_insert() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_outbox")
        cursor.execute("CREATE TABLE bench_outbox (id bigint, body text)")
        start = time.perf_counter()
        cursor.execute(
            "INSERT INTO bench_outbox SELECT m.customer_id, 'Dear ' || c.first_name"
            " FROM marketing_segmentmember m JOIN customers_customer c ON c.id = m.customer_id"
        )
        return time.perf_counter() - start


def _hold_back(deliver: int) -> bytes:
    """Leave only the first `deliver` campaign emails due; the MIME bytes of one of them
    (with @@ID@@ for its Message-ID's local part) for the reference senders."""
    from django.db import connection

    from peyvand.channels.email.sending import _wire_bytes
    from peyvand.channels.inbox.models import Message

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE comms_message SET next_attempt_at = NULL WHERE id > "
            "(SELECT id FROM comms_message ORDER BY id OFFSET %s LIMIT 1)",
            [deliver - 1],
        )
    proto = Message.objects.order_by("pk").first()
    assert proto is not None
    raw = _wire_bytes(proto)[2]
    return raw.replace(proto.message_id.split("@", 1)[0].encode(), b"@@ID@@", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--deliver", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=2541)
    args = parser.parse_args()
    _admin(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    _admin(f"CREATE DATABASE {DB}")
    database_url = f"{PG}/{DB}"
    work = Path(tempfile.mkdtemp(prefix="pv-campaign-bench-"))
    _setup(database_url, str(work))
    say(f"seeding {args.customers:,} customers")
    segment_id = _audience(args.customers)
    campaign_id = _campaign(segment_id)
    loads = [subprocess.check_output(["uptime"], text=True).strip()]

    from peyvand.marketing.campaigns.services import run_campaign
    from peyvand.marketing.models import Campaign

    say("personalising and enqueueing")
    start = time.perf_counter()
    result = run_campaign(campaign_id)
    enqueue_s = time.perf_counter() - start
    campaign = Campaign.objects.get(pk=campaign_id)
    assert campaign.status == "done" and result.queued == campaign.recipient_count, result
    reference_s = _reference_insert()
    loads.append(subprocess.check_output(["uptime"], text=True).strip())

    deliver = min(args.deliver, result.queued)
    template = _hold_back(deliver)
    say(f"delivering {deliver:,} with {args.workers} workers")
    ours = run_workers(deliver, args.workers, args.port, database_url, work)
    loads.append(subprocess.check_output(["uptime"], text=True).strip())
    bare = run_bare(deliver, args.workers, args.port, template, work)
    loads.append(subprocess.check_output(["uptime"], text=True).strip())
    ours_rate, bare_rate = rate(ours), rate(bare)
    size = f"{result.queued:,} recipients (PostgreSQL)"
    rows = [
        (
            "campaign personalisation + enqueue",
            size,
            f"{enqueue_s:.1f} s ({result.queued / enqueue_s:,.0f} recipients/s)",
            f"INSERT…SELECT of the same rows: {reference_s:.1f} s",
            f"{enqueue_s / reference_s:.1f}× slower",
        ),
        (
            "campaign delivery, steady rate",
            f"{deliver:,} emails, {args.workers} workers",
            f"{ours_rate:,.0f} msg/s",
            f"bare smtplib ×{args.workers}: {bare_rate:,.0f} msg/s",
            f"{ours_rate / bare_rate:.2f}×",
        ),
    ]
    lines = [
        "# Campaign send",
        "",
        f"`python -m bench.campaigns --customers {args.customers} --deliver {args.deliver}"
        f" --workers {args.workers}`; one run.",
        "",
        "workload | size | figure | reference | ratio",
        "---|---|---|---|---",
        *(" | ".join(row) for row in rows),
        "",
        f"Delivery outbox states afterwards: {ours['statuses']}",
        "",
        "Machine load (uptime: before the enqueue, after it, after our delivery, after the"
        " reference):",
        "",
        *(f"- {load}" for load in loads),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (RESULTS / "campaigns.md").write_text(text)


if __name__ == "__main__":
    main()
