"""A campaign's worker SIGKILLed mid-send: a real `peyvand worker` runs the campaign task
(recipients chosen, outbox rows written) and delivers to a real SMTP server; it is killed
in the middle of sending and started again. Every recipient gets the campaign exactly
once: nobody twice, nobody skipped."""

from __future__ import annotations

import collections
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from peyvand.channels.inbox.choices import MessageStatus
from peyvand.customers.models import Consent, ContactPoint, Customer
from peyvand.marketing.campaigns.services import schedule_campaign
from peyvand.marketing.models import SegmentMember
from tests.channels.email.sink import smtp_sink
from tests.channels.email.test_kill import SlowSink, _database_url, _statuses, _stop, _worker
from tests.marketing.campaigns.conftest import make_campaign

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

TOTAL = 600
KILL_AFTER = 150


def _audience(segment: Any) -> set[str]:
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(display_name=f"Member {n}", first_name=f"M{n}") for n in range(TOTAL)]
    )
    addresses = [f"member{n}@example.com" for n in range(TOTAL)]
    ContactPoint.objects.bulk_create(
        ContactPoint(customer=c, kind="email", value=a, normalized=a, is_primary=True)
        for c, a in zip(customers, addresses, strict=True)
    )
    Consent.objects.bulk_create(
        Consent(
            customer=c,
            channel="email",
            purpose="marketing",
            status="granted",
            source="test",
            recorded_at=now,
        )
        for c in customers
    )
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=segment, customer=c, entered_at=now) for c in customers
    )
    return set(addresses)


def test_sigkill_mid_campaign_then_restart_reaches_everyone_exactly_once(
    identity: Any, segment: Any, marketing1: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    expected = _audience(segment)
    campaign = make_campaign(segment, identity, marketing1)
    with transaction.atomic():
        schedule_campaign(campaign.pk, actor=marketing1)
    url, sqlite_path = _database_url(tmp_path)
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PEYVAND_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "PEYVAND_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "PEYVAND_EMAIL_HOST": "127.0.0.1",
        "PEYVAND_MESSAGE_LEASE_SECONDS": "5",
        "PEYVAND_LOG_LEVEL": "ERROR",
    }
    with smtp_sink(SlowSink()) as (handler, port):
        env["PEYVAND_EMAIL_PORT"] = str(port)
        worker = _worker(env, log)
        try:
            deadline = time.monotonic() + 300
            while handler.count < KILL_AFTER:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"{handler.count} arrived\n{log.read_text()}"
                time.sleep(0.005)
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=30)
            assert handler.count < TOTAL, "the kill must land in the middle of sending"
            worker = _worker(env, log)
            deadline = time.monotonic() + 300
            while _statuses(sqlite_path)[MessageStatus.SENT] < TOTAL:
                assert worker.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"{_statuses(sqlite_path)}\n{log.read_text()}"
                time.sleep(0.5)
            time.sleep(1)  # anything still in flight would arrive now
        finally:
            _stop(worker)
        arrived = collections.Counter(str(m["To"]) for m in handler.messages())
    assert not {to: n for to, n in arrived.items() if n > 1}
    assert set(arrived) == expected
    assert _statuses(sqlite_path) == {MessageStatus.SENT: TOTAL}
