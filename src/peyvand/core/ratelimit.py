"""A fixed-window rate limit in Django's cache, shared by every web process."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone


def take_slot(key: str, *, limit: int, window: int, at: dt.datetime | None = None) -> int:
    """Count one request for `key` in the current window: 0 when allowed, else the seconds
    until the next window opens. `at` is the caller's clock (tests move it), default now."""
    now = (at or timezone.now()).timestamp()
    slot = int(now // window)
    cache_key = f"rate:{key}:{slot}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        used = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        used = 1
    return 0 if used <= limit else max(1, int((slot + 1) * window - now))
