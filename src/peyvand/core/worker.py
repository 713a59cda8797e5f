"""The background worker, as its own process or as a thread beside the web server.

The embedded mode uses the in-memory channel layer, which only reaches sockets of its own
process, so `peyvand demo` runs the worker inside the server process.
"""

from __future__ import annotations

import threading

from django_tasks_db.management.commands.db_worker import Worker


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
