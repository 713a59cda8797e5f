"""The background worker, as its own process or as a thread beside the web server, and
the clock that enqueues periodic jobs.

The embedded mode uses the in-memory channel layer, which only reaches sockets of its own
process, so `peyvand demo` runs the worker inside the server process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger(__name__)

# (dotted path of a django-tasks task, period in seconds). Every periodic job is idempotent,
# so two workers' clocks enqueueing the same job on PostgreSQL do no harm.
PERIODIC_TASKS: list[tuple[str, float]] = [
    ("peyvand.desk.tasks.send_due_reminders", 60.0),
    ("peyvand.channels.tasks.sweep_webhooks", 30.0),
    ("peyvand.channels.tasks.sweep_messages", 30.0),
    ("peyvand.tracking.tasks.sweep_conversions", 3600.0),
    ("peyvand.marketing.campaigns.tasks.advance_campaigns_task", 60.0),
    ("peyvand.service.tasks.scan_sla_breaches", 60.0),
    ("peyvand.channels.email.inbound.tasks.poll_mailboxes", 60.0),
    ("peyvand.sales.tasks.expire_lapsed_quotes", 3600.0),
    ("peyvand.sales.tasks.process_contract_renewals", 3600.0),
    ("peyvand.sales.tasks.escalate_lead_sla", 300.0),
    ("peyvand.sales.tasks.retrain_lead_scoring", 86_400.0),
    ("peyvand.sales.tasks.refresh_forecasts", 86_400.0),
    ("peyvand.analytics.tasks.refresh_costs", 86_400.0),
    ("peyvand.personalization.tasks.expire_unanswered_offers", 3600.0),
    ("peyvand.personalization.tasks.learn_outcomes", 300.0),
    ("peyvand.analytics.tasks.retrain_churn_model", 86_400.0),
    ("peyvand.analytics.tasks.retrain_recommender", 86_400.0),
    ("peyvand.analytics.tasks.refresh_customer_value", 86_400.0),
    ("peyvand.marketing.loyalty.tasks.expire_points_task", 3600.0),
]


class _ThreadWorker(Worker):
    def configure_signals(self) -> None:
        # Signal handlers can only be installed from the main thread; the server owns them.
        return None


def start_worker_thread(interval: float = 0.5) -> threading.Thread:
    worker = _ThreadWorker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="embedded",
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="peyvand-worker", daemon=True)
    thread.start()
    return thread


def _load(path: str) -> Any:
    module, _, name = path.rpartition(".")
    return getattr(import_module(module), name)


def enqueue_due(
    last_run: dict[str, float], now: float, periodic: list[tuple[str, float]] = PERIODIC_TASKS
) -> list[str]:
    """Enqueue every periodic task whose period has elapsed since `last_run`; returns them."""
    enqueued = []
    for path, period in periodic:
        if now - last_run.get(path, float("-inf")) >= period:
            _load(path).enqueue()
            last_run[path] = now
            enqueued.append(path)
    return enqueued


def start_clock_thread(
    tick: float = 5.0, clock: Callable[[], float] = time.monotonic
) -> threading.Thread:
    def run() -> None:
        last_run: dict[str, float] = {}
        while True:
            try:
                close_old_connections()
                enqueue_due(last_run, clock())
            except Exception:  # a failed enqueue must not stop the clock; it retries next tick
                logger.exception("periodic enqueue failed")
            time.sleep(tick)

    thread = threading.Thread(target=run, name="peyvand-clock", daemon=True)
    thread.start()
    return thread
