"""Retry timing shared by every outbox (messages, webhooks): exponential backoff."""

from __future__ import annotations

import datetime as dt

MAX_ATTEMPTS = 8
BASE_DELAY_SECONDS = 30


def backoff(attempts: int) -> dt.timedelta:
    """The wait before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, …"""
    return dt.timedelta(seconds=BASE_DELAY_SECONDS * 2 ** max(attempts - 1, 0))
